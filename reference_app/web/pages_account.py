"""Login, logout, dashboard, master data, health and status."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any

import bcrypt
from psycopg import sql
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reference_app.web.cache import TTL_DASHBOARD_S, TTL_MASTER_S, jsonable
from reference_app.web.context import AppState, Ctx, abort, flashed, invalid, page, redirect
from reference_app.web.status import all_workers

LOGIN_ATTEMPTS_PER_MINUTE = 5
THROTTLE_WINDOW_S = 60
# One hash of failed attempts ("count:window_start" per email|ip), created at startup: a
# lookup of a field is a keyspace hit, so a healthy login does not read as a cache miss.
THROTTLE_KEY = "esppd_throttle"


async def _failed_attempts(ctx: Ctx, field: str) -> tuple[int, float]:
    raw = await ctx.app.redis.hget(THROTTLE_KEY, field)
    if not raw:
        return 0, time.time()
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    count, _, started = text.partition(":")
    if time.time() - float(started) > THROTTLE_WINDOW_S:
        return 0, time.time()
    return int(count), float(started)


@page(login=False)
async def login_form(ctx: Ctx) -> Response:
    if ctx.user is not None:
        return redirect("/dashboard")
    errors, old = flashed(ctx)
    return ctx.render("login.html", errors=errors, email=old.get("email", ""))


@page(login=False)
async def login(ctx: Ctx) -> Response:
    email = ctx.field("email").lower()
    password = ctx.field("password")
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "The email field is required."
    if not password:
        errors["password"] = "The password field is required."
    if errors:
        return invalid(ctx, errors, "/login", {"email": email})
    client = ctx.request.client
    throttle_field = f"{email}|{client.host if client else '-'}"
    attempts, window_start = await _failed_attempts(ctx, throttle_field)
    if attempts >= LOGIN_ATTEMPTS_PER_MINUTE:
        return abort(ctx, 429, "Too many login attempts. Please try again in a minute.")
    async with ctx.db() as conn:
        cur = await conn.execute("SELECT id, password FROM users WHERE email = %s", (email,))
        row = await cur.fetchone()
    # bcrypt releases the GIL: verify off the event loop, like a PHP-FPM child would block.
    valid = row is not None and await asyncio.to_thread(
        bcrypt.checkpw, password.encode(), row["password"].encode())
    if not valid or row is None:
        await ctx.app.redis.hset(THROTTLE_KEY, throttle_field, f"{attempts + 1}:{window_start}")
        return invalid(ctx, {"email": "These credentials do not match our records."}, "/login",
                       {"email": email})
    if attempts:
        await ctx.app.redis.hdel(THROTTLE_KEY, throttle_field)
    ctx.previous_session_id = ctx.session.id
    ctx.session.rotate()
    ctx.session.data["user_id"] = row["id"]
    return redirect("/dashboard")


@page(login=False)
async def logout(ctx: Ctx) -> Response:
    ctx.previous_session_id = ctx.session.id
    ctx.session.rotate()
    ctx.session.data.pop("user_id", None)
    return redirect("/login")


@page()
async def home(ctx: Ctx) -> Response:
    return redirect("/dashboard")


def _scope(user: dict[str, Any]) -> tuple[str, list[str], tuple[object, ...]]:
    """SQL filter, cache tags and parameters of the SPPD a user's dashboard counts."""
    if user["role"] == "dosen":
        return "user_id = %s", [f"dashboard:user:{user['id']}"], (user["id"],)
    if user["role"] == "atasan":
        return "unit_kerja_id = %s", [f"dashboard:unit:{user['unit_kerja_id']}"], \
            (user["unit_kerja_id"],)
    return "TRUE", ["dashboard:all"], ()


