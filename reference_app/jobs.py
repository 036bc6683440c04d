"""The heavy work eSPPD moves to the queue: travel-order .docx, month-end .xlsx, mail.

Each job is a plain function of (connection, storage dir, data) so the queue
worker runs it, and the `jobs=inline` knob runs the very same code inside the
request (the anti-pattern whose cost the analysis must find).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import psycopg
from docx import Document
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Font
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

SPPD_WITH_RELATIONS = """
SELECT s.id, s.nomor, s.maksud, s.tanggal_berangkat, s.tanggal_kembali, s.biaya, s.status,
       u.name AS pegawai, u.nip, u.jabatan, u.golongan, uk.nama AS unit,
       t.kota, t.provinsi, t.uang_harian, tr.nama AS transportasi
FROM sppd s
JOIN users u ON u.id = s.user_id
JOIN unit_kerja uk ON uk.id = s.unit_kerja_id
JOIN tujuan t ON t.id = s.tujuan_id
JOIN transportasi tr ON tr.id = s.transportasi_id
WHERE s.id = %s
"""

MONTH_ROWS = """
SELECT s.id, s.nomor, u.nip, u.name AS pegawai, uk.nama AS unit, t.kota, tr.nama AS transportasi,
       s.tanggal_berangkat, s.tanggal_kembali, s.biaya, s.status,
       COALESCE(l.biaya_riil, 0) AS biaya_riil
