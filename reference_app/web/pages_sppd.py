"""SPPD pages: list, create form, store, detail, submit, approvals, trip reports."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg import sql
from starlette.responses import Response

from reference_app.web import records
from reference_app.web.approval_chain import ApprovalLevel, next_level
from reference_app.web.context import Ctx, abort, flashed, invalid, page, redirect
from reference_app.web.jobs_dispatch import dispatch_job
from reference_app.web.pages_account import master_data

MAX_TRIP_DAYS = 30


@page("dashboard.view")
async def sppd_index(ctx: Ctx) -> Response:
    assert ctx.user is not None
    where, params = records.scope_for(ctx.user, ctx.permissions, await ctx.approval_level())
    status = ctx.request.query_params.get("status", "")
    if status:
        where = sql.SQL("{} AND s.status = %s").format(where)
        params = (*params, status)
    start, end = ctx.request.query_params.get("dari"), ctx.request.query_params.get("sampai")
    try:
        if start:
            where = sql.SQL("{} AND s.tanggal_berangkat >= %s").format(where)
            params = (*params, date.fromisoformat(start))
        if end:
            where = sql.SQL("{} AND s.tanggal_berangkat <= %s").format(where)
            params = (*params, date.fromisoformat(end))
    except ValueError:
        return abort(ctx, 422, "dari/sampai must be dates (YYYY-MM-DD).")
    page_no = records.page_number(ctx.request.query_params.get("page"))
    async with ctx.db() as conn:
        rows, total = await records.list_sppd(conn, where, params, page_no,
                                              ctx.app.settings.knobs.eager_loading)
    pages = max(1, -(-total // records.PAGE_SIZE))
    return ctx.render("sppd_list.html", rows=rows, total=total, page=page_no, pages=pages,
                      status=status, title="Daftar SPPD")


@page("sppd.create")
async def sppd_create(ctx: Ctx) -> Response:
    errors, old = flashed(ctx)
    return ctx.render("sppd_form.html", errors=errors, old=old,
                      tujuan=await master_data(ctx, "tujuan"),
                      transportasi=await master_data(ctx, "transportasi"))


def _validate_sppd(ctx: Ctx, tujuan_ids: set[int], transport_ids: set[int]
                   ) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, allowed in (("tujuan_id", tujuan_ids), ("transportasi_id", transport_ids)):
        raw = ctx.field(name)
        if not raw.isdigit() or int(raw) not in allowed:
            errors[name] = f"The selected {name} is invalid."
        else:
            clean[name] = int(raw)
    maksud = ctx.field("maksud")
    if not 5 <= len(maksud) <= 500:
        errors["maksud"] = "The maksud field must be between 5 and 500 characters."
    clean["maksud"] = maksud
    for name in ("tanggal_berangkat", "tanggal_kembali"):
        try:
            clean[name] = date.fromisoformat(ctx.field(name))
        except ValueError:
            errors[name] = f"The {name} field must be a valid date."
    if "tanggal_berangkat" in clean and "tanggal_kembali" in clean:
        days = (clean["tanggal_kembali"] - clean["tanggal_berangkat"]).days
        if days < 0:
            errors["tanggal_kembali"] = ("The tanggal_kembali field must be a date after or "
                                         "equal to tanggal_berangkat.")
        elif days >= MAX_TRIP_DAYS:
            errors["tanggal_kembali"] = f"A trip may last at most {MAX_TRIP_DAYS} days."
    raw_cost = ctx.field("biaya")
    if raw_cost and (not raw_cost.isdigit() or not 0 < int(raw_cost) <= 500_000_000):
        errors["biaya"] = "The biaya field must be a whole number of rupiah up to 500 million."
    clean["biaya"] = int(raw_cost) if raw_cost.isdigit() else None
    return clean, errors


@page("sppd.create")
async def sppd_store(ctx: Ctx) -> Response:
    user = ctx.user
    assert user is not None
    tujuan = await master_data(ctx, "tujuan")
    transportasi = await master_data(ctx, "transportasi")
    clean, errors = _validate_sppd(ctx, {row["id"] for row in tujuan},
                                   {row["id"] for row in transportasi})
    if errors:
        return invalid(ctx, errors, "/sppd/create", {key: ctx.field(key) for key in clean})
    if clean["biaya"] is None:
        daily = next(float(row["uang_harian"]) for row in tujuan
                     if row["id"] == clean["tujuan_id"])
        days = (clean["tanggal_kembali"] - clean["tanggal_berangkat"]).days + 1
        clean["biaya"] = int(daily * days)
    async with ctx.db() as conn:
        cur = await conn.execute(
            "INSERT INTO sppd (user_id, unit_kerja_id, tujuan_id, transportasi_id, maksud, "
            "tanggal_berangkat, tanggal_kembali, biaya) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "RETURNING id",
            (user["id"], user["unit_kerja_id"], clean["tujuan_id"], clean["transportasi_id"],
             clean["maksud"], clean["tanggal_berangkat"], clean["tanggal_kembali"],
             clean["biaya"]))
        new_id = await records.returned_id(cur)
    await ctx.app.cache.flush(*records.dashboard_tags(user["id"], user["unit_kerja_id"]))
    return redirect(f"/sppd/{new_id}")


async def load_visible_sppd(ctx: Ctx) -> dict[str, Any] | Response:
    """The SPPD of the path, or the 404/403 response to send instead."""
    assert ctx.user is not None
    try:
        sppd_id = int(ctx.request.path_params["sppd_id"])
    except ValueError:
        return abort(ctx, 404, "Not Found")
    async with ctx.db() as conn:
        sppd = await records.get_sppd(conn, sppd_id)
    if sppd is None:
        return abort(ctx, 404, "Not Found")
    if not records.can_view(ctx.user, ctx.permissions, await ctx.approval_level(), sppd):
        return abort(ctx, 403, "This action is unauthorized.")
    return sppd


@page("dashboard.view")
async def sppd_show(ctx: Ctx) -> Response:
    sppd = await load_visible_sppd(ctx)
    if isinstance(sppd, Response):
        return sppd
    async with ctx.db() as conn:
        cur = await conn.execute(
            "SELECT a.action, a.level, a.catatan, a.created_at, u.name FROM approval_logs a "
            "JOIN users u ON u.id = a.user_id WHERE a.sppd_id = %s ORDER BY a.created_at",
            (sppd["id"],))
        logs = await cur.fetchall()
        cur = await conn.execute(
            "SELECT id, tanggal_laporan, ringkasan, biaya_riil FROM laporan_perjalanan "
            "WHERE sppd_id = %s", (sppd["id"],))
        laporan = await cur.fetchall()
        cur = await conn.execute(
            "SELECT id, status, created_at FROM documents WHERE sppd_id = %s "
            "ORDER BY id DESC LIMIT 5", (sppd["id"],))
        documents = await cur.fetchall()
    assert ctx.user is not None
    level = await ctx.approval_level()
    return ctx.render("sppd_detail.html", sppd=sppd, logs=logs, laporan=laporan,
                      documents=documents,
                      can_approve=sppd["status"] == "diajukan" and level is not None
                      and sppd["approval_level"] == level.level - 1
                      and records.can_approve(ctx.user, level, sppd))


@page("sppd.create")
async def sppd_submit(ctx: Ctx) -> Response:
    user = ctx.user
    assert user is not None
    sppd = await load_visible_sppd(ctx)
    if isinstance(sppd, Response):
        return sppd
    if sppd["user_id"] != user["id"]:
        return abort(ctx, 403, "Only the traveller submits their own SPPD.")
    if sppd["status"] != "draft":
        return abort(ctx, 422, f"Only a draft can be submitted (status is {sppd['status']}).")
    async with ctx.db() as conn, conn.transaction():
        agenda = await records.next_number(conn, sppd["tanggal_berangkat"].year,
                                           ctx.app.settings.knobs.hot_row_lock)
        cur = await conn.execute(
            "UPDATE sppd SET status = 'diajukan', nomor_agenda = %s, updated_at = now() "
            "WHERE id = %s AND tanggal_berangkat = %s AND status = 'draft'",
            (agenda, sppd["id"], sppd["tanggal_berangkat"]))
        changed = cur.rowcount == 1
        if not changed:
            raise psycopg.Rollback  # give the agenda number back
        await conn.execute("INSERT INTO approval_logs (sppd_id, user_id, action) "
                           "VALUES (%s, %s, 'diajukan')", (sppd["id"], user["id"]))
    if not changed:
        return abort(ctx, 409, "The SPPD changed meanwhile; reload and try again.")
    await ctx.app.cache.flush(*records.dashboard_tags(user["id"], user["unit_kerja_id"]))
    await notify_approver(ctx, (await ctx.approval_chain())[0], sppd,
                          f"SPPD baru menunggu persetujuan: {sppd['maksud']}",
                          f"{user['name']} mengajukan perjalanan ke {sppd['kota']}.")
    return redirect(f"/sppd/{sppd['id']}")


async def notify_approver(ctx: Ctx, level: ApprovalLevel, sppd: dict[str, Any], subject: str,
                          body: str) -> None:
    """Tell the first approver of `level` over the SPPD's unit (on the queue) that it waits."""
    where, params = level.approver_filter(sppd)
    async with ctx.db() as conn:
        cur = await conn.execute(sql.SQL("SELECT id FROM users WHERE {} ORDER BY id LIMIT 1")
                                 .format(where), params)
        approver = await cur.fetchone()
    if approver is not None:
        await dispatch_job(ctx, "SendNotification", {
            "user_id": approver["id"], "type": "sppd.diajukan", "sppd_id": sppd["id"],
            "subject": subject, "body": body})


