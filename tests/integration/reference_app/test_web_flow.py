"""The eSPPD web flow against both real apps: CSRF, roles, validation, queue, cache, partitions.

Every test runs on the Python app and on Laravel (PHP-FPM, nginx), both on
PostgreSQL; the `mariadb` tests repeat the core of it on Laravel + MariaDB.
"""

from __future__ import annotations

import io
import threading
import time
from datetime import date

import openpyxl
import psycopg
import pytest
import redis
from docx import Document
from pypdf import PdfReader

from reference_app.client import EsppdClient
from reference_app.stack import EmbeddedStack
from testkit.trips import new_trip

pytestmark = pytest.mark.timeout(180)

JSON = {"Accept": "application/json"}


def document_text(stack: EmbeddedStack, content: bytes) -> str:
    """The travel order's text: a .docx from the Python app, a PDF from Laravel."""
    if stack.config.app == "laravel":
        assert content.startswith(b"%PDF")
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    docx = Document(io.BytesIO(content))
    return "\n".join(cell.text for table in docx.tables for row in table.rows
                     for cell in row.cells)


def test_login_rotates_the_session_and_the_csrf_token(stack: EmbeddedStack) -> None:
    client = EsppdClient(stack.url)
    page = client.get("/login")
    assert page.status_code == 200
    before_session = client.http.cookies["esppd_session"]
    before_token = client.page_token(page)
    assert before_token and f'<meta name="csrf-token" content="{before_token}">' in page.text
    response = client.login("dosen", 1)
    assert response.status_code == 302 and client.location_path(response) == "/dashboard"
    assert client.http.cookies["esppd_session"] != before_session
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    assert client.page_token(dashboard) not in ("", before_token)


def test_post_with_a_bad_or_missing_csrf_token_is_419(stack: EmbeddedStack) -> None:
    client = EsppdClient(stack.url)
    client.login("dosen", 2)
    assert client.post("/sppd", {"maksud": "x"}, token="forged").status_code == 419
    assert client.post("/sppd", {"maksud": "x"}, token="").status_code == 419
    # The page's plain token in _token, or the cookie in the X-XSRF-TOKEN header, both pass.
    token = client.page_token(client.get("/sppd/create"))
    assert client.post("/sppd", {"maksud": "x"}, token=token, headers=JSON).status_code == 422
    assert client.post("/sppd", {"maksud": "x"}, headers=JSON).status_code == 422
    if stack.config.app == "laravel":
        # Laravel encrypts the XSRF-TOKEN cookie: the cookie is not the token.
        assert client.xsrf_cookie != token
        assert client.post("/sppd", {"maksud": "x"}, token=client.xsrf_cookie).status_code == 419


def test_guest_is_redirected_and_wrong_password_goes_back_then_is_throttled(
        stack: EmbeddedStack) -> None:
    client = EsppdClient(stack.url)
    assert client.location_path(client.get("/dashboard")) == "/login"
    responses = [client.login("dosen", 40, password="wrong") for _ in range(6)]
    assert [r.status_code for r in responses[:5]] == [302] * 5
    assert {client.location_path(r) for r in responses[:5]} == {"/login"}
    assert responses[5].status_code == 429
    failed = EsppdClient(stack.url)
    failed.login("dosen", 41, password="wrong")
    assert 'data-error="email"' in failed.get("/login").text


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
    actions = [row[0] for row in stack.query(
        "SELECT action FROM approval_logs WHERE sppd_id = %s ORDER BY id", (sppd_id,))]
    assert actions == ["diajukan", "disetujui"]


def test_reject_needs_a_reason(stack: EmbeddedStack) -> None:
    dosen, atasan = EsppdClient(stack.url), EsppdClient(stack.url)
    dosen.login("dosen", 6)  # unit 1
    sppd_id = new_trip(dosen)
    dosen.post(f"/sppd/{sppd_id}/submit")
    atasan.login("atasan", 1)
    refused = atasan.post(f"/approvals/{sppd_id}/reject", {"catatan": ""}, headers=JSON)
    assert refused.status_code == 422 and set(refused.json()["errors"]) == {"catatan"}
    back = atasan.post(f"/approvals/{sppd_id}/reject", {"catatan": ""})
    assert back.status_code == 302 and atasan.location_path(back) == "/approvals"
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