@page("dashboard.view")
async def dashboard(ctx: Ctx) -> Response:
    user = ctx.user
    assert user is not None
    year = date.today().year
    where, tags, params = _scope(user)

    async def statistics() -> dict[str, Any]:
        async with ctx.db() as conn:
            cur = await conn.execute(
                f"SELECT status, count(*) AS jumlah, COALESCE(sum(biaya), 0) AS biaya "  # noqa: S608
                f"FROM sppd WHERE {where} AND tanggal_berangkat >= %s AND tanggal_berangkat < %s "
                "GROUP BY status ORDER BY status",
                (*params, date(year, 1, 1), date(year + 1, 1, 1)))
            by_status = await cur.fetchall()
            cur = await conn.execute(
                f"SELECT extract(month FROM tanggal_berangkat)::int AS bulan, count(*) AS jumlah "  # noqa: S608
                f"FROM sppd WHERE {where} AND tanggal_berangkat >= %s AND tanggal_berangkat < %s "
                "GROUP BY 1 ORDER BY 1", (*params, date(year, 1, 1), date(year + 1, 1, 1)))
            by_month = await cur.fetchall()
        return jsonable({"by_status": by_status, "by_month": by_month})

    stats = await ctx.app.cache.remember(["dashboard", *tags], f"stats:{tags[0]}:{year}",
                                         TTL_DASHBOARD_S, statistics)
    trend = await university_trend(ctx, year)
    pending = None
    async with ctx.db() as conn:
        level = await ctx.approval_level()
        if level is not None:
            waiting, waiting_params = level.awaiting_filter(user)
            cur = await conn.execute(
                sql.SQL("SELECT count(*) AS n FROM sppd s WHERE {}").format(waiting),
                waiting_params)
            pending = ((await cur.fetchone()) or {"n": 0})["n"]
        cur = await conn.execute(
            "SELECT s.id, s.nomor, s.maksud, s.tanggal_berangkat, s.status, t.kota FROM sppd s "
            "JOIN tujuan t ON t.id = s.tujuan_id WHERE s.user_id = %s "
            "ORDER BY s.tanggal_berangkat DESC, s.id DESC LIMIT 5", (user["id"],))
        latest = await cur.fetchall()
    return ctx.render("dashboard.html", stats=stats, pending=pending, latest=latest, year=year,
                      trend=trend)


async def university_trend(ctx: Ctx, year: int) -> list[dict[str, Any]]:
    """The university's SPPD per year and status over the last five years.

    A scan of every yearly partition (a quarter of a second on the large seed): shown
    to everyone, so it lives in the cache for 15 minutes and writes do not flush it,
    the way a Laravel dashboard caches its charts.
    """

    async def compute() -> list[dict[str, Any]]:
        async with ctx.db() as conn:
            cur = await conn.execute(
                "SELECT extract(year FROM tanggal_berangkat)::int AS tahun, status, "
                "count(*) AS jumlah, COALESCE(sum(biaya), 0) AS biaya FROM sppd "
                "WHERE tanggal_berangkat >= %s AND tanggal_berangkat < %s "
                "GROUP BY 1, 2 ORDER BY 1, 2", (date(year - 4, 1, 1), date(year + 1, 1, 1)))
            return jsonable(await cur.fetchall())

    return await ctx.app.cache.remember(["dashboard:university"], f"trend:{year}",
                                        TTL_DASHBOARD_S, compute)


MASTER_QUERIES = {
    "unit-kerja": ("Unit kerja", "SELECT id, kode, nama, parent_id FROM unit_kerja ORDER BY id"),
    "tujuan": ("Tujuan", "SELECT id, kota, provinsi, uang_harian FROM tujuan ORDER BY kota"),
    "transportasi": ("Transportasi", "SELECT id, nama, jenis FROM transportasi ORDER BY nama"),
}


async def master_data(ctx: Ctx, kind: str) -> list[dict[str, Any]]:
    """Master data rows through the 24 h cache (tag `master`)."""
    _title, query = MASTER_QUERIES[kind]

    async def fetch() -> list[dict[str, Any]]:
        async with ctx.db() as conn:
            cur = await conn.execute(query)
            return jsonable(await cur.fetchall())

    return await ctx.app.cache.remember(["master"], f"master:{kind}", TTL_MASTER_S, fetch)


@page("master.view")
async def master(ctx: Ctx) -> Response:
    kind = ctx.request.path_params["kind"]
    if kind not in MASTER_QUERIES:
        return abort(ctx, 404, "Not Found")
    rows = await master_data(ctx, kind)
    if ctx.wants_json():
        return JSONResponse(rows)
    return ctx.render("master.html", title=MASTER_QUERIES[kind][0], rows=rows,
                      columns=list(rows[0]) if rows else [])


async def health(request: Request) -> Response:
    """DB and Redis reachable (for load balancers and the harness's pre-flight)."""
    state: AppState = request.app.state.esppd
    checks: dict[str, str] = {}
    try:
        async with state.pool.connection(timeout=5) as conn:
            await conn.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001  # report, never crash the probe
        checks["database"] = f"error: {type(error).__name__}"
    for name, client in (("redis", state.redis), ("queue_redis", state.queue_redis)):
        try:
            await client.ping()
            checks[name] = "ok"
        except Exception as error:  # noqa: BLE001
            checks[name] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ok" if healthy else "error", **checks},
                        status_code=200 if healthy else 503)


async def status(request: Request) -> Response:
    """All app workers' in-flight requests, listen queue and DB pool, like PHP-FPM ?json."""
    state: AppState = request.app.state.esppd
    return JSONResponse(await all_workers(state.redis))