@page("sppd.approve")
async def approvals_index(ctx: Ctx) -> Response:
    """The SPPD waiting for the approver's level, other than their own."""
    user = ctx.user
    assert user is not None
    level = await ctx.approval_level()
    where, params = (level.awaiting_filter(user) if level else (sql.SQL("FALSE"), ()))
    page_no = records.page_number(ctx.request.query_params.get("page"))
    async with ctx.db() as conn:
        rows, total = await records.list_sppd(conn, where, params, page_no,
                                              ctx.app.settings.knobs.eager_loading)
    pages = max(1, -(-total // records.PAGE_SIZE))
    return ctx.render("sppd_list.html", rows=rows, total=total, page=page_no, pages=pages,
                      status="diajukan", title="Persetujuan SPPD", approvals=True)


@page("sppd.approve")
async def approval_decide(ctx: Ctx) -> Response:
    """Approve or reject at the approver's level. Below the last level an approval
    forwards the SPPD to the next level; the last one numbers it and charges the
    budget; a rejection at any level ends it."""
    user = ctx.user
    assert user is not None
    decision = ctx.request.url.path.rsplit("/", 1)[-1]  # approve | reject
    sppd = await load_visible_sppd(ctx)
    if isinstance(sppd, Response):
        return sppd
    level = await ctx.approval_level()
    if not records.can_approve(user, level, sppd):
        return abort(ctx, 403, "You may only decide on the SPPD your approval level covers, "
                               "never your own.")
    assert level is not None
    catatan = ctx.field("catatan")
    if decision == "reject" and len(catatan) < 5:
        return invalid(ctx, {"catatan": "A rejection needs a reason of at least 5 characters."},
                       "/approvals")
    if sppd["status"] != "diajukan":
        return abort(ctx, 422, f"This SPPD is not awaiting approval (status {sppd['status']}).")
    if sppd["approval_level"] != level.level - 1:
        return abort(ctx, 422, "This SPPD is not awaiting your level "
                               f"(it has {sppd['approval_level']} approval(s)).")
    following = next_level(await ctx.approval_chain(), level) if decision == "approve" \
        else None  # None: the decision is final
    async with ctx.db() as conn, conn.transaction():
        changed = await _record_decision(ctx, conn, sppd, level, decision,
                                         forwards=following is not None)
        if not changed:
            raise psycopg.Rollback  # give the number and the budget back
        action = "disetujui" if decision == "approve" else "ditolak"
        await conn.execute("INSERT INTO approval_logs (sppd_id, user_id, action, level, catatan) "
                           "VALUES (%s, %s, %s, %s, %s)", (sppd["id"], user["id"], action,
                                                           level.level, catatan or None))
    if not changed:
        return abort(ctx, 409, "The SPPD changed meanwhile; reload and try again.")
    await ctx.app.cache.flush(*records.dashboard_tags(sppd["user_id"], sppd["unit_kerja_id"]))
    if following is None:
        await dispatch_job(ctx, "SendNotification", {
            "user_id": sppd["user_id"], "type": f"sppd.{action}", "sppd_id": sppd["id"],
            "subject": f"SPPD {action}: {sppd['maksud']}",
            "body": f"SPPD ke {sppd['kota']} {action} oleh {user['name']}."})
    else:
        await notify_approver(
            ctx, following, sppd, f"SPPD menunggu persetujuan: {sppd['maksud']}",
            f"Perjalanan ke {sppd['kota']} disetujui oleh {user['name']}; menunggu Anda.")
    return redirect("/approvals")


async def _record_decision(ctx: Ctx, conn: psycopg.AsyncConnection[dict[str, Any]],
                           sppd: dict[str, Any], level: ApprovalLevel, decision: str,
                           forwards: bool) -> bool:
    """Write the decision if the SPPD still waits for `level` (first writer wins);
    `forwards`: an approval that hands the SPPD to the next level."""
    key = (sppd["id"], sppd["tanggal_berangkat"], level.level - 1)
    same_row = ("WHERE id = %s AND tanggal_berangkat = %s AND status = 'diajukan' "
                "AND approval_level = %s")
    user_id = ctx.user["id"] if ctx.user else None
    if decision == "reject":
        cur = await conn.execute(
            "UPDATE sppd SET status = 'ditolak', approved_by = %s, approved_at = now(), "  # noqa: S608
            f"updated_at = now() {same_row}", (user_id, *key))
    elif forwards:
        cur = await conn.execute(
            f"UPDATE sppd SET approval_level = %s, updated_at = now() {same_row}",  # noqa: S608
            (level.level, *key))
    else:
        year = sppd["tanggal_berangkat"].year
        number = await records.next_number(conn, year, ctx.app.settings.knobs.hot_row_lock)
        cur = await conn.execute(
            "UPDATE sppd SET status = 'disetujui', approval_level = %s, nomor = %s, "  # noqa: S608
            f"approved_by = %s, approved_at = now(), updated_at = now() {same_row}",
            (level.level, f"{number:06d}/SPPD/UN/{year}", user_id, *key))
        if cur.rowcount == 1:
            await conn.execute("UPDATE pagu SET terpakai = terpakai + %s "
                               "WHERE unit_kerja_id = %s AND tahun = %s",
                               (sppd["biaya"], sppd["unit_kerja_id"], year))
    return cur.rowcount == 1


@page("dashboard.view")
async def laporan_index(ctx: Ctx) -> Response:
    user = ctx.user
    assert user is not None
    view_all = ctx.can("laporan.view-all")
    page_no = records.page_number(ctx.request.query_params.get("page"))
    async with ctx.db() as conn:
        cur = await conn.execute(
            sql.SQL("SELECT l.id, l.sppd_id, l.tanggal_laporan, l.ringkasan, l.biaya_riil, "
                    "u.name AS pegawai FROM laporan_perjalanan l JOIN users u ON u.id = l.user_id "
                    "WHERE {} ORDER BY l.tanggal_laporan DESC, l.id DESC LIMIT %s OFFSET %s"
                    ).format(sql.SQL("TRUE") if view_all else sql.SQL("l.user_id = %s")),
            (*(() if view_all else (user["id"],)), records.PAGE_SIZE,
             (page_no - 1) * records.PAGE_SIZE))
        reports = await cur.fetchall()
        cur = await conn.execute(
            "SELECT s.id, s.maksud, s.tanggal_berangkat, s.tanggal_kembali, s.biaya, t.kota "
            "FROM sppd s JOIN tujuan t ON t.id = s.tujuan_id "
            "WHERE s.user_id = %s AND s.status = 'disetujui' "
            "ORDER BY s.tanggal_berangkat LIMIT 20", (user["id"],))
        awaiting = await cur.fetchall()
    return ctx.render("laporan.html", reports=reports, awaiting=awaiting, page=page_no,
                      errors=flashed(ctx)[0])


@page("laporan.create")
async def laporan_store(ctx: Ctx) -> Response:
    user = ctx.user
    assert user is not None
    errors: dict[str, str] = {}
    raw_id, ringkasan, raw_cost = ctx.field("sppd_id"), ctx.field("ringkasan"), \
        ctx.field("biaya_riil")
    if not raw_id.isdigit():
        errors["sppd_id"] = "The sppd_id field is required."
    if len(ringkasan) < 10:
        errors["ringkasan"] = "The ringkasan field must be at least 10 characters."
    if not raw_cost.isdigit() or int(raw_cost) > 500_000_000:
        errors["biaya_riil"] = "The biaya_riil field must be a whole number of rupiah."
    if errors:
        return invalid(ctx, errors, "/laporan")
    async with ctx.db() as conn, conn.transaction():
        sppd = await records.get_sppd(conn, int(raw_id))
        if sppd is None:
            return abort(ctx, 404, "Not Found")
        if sppd["user_id"] != user["id"]:
            return abort(ctx, 403, "Only the traveller files the trip report.")
        if sppd["status"] != "disetujui":
            return invalid(ctx, {"sppd_id": "Only an approved trip takes a report."}, "/laporan")
        await conn.execute(
            "INSERT INTO laporan_perjalanan (sppd_id, user_id, tanggal_laporan, ringkasan, "
            "biaya_riil) VALUES (%s, %s, %s, %s, %s)",
            (sppd["id"], user["id"], datetime.now(UTC).date(), ringkasan,
             int(raw_cost)))
        await conn.execute("UPDATE sppd SET status = 'selesai', updated_at = now() "
                           "WHERE id = %s AND tanggal_berangkat = %s",
                           (sppd["id"], sppd["tanggal_berangkat"]))
    await ctx.app.cache.flush(*records.dashboard_tags(user["id"], user["unit_kerja_id"]))
    return redirect("/laporan")
