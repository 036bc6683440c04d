"""SPPD reads shared by pages: scoped lists (eager or N+1), one SPPD, access rules.

The `eager_loading=off` knob switches list pages to per-row lookups of the
user, unit, destination and transport, exactly what Eloquent does without
`with()`: one query for the page, then four more per row.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from reference_app.web.approval_chain import ApprovalLevel

PAGE_SIZE = 15

LIST_COLUMNS = ("s.id, s.nomor, s.maksud, s.tanggal_berangkat, s.tanggal_kembali, s.biaya, "
                "s.status, s.user_id, s.unit_kerja_id, s.tujuan_id, s.transportasi_id")
RELATION_COLUMNS = ("u.name AS pegawai, u.nip, uk.nama AS unit, t.kota, t.provinsi, "
                    "tr.nama AS transportasi")
RELATION_JOINS = ("JOIN users u ON u.id = s.user_id "
                  "JOIN unit_kerja uk ON uk.id = s.unit_kerja_id "
                  "JOIN tujuan t ON t.id = s.tujuan_id "
                  "JOIN transportasi tr ON tr.id = s.transportasi_id")

Row = dict[str, Any]


async def list_sppd(conn: psycopg.AsyncConnection[Row], where: sql.Composable,
                    params: tuple[object, ...], page: int, eager: bool) -> tuple[list[Row], int]:
    """One page of SPPD matching `where` (newest trip first) and the total count."""
    offset = (page - 1) * PAGE_SIZE
    order = sql.SQL("ORDER BY s.tanggal_berangkat DESC, s.id DESC LIMIT %s OFFSET %s")
    if eager:
        query = sql.SQL("SELECT {cols}, {rel} FROM sppd s {joins} WHERE {where} {order}").format(
            cols=sql.SQL(LIST_COLUMNS), rel=sql.SQL(RELATION_COLUMNS),
            joins=sql.SQL(RELATION_JOINS), where=where, order=order)
        cur = await conn.execute(query, (*params, PAGE_SIZE, offset))
        rows = await cur.fetchall()
    else:
        query = sql.SQL("SELECT {cols} FROM sppd s WHERE {where} {order}").format(
            cols=sql.SQL(LIST_COLUMNS), where=where, order=order)
        cur = await conn.execute(query, (*params, PAGE_SIZE, offset))
        rows = await cur.fetchall()
        for row in rows:
            await load_relations_lazily(conn, row)
    count_query = sql.SQL("SELECT count(*) AS n FROM sppd s WHERE {where}").format(where=where)
    cur = await conn.execute(count_query, params)
    total = (await cur.fetchone() or {"n": 0})["n"]
    return rows, total


async def load_relations_lazily(conn: psycopg.AsyncConnection[Row], row: Row) -> None:
    """The N+1 pattern: four single-row lookups per SPPD."""
    lookups = (
        ("SELECT name AS pegawai, nip FROM users WHERE id = %s", row["user_id"]),
        ("SELECT nama AS unit FROM unit_kerja WHERE id = %s", row["unit_kerja_id"]),
        ("SELECT kota, provinsi FROM tujuan WHERE id = %s", row["tujuan_id"]),
        ("SELECT nama AS transportasi FROM transportasi WHERE id = %s", row["transportasi_id"]),
    )
    for query, key in lookups:
        cur = await conn.execute(query, (key,))
        row.update(await cur.fetchone() or {})


async def get_sppd(conn: psycopg.AsyncConnection[Row], sppd_id: int) -> Row | None:
    cur = await conn.execute(
        sql.SQL("SELECT {cols}, {rel}, s.approved_by, s.approved_at, s.created_at, "
                "s.approval_level, COALESCE(uk.parent_id, uk.id) AS faculty_id FROM sppd s "
                "{joins} WHERE s.id = %s").format(
            cols=sql.SQL(LIST_COLUMNS), rel=sql.SQL(RELATION_COLUMNS),
            joins=sql.SQL(RELATION_JOINS)), (sppd_id,))
    return await cur.fetchone()


async def returned_id(cursor: psycopg.AsyncCursor[Row]) -> int:
    """The id of an `INSERT ... RETURNING id` (which always returns its row)."""
    row = await cursor.fetchone()
    if row is None:
        raise psycopg.ProgrammingError("INSERT ... RETURNING returned no row")
    return int(row["id"])


def can_view(user: Row, permissions: frozenset[str], level: ApprovalLevel | None,
             sppd: Row) -> bool:
    """Owner, an approver whose level covers the SPPD's unit (a superior without a level:
    their own unit), or finance/admin (sppd.view-all)."""
    if "sppd.view-all" in permissions or sppd["user_id"] == user["id"]:
        return True
    if "sppd.approve" not in permissions:
        return False
    return level.covers(user, sppd) if level else sppd["unit_kerja_id"] == user["unit_kerja_id"]


def can_approve(user: Row, level: ApprovalLevel | None, sppd: Row) -> bool:
    """An approver at their level, over the units it covers, never on their own trip
    (whether the SPPD has reached that level is the page's 422)."""
    return level is not None and level.covers(user, sppd) and sppd["user_id"] != user["id"]


def scope_for(user: Row, permissions: frozenset[str], level: ApprovalLevel | None
              ) -> tuple[sql.Composable, tuple[object, ...]]:
    """Which SPPD a user's list shows: all, those their approval level covers, or own."""
    if "sppd.view-all" in permissions:
        return sql.SQL("TRUE"), ()
    if "sppd.approve" in permissions:
        return (level.units_filter(user) if level else
                (sql.SQL("s.unit_kerja_id = %s"), (user["unit_kerja_id"],)))
    return sql.SQL("s.user_id = %s"), (user["id"],)


def page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        return 1


def dashboard_tags(user_id: int, unit_id: int) -> tuple[str, ...]:
    """Cache tags to flush when an SPPD of this user/unit changes."""
    return (f"dashboard:user:{user_id}", f"dashboard:unit:{unit_id}", "dashboard:all")


async def next_number(conn: psycopg.AsyncConnection[Row], year: int, hot_row_lock: bool) -> int:
    """Next SPPD letter number of the year.

    Best practice: one atomic UPDATE ... RETURNING, the row lock held only to
    the end of a short transaction. With the hot_row_lock knob: read the row
    FOR UPDATE and keep it locked while the letter is prepared (250 ms: the
    numbering service signs it), which serializes every submit and approval of
    the year behind one row.
    """
    if hot_row_lock:
        cur = await conn.execute(
            "SELECT nomor FROM nomor_counter WHERE tahun = %s FOR UPDATE", (year,))
        row = await cur.fetchone()
        if row is None:
            await conn.execute("INSERT INTO nomor_counter (tahun, nomor) VALUES (%s, 0) "
                               "ON CONFLICT DO NOTHING", (year,))
            return await next_number(conn, year, hot_row_lock)
        await conn.execute("SELECT pg_sleep(0.25)")
        await conn.execute("UPDATE nomor_counter SET nomor = nomor + 1 WHERE tahun = %s",
                           (year,))
        return int(row["nomor"]) + 1
    cur = await conn.execute(
        "INSERT INTO nomor_counter AS c (tahun, nomor) VALUES (%s, 1) "
        "ON CONFLICT (tahun) DO UPDATE SET nomor = c.nomor + 1 RETURNING nomor", (year,))
    row = await cur.fetchone()
    return int(row["nomor"]) if row else 1