def test_invalid_input_goes_back_to_the_form_with_field_errors(stack: EmbeddedStack) -> None:
    client = EsppdClient(stack.url)
    client.login("dosen", 3)
    response = client.post("/sppd", {"tujuan_id": 999, "transportasi_id": "x", "maksud": "ab",
                                     "tanggal_berangkat": "2026-02-30",
                                     "tanggal_kembali": "soon"})
    assert response.status_code == 302 and client.location_path(response) == "/sppd/create"
    form = client.get("/sppd/create").text
    for field in ("tujuan_id", "transportasi_id", "maksud", "tanggal_berangkat",
                  "tanggal_kembali"):
        assert f'data-error="{field}"' in form
    assert 'data-error="maksud"' not in client.get("/sppd/create").text  # shown once
    backwards = client.post("/sppd", {"tujuan_id": 1, "transportasi_id": 1,
                                      "maksud": "Perjalanan mundur", "tanggal_berangkat":
                                      "2026-05-10", "tanggal_kembali": "2026-05-01"},
                            headers=JSON)
    assert backwards.status_code == 422
    assert set(backwards.json()["errors"]) == {"tanggal_kembali"}
    # A bad filter of a page has no form to go back to: 422.
    assert client.get("/sppd?dari=kemarin").status_code == 422


def test_queued_document_and_export_are_real_files(stack: EmbeddedStack) -> None:
    dosen, keuangan = EsppdClient(stack.url), EsppdClient(stack.url)
    dosen.login("dosen", 4)
    sppd_id = new_trip(dosen, maksud="Konferensi internasional")
    document = dosen.post(f"/sppd/{sppd_id}/document")
    status = dosen.wait_ready(dosen.location_path(document))
    assert status["status"] == "ready"
    assert "Konferensi internasional" in document_text(stack, dosen.get(status["download"]).content)
    keuangan.login("keuangan", 1)
    today = date.today()
    export = keuangan.post("/exports", {"bulan": today.month, "tahun": today.year})
    status = keuangan.wait_ready(keuangan.location_path(export))
    assert status["status"] == "ready"
    book = openpyxl.load_workbook(io.BytesIO(keuangan.get(status["download"]).content))
    assert book.sheetnames == [f"SPPD {today.year}-{today.month:02d}", "Rekap per unit"]
    first = date(today.year, today.month, 1)
    after = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    expected = stack.query("SELECT count(*) FROM sppd WHERE tanggal_berangkat >= %s AND "
                           "tanggal_berangkat < %s", (first, after))[0][0]
    assert book.worksheets[0].max_row - 1 == expected
    assert dosen.get(keuangan.location_path(export)).status_code == 403


def test_notification_mail_lands_in_the_outbox(stack: EmbeddedStack) -> None:
    dosen = EsppdClient(stack.url)
    dosen.login("dosen", 11)  # unit 1
    outbox = stack.storage_dir / "outbox"
    before = set(outbox.glob("*.eml"))
    dosen.post(f"/sppd/{new_trip(dosen)}/submit")
    deadline = time.monotonic() + 20
    new: set = set()
    while time.monotonic() < deadline and not new:
        new = set(outbox.glob("*.eml")) - before
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
    new_trip(client, days_ahead=0)  # a write to a trip of the dashboard's year forgets it
    client.get("/dashboard")
    _hits3, misses3 = hits_misses()
    assert misses3 > misses2


