"""The eSPPD web flow against the real stack: CSRF, roles, validation, queue, cache, partitions."""

from __future__ import annotations

import io
import threading
import time
from datetime import date, timedelta

import openpyxl
import psycopg
import pytest
import redis
from docx import Document

from reference_app.client import EsppdClient
from reference_app.stack import EmbeddedStack

pytestmark = pytest.mark.timeout(180)


def new_trip(client: EsppdClient, days_ahead: int = 20, **overrides: object) -> int:
    depart = date.today() + timedelta(days=days_ahead)
    form = {"tujuan_id": 2, "transportasi_id": 1, "maksud": "Rapat koordinasi nasional",
            "tanggal_berangkat": depart.isoformat(),
            "tanggal_kembali": (depart + timedelta(days=1)).isoformat(), **overrides}
    response = client.post("/sppd", form)
    assert response.status_code == 302, response.text[:500]
    return client.location_id(response)


def test_login_sets_session_and_xsrf_cookies_and_rotates_them(stack: EmbeddedStack) -> None:
    client = EsppdClient(stack.url)
    page = client.get("/login")
    assert page.status_code == 200
    before_session = client.http.cookies["esppd_session"]
    before_token = client.csrf
    assert f'value="{before_token}"' in page.text  # the _token field carries the same token
    response = client.login("dosen", 1)
    assert response.status_code == 302 and response.headers["location"] == "/dashboard"
    assert client.http.cookies["esppd_session"] != before_session
    assert client.csrf != before_token
    assert client.get("/dashboard").status_code == 200


def test_post_with_a_bad_or_missing_csrf_token_is_419(stack: EmbeddedStack) -> None:
    client = EsppdClient(stack.url)
    client.login("dosen", 2)
    assert client.post("/sppd", {"maksud": "x"}, token="forged").status_code == 419
    assert client.post("/sppd", {"maksud": "x"}, token="").status_code == 419
    # The X-XSRF-TOKEN header is accepted in place of the form field, as Laravel does.
    response = client.request("POST", "/sppd", data={"maksud": "x"},
                              headers={"X-XSRF-TOKEN": client.csrf})
    assert response.status_code == 422


def test_guest_is_redirected_and_wrong_password_is_422_then_throttled(
        stack: EmbeddedStack) -> None:
    client = EsppdClient(stack.url)
    assert client.get("/dashboard").headers["location"] == "/login"
    statuses = [client.login("dosen", 40, password="wrong").status_code for _ in range(6)]
    assert statuses[:5] == [422] * 5
    assert statuses[5] == 429


def test_full_flow_create_submit_approve_report(stack: EmbeddedStack) -> None:
    dosen, atasan = EsppdClient(stack.url), EsppdClient(stack.url)
    dosen.login("dosen", 1)  # unit 1 (round-robin), so atasan0001 decides
    sppd_id = new_trip(dosen)
    assert 'data-status="draft"' in dosen.get(f"/sppd/{sppd_id}").text
    assert dosen.post(f"/sppd/{sppd_id}/submit").status_code == 302
    atasan.login("atasan", 1)
    assert f'data-sppd-id="{sppd_id}"' in atasan.get("/approvals").text
    assert atasan.post(f"/approvals/{sppd_id}/approve").status_code == 302
    detail = dosen.get(f"/sppd/{sppd_id}").text
    assert 'data-status="disetujui"' in detail and "/SPPD/UN/" in detail
    assert f'data-awaiting-sppd-id="{sppd_id}"' in dosen.get("/laporan").text
    response = dosen.post("/laporan", {"sppd_id": sppd_id, "ringkasan": "Rapat berjalan lancar.",
                                       "biaya_riil": 900000})
    assert response.status_code == 302
    assert 'data-status="selesai"' in dosen.get(f"/sppd/{sppd_id}").text
    with psycopg.connect(stack.dsn) as conn:
        actions = [row[0] for row in conn.execute(
            "SELECT action FROM approval_logs WHERE sppd_id = %s ORDER BY id", (sppd_id,))]
    assert actions == ["diajukan", "disetujui"]


