"""Request plumbing the way Laravel does it: session, CSRF, auth, permissions.

- Session: `esppd_session` cookie -> JSON in Redis (TTL 2 h), created on first
  visit, its id rotated on login (no session fixation).
- CSRF: the session's token travels as the `XSRF-TOKEN` cookie and must come
  back as the `_token` form field or an `X-CSRF-TOKEN` / `X-XSRF-TOKEN`
  header on every POST; otherwise 419 (Page Expired).
- Auth: pages redirect guests to /login; permissions per role come from the
  database through the 6 h cache; the user's profile through the 1 h cache.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import psycopg
import redis.asyncio as aioredis
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from reference_app.settings import AppSettings
from reference_app.web.approval_chain import ApprovalLevel, chain_from_rows, level_of
from reference_app.web.cache import TTL_PERMISSIONS_S, TTL_PROFILE_S, TaggedCache

SESSION_COOKIE = "esppd_session"
XSRF_COOKIE = "XSRF-TOKEN"
SESSION_PREFIX = "esppd_session:"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class AppState:
    """Per-worker singletons, created in the lifespan and kept on app.state."""

    settings: AppSettings
    pool: AsyncConnectionPool
    redis: aioredis.Redis        # cache, sessions, status
    queue_redis: aioredis.Redis  # the queue's own server
    cache: TaggedCache
    templates: Jinja2Templates


@dataclass
class Session:
    id: str
    data: dict[str, Any]
    dirty: bool = False

    @property
    def csrf(self) -> str:
        return str(self.data["_token"])

    def rotate(self) -> None:
        """New id and CSRF token, as Laravel's session()->regenerate() on login."""
        self.id = secrets.token_urlsafe(30)
        self.data["_token"] = secrets.token_urlsafe(30)
        self.dirty = True


@dataclass
class Ctx:
    """Everything one request handler needs."""

    request: Request
    app: AppState
    session: Session
    user: dict[str, Any] | None = None
    permissions: frozenset[str] = frozenset()
    form: FormData | None = None
    previous_session_id: str | None = field(default=None)
    _approval_chain: list[ApprovalLevel] | None = field(default=None, repr=False)

    @asynccontextmanager
    async def db(self) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
        async with self.app.pool.connection() as conn:
            # psycopg types a connection's rows by the factory it was opened with.
            conn.row_factory = dict_row  # type: ignore[assignment]
            yield conn  # type: ignore[misc]

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        context.update(user=self.user, csrf_token=self.session.csrf,
                       permissions=self.permissions)
        return self.app.templates.TemplateResponse(self.request, template, context,
                                                   status_code=status_code)

    def wants_json(self) -> bool:
        return "application/json" in self.request.headers.get("accept", "")

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    async def approval_chain(self) -> list[ApprovalLevel]:
        """The approval chain through the 6 h cache (tag permissions), read once per request."""
        if self._approval_chain is None:
            async def rows() -> list[dict[str, Any]]:
                async with self.db() as conn:
                    cur = await conn.execute(
                        "SELECT level, role, scope FROM approval_levels ORDER BY level")
                    return await cur.fetchall()

            self._approval_chain = chain_from_rows(await self.app.cache.remember(
                ["permissions"], "approval_levels", TTL_PERMISSIONS_S, rows))
        return self._approval_chain

    async def approval_level(self) -> ApprovalLevel | None:
        """The level the user decides at, if their role has one in the chain."""
        if self.user is None or not self.can("sppd.approve"):
            return None
        return level_of(await self.approval_chain(), self.user["role"])


def redirect(url: str) -> RedirectResponse:
    """Redirect after POST with 302, as Laravel's redirect() does."""
    return RedirectResponse(url, status_code=302)


def invalid(ctx: Ctx, errors: dict[str, str], back: str, old: dict[str, str] | None = None
            ) -> Response:
    """A failed validation, the way Laravel answers it.

    JSON clients get 422 with the errors per field; a browser is sent back to
    the form (302) with the errors and its input flashed into the session, to
    be shown once by the next page.
    """
    if ctx.wants_json():
        return JSONResponse({"message": "The given data was invalid.",
                             "errors": {field: [message] for field, message in errors.items()}},
                            status_code=422)
    ctx.session.data["_flash"] = {"errors": errors, "old": old or {}}
    ctx.session.dirty = True
    return redirect(back)