def partition_of(stack: EmbeddedStack, year: int) -> str:
    """The partition an SPPD departing on 1 March of `year` lands in (inserted, rolled back)."""
    insert = ("INSERT INTO sppd (user_id, unit_kerja_id, tujuan_id, transportasi_id, maksud, "
              "tanggal_berangkat, tanggal_kembali, biaya) VALUES (1, 1, 1, 1, 'uji partisi', "
              "%s, %s, 1)")
    dates = (date(year, 3, 1), date(year, 3, 2))
    if stack.config.db == "mariadb":
        with stack.database.connect() as conn, conn.cursor() as cur:
            cur.execute(insert, dates)
            new_id = cur.lastrowid
            cur.execute("SELECT PARTITION_NAME FROM information_schema.PARTITIONS "
                        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sppd'")
            for (name,) in cur.fetchall():
                cur.execute(f"SELECT count(*) FROM sppd PARTITION ({name}) "  # noqa: S608
                            "WHERE id = %s", (new_id,))
                if cur.fetchone()[0]:
                    conn.rollback()
                    return str(name)
        raise AssertionError("the row is in no partition")
    with psycopg.connect(stack.dsn) as conn:
        row = conn.execute(insert + " RETURNING tableoid::regclass::text", dates).fetchone()
        conn.rollback()
        return str(row[0])


def test_rows_land_in_their_year_partition(stack: EmbeddedStack) -> None:
    year = date.today().year
    assert partition_of(stack, year - 1) == f"sppd_{year - 1}"
    # Rows older than the partitioned years: PostgreSQL's DEFAULT, MariaDB's first range.
    assert partition_of(stack, 1999) == ("sppd_before" if stack.config.db == "mariadb"
                                         else "sppd_default")


def test_health_and_status(stack: EmbeddedStack) -> None:
    client = EsppdClient(stack.url)
    assert client.get("/health").json() == {"status": "ok", "database": "ok", "redis": "ok",
                                            "queue_redis": "ok"}
    if stack.config.app == "laravel":
        fpm = client.get("/fpm-status?json").json()
        assert fpm["pool"] == "esppd" and fpm["process manager"] == "static"
        assert fpm["total processes"] == 16
        assert "Active connections" in client.get("/nginx-status").text
        return
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
    numbers_before = stack.query("SELECT sum(nomor) FROM nomor_counter")[0][0]
    results: list[int] = []
    threads = [threading.Thread(target=lambda h=head: results.append(
        h.post(f"/approvals/{sppd_id}/approve").status_code)) for head in heads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results)[0] == 302 and results.count(302) == 1
    assert set(results) - {302} <= {409, 422}
    logs = stack.query("SELECT count(*) FROM approval_logs WHERE sppd_id = %s AND "
                       "action = 'disetujui'", (sppd_id,))[0][0]
    numbers_after = stack.query("SELECT sum(nomor) FROM nomor_counter")[0][0]
    assert logs == 1
    assert numbers_after - numbers_before == 1  # losers gave their number back


def test_mariadb_full_flow_files_and_partitions(mariadb_stack: EmbeddedStack) -> None:
    """The MariaDB smoke subset: flow, queued files, partition routing."""
    test_full_flow_create_submit_approve_report(mariadb_stack)
    test_queued_document_and_export_are_real_files(mariadb_stack)
    test_rows_land_in_their_year_partition(mariadb_stack)


def test_mariadb_executes_each_laravel_statement_once_prepared(
        mariadb_stack: EmbeddedStack) -> None:
    """The premise of the round-trip N+1 rule (analysis/rules/statements.py): MariaDB
    digests no server-side prepared statement, yet Com_stmt_execute counts every statement
    Laravel runs, and two more in each request that connects (SET NAMES and sql_mode on a
    new connection). The app's own count (StatementTally) is the truth."""
    log = mariadb_stack.statement_log
    assert log is not None

    def executions() -> int:
        return int(mariadb_stack.query("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'")[0][1])

    settled = executions()  # queued jobs of earlier tests run statements too
    for _ in range(50):
        time.sleep(0.2)
        if (now := executions()) == settled:
            break
        settled = now
    counted, before = len(log.read_text().splitlines()), executions()
    dosen = EsppdClient(mariadb_stack.url)
    dosen.login("dosen", 3)
    for path in ("/dashboard", "/sppd", "/sppd/create"):
        assert dosen.get(path).status_code == 200
    assert dosen.get(f"/sppd/{new_trip(dosen)}").status_code == 200
    executed = executions() - before
    lines = [line.split("\t") for line in log.read_text().splitlines()[counted:]]
    assert {f"{kind} {name}" for kind, name, _ in lines} >= {
        "HTTP POST login", "HTTP GET sppd", "HTTP POST sppd", "HTTP GET sppd/{sppd}"}
    statements = [int(count) for _, _, count in lines]
    assert executed == sum(statements) + 2 * sum(1 for n in statements if n), (lines, executed)