def test_reject_needs_a_reason(stack: EmbeddedStack) -> None:
    dosen, atasan = EsppdClient(stack.url), EsppdClient(stack.url)
    dosen.login("dosen", 6)  # unit 1
    sppd_id = new_trip(dosen)
    dosen.post(f"/sppd/{sppd_id}/submit")
    atasan.login("atasan", 1)
    assert atasan.post(f"/approvals/{sppd_id}/reject", {"catatan": ""}).status_code == 422
    assert atasan.post(f"/approvals/{sppd_id}/reject",
                       {"catatan": "Anggaran unit habis"}).status_code == 302
    assert 'data-status="ditolak"' in dosen.get(f"/sppd/{sppd_id}").text


def test_forbidden_cases_are_403(stack: EmbeddedStack) -> None:
    owner, other, foreign_head, own_head = (EsppdClient(stack.url) for _ in range(4))
    owner.login("dosen", 1)   # unit 1
    other.login("dosen", 2)   # unit 2
    foreign_head.login("atasan", 2)
    sppd_id = new_trip(owner)
    owner.post(f"/sppd/{sppd_id}/submit")
    assert other.get(f"/sppd/{sppd_id}").status_code == 403          # not their SPPD
    assert other.post(f"/sppd/{sppd_id}/submit").status_code == 403
    assert foreign_head.post(f"/approvals/{sppd_id}/approve").status_code == 403  # other unit
    assert other.get("/reports/monthly").status_code == 403          # finance only
    assert other.get("/approvals").status_code == 403                # superiors only
    own_head.login("atasan", 1)
    own_trip = new_trip(own_head)
    own_head.post(f"/sppd/{own_trip}/submit")
    assert own_head.post(f"/approvals/{own_trip}/approve").status_code == 403  # never own


def test_invalid_input_is_422_with_field_errors(stack: EmbeddedStack) -> None:
    client = EsppdClient(stack.url)
    client.login("dosen", 3)
    response = client.post("/sppd", {"tujuan_id": 999, "transportasi_id": "x", "maksud": "ab",
                                     "tanggal_berangkat": "2026-02-30",
                                     "tanggal_kembali": "soon"})
    assert response.status_code == 422
    for field in ("tujuan_id", "transportasi_id", "maksud", "tanggal_berangkat",
                  "tanggal_kembali"):
        assert f'data-error="{field}"' in response.text
    backwards = client.post("/sppd", {"tujuan_id": 1, "transportasi_id": 1,
                                      "maksud": "Perjalanan mundur", "tanggal_berangkat":
                                      "2026-05-10", "tanggal_kembali": "2026-05-01"},
                            headers={"Accept": "application/json"})
    assert backwards.status_code == 422
    assert set(backwards.json()["errors"]) == {"tanggal_kembali"}


def test_queued_document_and_export_are_real_files(stack: EmbeddedStack) -> None:
    dosen, keuangan = EsppdClient(stack.url), EsppdClient(stack.url)
    dosen.login("dosen", 4)
    sppd_id = new_trip(dosen, maksud="Konferensi internasional")
    document = dosen.post(f"/sppd/{sppd_id}/document")
    status = dosen.wait_ready(f"/documents/{dosen.location_id(document)}")
    assert status["status"] == "ready"
    docx = Document(io.BytesIO(dosen.get(status["download"]).content))
    text = "\n".join(cell.text for table in docx.tables for row in table.rows
                     for cell in row.cells)
    assert "Konferensi internasional" in text
    keuangan.login("keuangan", 1)
    today = date.today()
    export = keuangan.post("/exports", {"bulan": today.month, "tahun": today.year})
    status = keuangan.wait_ready(f"/exports/{keuangan.location_id(export)}")
    assert status["status"] == "ready"
    book = openpyxl.load_workbook(io.BytesIO(keuangan.get(status["download"]).content))
    assert book.sheetnames == [f"SPPD {today.year}-{today.month:02d}", "Rekap per unit"]
    with psycopg.connect(stack.dsn) as conn:
        expected = conn.execute(
            "SELECT count(*) FROM sppd WHERE tanggal_berangkat >= date_trunc('month', now()) "
            "AND tanggal_berangkat < date_trunc('month', now()) + interval '1 month'"
        ).fetchone()[0]
    assert book.worksheets[0].max_row - 1 == expected
    assert dosen.get(f"/exports/{keuangan.location_id(export)}").status_code == 403