FROM sppd s
JOIN users u ON u.id = s.user_id
JOIN unit_kerja uk ON uk.id = s.unit_kerja_id
JOIN tujuan t ON t.id = s.tujuan_id
JOIN transportasi tr ON tr.id = s.transportasi_id
LEFT JOIN laporan_perjalanan l ON l.sppd_id = s.id
WHERE s.tanggal_berangkat >= %s AND s.tanggal_berangkat < %s
ORDER BY uk.nama, s.tanggal_berangkat, s.id
"""


def month_bounds(bulan: int, tahun: int) -> tuple[date, date]:
    """[first day of the month, first day of the next month)."""
    return date(tahun, bulan, 1), date(tahun + (bulan == 12), bulan % 12 + 1, 1)


def generate_document(conn: psycopg.Connection, storage: Path, data: dict[str, Any]) -> None:
    """Render the SPPD travel order as .docx and mark the document ready."""
    with conn.cursor(row_factory=dict_row) as cur:
        sppd = cur.execute(SPPD_WITH_RELATIONS, (data["sppd_id"],)).fetchone()
    if sppd is None:
        raise LookupError(f"sppd {data['sppd_id']} not found")
    doc = Document()
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading("SURAT PERINTAH PERJALANAN DINAS", level=1)
    doc.add_paragraph(f"Nomor: {sppd['nomor'] or '(belum bernomor)'}")
    rows = (
        ("Pegawai yang diperintah", f"{sppd['pegawai']} (NIP {sppd['nip']})"),
        ("Pangkat / golongan", sppd["golongan"]),
        ("Jabatan", sppd["jabatan"]),
        ("Unit kerja", sppd["unit"]),
        ("Maksud perjalanan dinas", sppd["maksud"]),
        ("Alat angkutan", sppd["transportasi"]),
        ("Tempat tujuan", f"{sppd['kota']}, {sppd['provinsi']}"),
        ("Tanggal berangkat", sppd["tanggal_berangkat"].isoformat()),
        ("Tanggal kembali", sppd["tanggal_kembali"].isoformat()),
        ("Lama perjalanan", f"{(sppd['tanggal_kembali'] - sppd['tanggal_berangkat']).days + 1}"
                            " hari"),
        ("Biaya", f"Rp {sppd['biaya']:,.0f}".replace(",", ".")),
    )
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    for index, (label, value) in enumerate(rows):
        table.cell(index, 0).text = label
        table.cell(index, 1).text = str(value)
    doc.add_paragraph("Demikian surat perintah ini dibuat untuk dilaksanakan.")
    target = storage / "documents" / f"{data['document_id']}.docx"
    target.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(target))
    conn.execute("UPDATE documents SET status = 'ready', path = %s, finished_at = now() "
                 "WHERE id = %s", (str(target), data["document_id"]))
    conn.commit()


def export_monthly(conn: psycopg.Connection, storage: Path, data: dict[str, Any]) -> None:
    """Write the month-end recap (every trip plus a per-unit summary) as .xlsx."""
    bulan, tahun = int(data["bulan"]), int(data["tahun"])
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(MONTH_ROWS, month_bounds(bulan, tahun)).fetchall()
    book = Workbook()
    sheet = book.active
    sheet.title = f"SPPD {tahun}-{bulan:02d}"
    header = ["ID", "Nomor", "NIP", "Pegawai", "Unit", "Tujuan", "Transportasi", "Berangkat",
              "Kembali", "Biaya", "Status", "Biaya riil"]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    per_unit: dict[str, list[float]] = {}
    for row in rows:
        sheet.append([row["id"], row["nomor"], row["nip"], row["pegawai"], row["unit"],
                      row["kota"], row["transportasi"], row["tanggal_berangkat"],
                      row["tanggal_kembali"], float(row["biaya"]), row["status"],
                      float(row["biaya_riil"])])
        totals = per_unit.setdefault(row["unit"], [0, 0.0, 0.0])
        totals[0] += 1
        totals[1] += float(row["biaya"])
        totals[2] += float(row["biaya_riil"])
    summary = book.create_sheet("Rekap per unit")
    summary.append(["Unit", "Jumlah SPPD", "Total biaya", "Total biaya riil"])
    for unit, (count, biaya, riil) in sorted(per_unit.items()):
        summary.append([unit, count, biaya, riil])
    target = storage / "exports" / f"{data['export_id']}.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(str(target))
    conn.execute("UPDATE exports SET status = 'ready', path = %s, finished_at = now() "
                 "WHERE id = %s", (str(target), data["export_id"]))
    conn.commit()


def send_notification(conn: psycopg.Connection, storage: Path, data: dict[str, Any]) -> None:
    """Store the in-app notification and write the mail to the local outbox (.eml)."""
    with conn.cursor(row_factory=dict_row) as cur:
        user = cur.execute("SELECT name, email FROM users WHERE id = %s",
                           (data["user_id"],)).fetchone()
    if user is None:
        raise LookupError(f"user {data['user_id']} not found")
    conn.execute("INSERT INTO notifications (user_id, type, data) VALUES (%s, %s, %s)",
                 (data["user_id"], data["type"], Jsonb(data)))
    message = EmailMessage()
    message["From"] = "esppd@esppd.test"
    message["To"] = f"{user['name']} <{user['email']}>"
    message["Subject"] = data["subject"]
    message.set_content(data["body"])
    outbox = storage / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / f"{uuid.uuid4()}.eml").write_bytes(bytes(message))
    conn.commit()


def mark_failed(conn: psycopg.Connection, job: str, data: dict[str, Any]) -> None:
    """After the last attempt: the user sees `failed` instead of waiting forever."""
    if job == "GenerateSppdDocument":
        conn.execute("UPDATE documents SET status = 'failed', finished_at = now() WHERE id = %s",
                     (data["document_id"],))
    elif job == "ExportMonthlyReport":
        conn.execute("UPDATE exports SET status = 'failed', finished_at = now() WHERE id = %s",
                     (data["export_id"],))
    conn.commit()


JobHandler = Callable[[psycopg.Connection, Path, dict[str, Any]], None]

HANDLERS: dict[str, JobHandler] = {
    "GenerateSppdDocument": generate_document,
    "ExportMonthlyReport": export_monthly,
    "SendNotification": send_notification,
}

QUEUE_OF: dict[str, str] = {
    "GenerateSppdDocument": "documents",
    "ExportMonthlyReport": "exports",
    "SendNotification": "notifications",
}
