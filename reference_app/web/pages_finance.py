"""Finance pages: month-end report, queued exports and travel-order documents."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from starlette.responses import FileResponse, JSONResponse, Response

from reference_app.jobs import month_bounds
from reference_app.web.context import Ctx, abort, invalid, page, redirect
from reference_app.web.jobs_dispatch import dispatch_job
from reference_app.web.pages_sppd import load_visible_sppd
from reference_app.web.records import returned_id

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _month(ctx: Ctx, source: str) -> tuple[int, int] | None:
    today = date.today()
    getter = ctx.field if source == "form" else (
        lambda name: ctx.request.query_params.get(name, ""))
    raw_month, raw_year = getter("bulan"), getter("tahun")
    try:
        month = int(raw_month) if raw_month else today.month
        year = int(raw_year) if raw_year else today.year
    except ValueError:
        return None
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    return month, year


@page("reports.view")
async def monthly_report(ctx: Ctx) -> Response:
    period = _month(ctx, "query")
    if period is None:
        return abort(ctx, 422, "bulan must be 1-12 and tahun a year between 2000 and 2100.")
    month, year = period
    start, end = month_bounds(month, year)
    async with ctx.db() as conn:
        cur = await conn.execute(
            "SELECT uk.id, uk.kode, uk.nama, count(s.id) AS jumlah, "
            "count(s.id) FILTER (WHERE s.status IN ('disetujui', 'selesai')) AS disetujui, "
            "count(s.id) FILTER (WHERE s.status = 'ditolak') AS ditolak, "
            "count(s.id) FILTER (WHERE s.status = 'diajukan') AS menunggu, "
            "COALESCE(sum(s.biaya), 0) AS biaya, COALESCE(sum(l.biaya_riil), 0) AS biaya_riil, "
            "COALESCE(avg(s.tanggal_kembali - s.tanggal_berangkat + 1), 0) AS rata_hari "
            "FROM unit_kerja uk "
            "LEFT JOIN sppd s ON s.unit_kerja_id = uk.id AND s.tanggal_berangkat >= %s "
            "AND s.tanggal_berangkat < %s "
            "LEFT JOIN laporan_perjalanan l ON l.sppd_id = s.id "
            "GROUP BY uk.id, uk.kode, uk.nama ORDER BY uk.kode", (start, end))
        rows = await cur.fetchall()
    if ctx.wants_json():
        return JSONResponse({"bulan": month, "tahun": year, "units": [
            {**row, "biaya": float(row["biaya"]), "biaya_riil": float(row["biaya_riil"]),
             "rata_hari": float(row["rata_hari"])} for row in rows]})
    return ctx.render("report_monthly.html", rows=rows, bulan=month, tahun=year,
                      total_biaya=sum(row["biaya"] for row in rows),
                      total_jumlah=sum(row["jumlah"] for row in rows))


@page("exports.create")
async def export_store(ctx: Ctx) -> Response:
    assert ctx.user is not None
    period = _month(ctx, "form")
    if period is None:
        return invalid(ctx, {"bulan": "bulan must be 1-12 and tahun a year between 2000 and "
                                      "2100."}, "/reports/monthly")
    month, year = period
    async with ctx.db() as conn:
        cur = await conn.execute("INSERT INTO exports (user_id, bulan, tahun) VALUES (%s, %s, %s) "
                                 "RETURNING id", (ctx.user["id"], month, year))
        export_id = await returned_id(cur)
    await dispatch_job(ctx, "ExportMonthlyReport",
                       {"export_id": export_id, "bulan": month, "tahun": year})
    return redirect(f"/exports/{export_id}")


@page("documents.create")
async def document_store(ctx: Ctx) -> Response:
    assert ctx.user is not None
    sppd = await load_visible_sppd(ctx)
    if isinstance(sppd, Response):
        return sppd
    async with ctx.db() as conn:
        cur = await conn.execute("INSERT INTO documents (sppd_id, user_id) VALUES (%s, %s) "
                                 "RETURNING id", (sppd["id"], ctx.user["id"]))
        document_id = await returned_id(cur)
    await dispatch_job(ctx, "GenerateSppdDocument",
                       {"document_id": document_id, "sppd_id": sppd["id"]})
    return redirect(f"/documents/{document_id}")


GENERATED = {
    "exports": ("SELECT id, user_id, status, path, bulan, tahun, created_at, finished_at "
                "FROM exports WHERE id = %s", XLSX, "xlsx"),
    "documents": ("SELECT id, user_id, status, path, sppd_id, created_at, finished_at "
                  "FROM documents WHERE id = %s", DOCX, "docx"),
}


async def _owned(ctx: Ctx, kind: str) -> dict[str, Any] | Response:
    assert ctx.user is not None
    query = GENERATED[kind][0]
    try:
        item_id = int(ctx.request.path_params["item_id"])
    except ValueError:
        return abort(ctx, 404, "Not Found")
    async with ctx.db() as conn:
        cur = await conn.execute(query, (item_id,))
        item = await cur.fetchone()
    if item is None:
        return abort(ctx, 404, "Not Found")
    if item["user_id"] != ctx.user["id"] and not ctx.can("sppd.view-all"):
        return abort(ctx, 403, "This action is unauthorized.")
    return dict(item)


@page("dashboard.view")
async def generated_status(ctx: Ctx) -> Response:
    kind = ctx.request.url.path.split("/")[1]  # exports | documents
    item = await _owned(ctx, kind)
    if isinstance(item, Response):
        return item
    download = f"/{kind}/{item['id']}/download" if item["status"] == "ready" else None
    if ctx.wants_json():
        return JSONResponse({"id": item["id"], "status": item["status"], "download": download})
    return ctx.render("generated.html", kind=kind, item=item, download=download)


@page("dashboard.view")
async def generated_download(ctx: Ctx) -> Response:
    kind = ctx.request.url.path.split("/")[1]  # exports | documents
    item = await _owned(ctx, kind)
    if isinstance(item, Response):
        return item
    if item["status"] != "ready" or not item["path"] or not Path(str(item["path"])).is_file():
        return abort(ctx, 404, "The file is not ready yet.")
    _query, media_type, extension = GENERATED[kind]
    return FileResponse(str(item["path"]), media_type=media_type,
                        filename=f"{kind[:-1]}-{item['id']}.{extension}")