def test_notification_mail_lands_in_the_outbox(stack: EmbeddedStack) -> None:
    dosen = EsppdClient(stack.url)
    dosen.login("dosen", 11)  # unit 1
    before = set((stack.storage_dir / "outbox").glob("*.eml"))
    dosen.post(f"/sppd/{new_trip(dosen)}/submit")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        new = set((stack.storage_dir / "outbox").glob("*.eml")) - before
        if new:
            break
        time.sleep(0.1)
    assert new, "no mail written by the queue worker"
    assert "atasan0001@esppd.test" in next(iter(new)).read_text()


def test_dashboard_cache_hits_then_is_invalidated_by_a_write(stack: EmbeddedStack) -> None:
    client = EsppdClient(stack.url)
    client.login("dosen", 7)
    stats = redis.Redis.from_url(stack.redis_url)

    def hits_misses() -> tuple[int, int]:
        info = stats.info("stats")
        return int(info["keyspace_hits"]), int(info["keyspace_misses"])

    client.get("/dashboard")
    hits, misses = hits_misses()
    client.get("/dashboard")
    hits2, misses2 = hits_misses()
    assert misses2 == misses and hits2 > hits  # second view: everything from cache
    new_trip(client)  # a write flushes this user's dashboard tag
    client.get("/dashboard")
    _hits3, misses3 = hits_misses()
    assert misses3 > misses2


def test_rows_land_in_their_year_partition(stack: EmbeddedStack) -> None:
    with psycopg.connect(stack.dsn) as conn:
        year = date.today().year
        row = conn.execute(
            "INSERT INTO sppd (user_id, unit_kerja_id, tujuan_id, transportasi_id, maksud, "
            "tanggal_berangkat, tanggal_kembali, biaya) VALUES (1, 1, 1, 1, 'uji partisi', "
            "%s, %s, 1) RETURNING tableoid::regclass::text",
            (date(year - 1, 3, 1), date(year - 1, 3, 2))).fetchone()
        assert row[0] == f"sppd_{year - 1}"
        far = conn.execute(
            "INSERT INTO sppd (user_id, unit_kerja_id, tujuan_id, transportasi_id, maksud, "
            "tanggal_berangkat, tanggal_kembali, biaya) VALUES (1, 1, 1, 1, 'uji partisi', "
            "'1999-01-01', '1999-01-02', 1) RETURNING tableoid::regclass::text").fetchone()
        assert far[0] == "sppd_default"
        conn.rollback()


def test_health_and_status(stack: EmbeddedStack) -> None:
    client = EsppdClient(stack.url)
    assert client.get("/health").json() == {"status": "ok", "database": "ok", "redis": "ok",
                                            "queue_redis": "ok"}
    status = client.get("/status").json()
    assert status["processes"] == 2
    assert status["max_children"] == 2 * 32
    assert status["pool"]["size"] == 2 * 10
    assert {"pid", "active", "idle", "listen_queue", "pool"} <= set(status["workers"][0])


def test_racing_approvals_decide_once(stack: EmbeddedStack) -> None:
    dosen = EsppdClient(stack.url)
    dosen.login("dosen", 16)  # unit 1
    sppd_id = new_trip(dosen)
    dosen.post(f"/sppd/{sppd_id}/submit")
    heads = [EsppdClient(stack.url) for _ in range(4)]
    for head in heads:
        head.login("atasan", 1)
    with psycopg.connect(stack.dsn, autocommit=True) as conn:
        numbers_before = conn.execute("SELECT sum(nomor) FROM nomor_counter").fetchone()[0]
        results: list[int] = []
        threads = [threading.Thread(target=lambda h=head: results.append(
            h.post(f"/approvals/{sppd_id}/approve").status_code)) for head in heads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results)[0] == 302 and results.count(302) == 1
        assert set(results) - {302} <= {409, 422}
        logs = conn.execute("SELECT count(*) FROM approval_logs WHERE sppd_id = %s AND "
                            "action = 'disetujui'", (sppd_id,)).fetchone()[0]
        numbers_after = conn.execute("SELECT sum(nomor) FROM nomor_counter").fetchone()[0]
    assert logs == 1
    assert numbers_after - numbers_before == 1  # losers gave their number back