def flashed(ctx: Ctx) -> tuple[dict[str, str], dict[str, str]]:
    """The errors and old input flashed by the previous request (read once)."""
    flash = ctx.session.data.pop("_flash", None) or {}
    if flash:
        ctx.session.dirty = True
    return flash.get("errors", {}), flash.get("old", {})


def abort(ctx: Ctx, status_code: int, message: str) -> Response:
    if ctx.wants_json():
        return JSONResponse({"message": message}, status_code=status_code)
    return ctx.render("error.html", status_code=status_code, code=status_code, message=message)


async def load_session(state: AppState, request: Request) -> Session:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        raw = await state.redis.get(SESSION_PREFIX + session_id)
        if raw is not None:
            return Session(session_id, json.loads(raw))
    session = Session(secrets.token_urlsafe(30), {"_token": secrets.token_urlsafe(30)})
    session.dirty = True
    return session


async def save_session(ctx: Ctx, response: Response) -> None:
    session = ctx.session
    if ctx.previous_session_id:
        await ctx.app.redis.delete(SESSION_PREFIX + ctx.previous_session_id)
    if session.dirty:
        await ctx.app.redis.set(SESSION_PREFIX + session.id, json.dumps(session.data),
                                ex=ctx.app.settings.session_ttl_s)
    # Like Laravel, every response refreshes both cookies (and so repairs a stale token).
    max_age = ctx.app.settings.session_ttl_s
    response.set_cookie(SESSION_COOKIE, session.id, max_age=max_age, httponly=True,
                        samesite="lax", path="/")
    response.set_cookie(XSRF_COOKIE, session.csrf, max_age=max_age, httponly=False,
                        samesite="lax", path="/")


def csrf_ok(ctx: Ctx) -> bool:
    headers = ctx.request.headers
    sent = (ctx.field("_token") or headers.get("x-csrf-token") or headers.get("x-xsrf-token")
            or "")
    return bool(sent) and secrets.compare_digest(sent, ctx.session.csrf)


async def load_user(ctx: Ctx, user_id: int) -> None:
    """Profile (1 h cache, tag user:<id>) and role permissions (6 h cache, tag permissions)."""

    async def profile() -> dict[str, Any] | None:
        async with ctx.db() as conn:
            cur = await conn.execute(
                "SELECT u.id, u.name, u.email, u.nip, u.role, u.unit_kerja_id, u.jabatan, "
                "uk.nama AS unit FROM users u JOIN unit_kerja uk ON uk.id = u.unit_kerja_id "
                "WHERE u.id = %s", (user_id,))
            return await cur.fetchone()

    user = await ctx.app.cache.remember([f"user:{user_id}"], f"profile:{user_id}",
                                        TTL_PROFILE_S, profile)
    if user is None:
        return
    role = user["role"]

    async def permissions() -> list[str]:
        async with ctx.db() as conn:
            cur = await conn.execute(
                "SELECT permission FROM role_permissions WHERE role = %s ORDER BY permission",
                (role,))
            return [row["permission"] for row in await cur.fetchall()]

    ctx.user = user
    ctx.permissions = frozenset(await ctx.app.cache.remember(
        ["permissions"], f"permissions:{role}", TTL_PERMISSIONS_S, permissions))


Handler = Callable[[Ctx], Awaitable[Response]]


def page(permission: str | None = None, login: bool = True) -> Callable[[Handler],
                                                                         Callable[[Request],
                                                                                  Awaitable[
                                                                                      Response]]]:
    """Wrap a handler with session, CSRF (unsafe methods), login and permission checks."""

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            state: AppState = request.app.state.esppd
            ctx = Ctx(request, state, await load_session(state, request))
            response = await _dispatch(ctx, handler, permission, login)
            await save_session(ctx, response)
            return response

        return endpoint

    return decorate


async def _dispatch(ctx: Ctx, handler: Handler, permission: str | None,
                    login: bool) -> Response:
    request = ctx.request
    if request.method in UNSAFE_METHODS:
        ctx.form = await request.form()
        if not csrf_ok(ctx):
            return abort(ctx, 419, "Page Expired: the CSRF token is missing or does not match.")
    user_id = ctx.session.data.get("user_id")
    if user_id is not None:
        await load_user(ctx, int(user_id))
    if login and ctx.user is None:
        if ctx.wants_json():
            return JSONResponse({"message": "Unauthenticated."}, status_code=401)
        return redirect("/login")
    if permission is not None and not ctx.can(permission):
        return abort(ctx, 403, "This action is unauthorized.")
    return await handler(ctx)
