"""Each knob changes the stack's behaviour measurably (bad_stack has most knobs turned bad)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta

import psycopg
import pytest
import redis

from reference_app.client import EsppdClient
from reference_app.knobs import Knobs
from reference_app.settings import QUEUE_PREFIX
from reference_app.stack import EmbeddedStack, StackConfig

pytestmark = pytest.mark.timeout(240)

LIST_QUERY = ("EXPLAIN SELECT id FROM sppd WHERE user_id = 5 AND status = 'diajukan'")


def statement_calls(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute("SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements "
                                "WHERE query NOT ILIKE '%%pg_stat_statements%%'").fetchone()[0])


def test_indexes_off_turns_the_list_lookup_into_a_seq_scan(stack: EmbeddedStack,
                                                           bad_stack: EmbeddedStack) -> None:
    with psycopg.connect(stack.dsn) as good, psycopg.connect(bad_stack.dsn) as bad:
        # Tiny partitions are seq-scanned anyway; forbid that to ask "is there an index?".
        good.execute("SET enable_seqscan = off")
        bad.execute("SET enable_seqscan = off")
        good_plan = "\n".join(row[0] for row in good.execute(LIST_QUERY))
        bad_plan = "\n".join(row[0] for row in bad.execute(LIST_QUERY))
    assert "Index" in good_plan and "Seq Scan" not in good_plan
    assert "Seq Scan" in bad_plan and "Index" not in bad_plan


def test_n_plus_one_issues_many_more_statements_per_list_page(
        stack: EmbeddedStack, bad_stack: EmbeddedStack) -> None:
    per_page = {}
    for name, running in (("eager", stack), ("lazy", bad_stack)):
        client = EsppdClient(running.url)
        client.login("keuangan", 2)
        client.get("/sppd")  # warm the permission/profile caches
        before = statement_calls(running.dsn)
        assert client.get("/sppd?page=2").status_code == 200
        per_page[name] = statement_calls(running.dsn) - before
    # 15 rows x 4 lookups on top of the page and count queries.
    assert per_page["lazy"] >= per_page["eager"] + 60


def test_cache_off_means_every_lookup_misses(bad_stack: EmbeddedStack) -> None:
    client = EsppdClient(bad_stack.url)
    client.login("dosen", 8)
    info = redis.Redis.from_url(bad_stack.redis_url)
    client.get("/dashboard")
    before = info.info("stats")
    for _ in range(3):
        client.get("/dashboard")
    after = info.info("stats")
    # profile, permissions, own statistics and the university trend
    assert after["keyspace_misses"] - before["keyspace_misses"] >= 3 * 4
    assert not info.keys("esppd_cache:[0-9a-f]*:stats:*")
    assert not info.keys("esppd_cache:[0-9a-f]*:trend:*")


def test_inline_jobs_finish_inside_the_request(bad_stack: EmbeddedStack) -> None:
    client = EsppdClient(bad_stack.url)
    client.login("dosen", 9)
    depart = date.today() + timedelta(days=30)
    created = client.post("/sppd", {"tujuan_id": 1, "transportasi_id": 2,
                                    "maksud": "Workshop kurikulum", "tanggal_berangkat":
                                    depart.isoformat(), "tanggal_kembali": depart.isoformat()})
    document = client.post(f"/sppd/{client.location_id(created)}/document")
    status = client.get(document.headers["location"],
                        headers={"Accept": "application/json"}).json()
    assert status["status"] == "ready"  # no worker runs (queue_workers=0): built in-request


def test_queue_workers_off_leaves_jobs_pending(bad_stack: EmbeddedStack) -> None:
    client = EsppdClient(bad_stack.url)
    client.login("dosen", 10)
    depart = date.today() + timedelta(days=40)
    created = client.post("/sppd", {"tujuan_id": 3, "transportasi_id": 2,
                                    "maksud": "Penelitian lapangan", "tanggal_berangkat":
                                    depart.isoformat(), "tanggal_kembali": depart.isoformat()})
    client.post(f"/sppd/{client.location_id(created)}/submit")
    time.sleep(1.5)
    pending = redis.Redis.from_url(bad_stack.queue_redis_url).llen(
        f"{QUEUE_PREFIX}queues:notifications")
    assert pending >= 1


def test_pool_concurrency_and_bcrypt_knobs_show_in_status_and_hashes(
        bad_stack: EmbeddedStack) -> None:
    status = EsppdClient(bad_stack.url).get("/status").json()
    assert status["pool"]["size"] == 2 * 1
    assert status["max_children"] == 2 * 1
    with psycopg.connect(bad_stack.dsn) as conn:
        hashed = conn.execute("SELECT password FROM users LIMIT 1").fetchone()[0]
    assert hashed.startswith("$2b$12$")


@pytest.fixture(scope="module")
def other_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    """Knobs that cannot share bad_stack: one app worker (pool 10), slow jobs, few connections,
    and the hot row lock where a real pool lets concurrent submits reach the row together."""
    knobs = Knobs().with_values({"app_workers": "1", "queue_job_delay_ms": "700",
                                 "pg_max_connections": "30", "hot_row_lock": "on"})
    config = StackConfig(knobs=knobs, log_dir=tmp_path_factory.mktemp("other"))
    with EmbeddedStack(config) as running:
        yield running


def test_hot_row_lock_serializes_submits(other_stack: EmbeddedStack) -> None:
    """Concurrent submits queue behind one counter row: the FOR UPDATE read waits."""
    clients = []
    for number in range(1, 5):
        client = EsppdClient(other_stack.url)
        client.login("dosen", number)
        depart = date.today() + timedelta(days=50 + number)
        created = client.post("/sppd", {"tujuan_id": 4, "transportasi_id": 1,
                                        "maksud": "Visitasi akreditasi", "tanggal_berangkat":
                                        depart.isoformat(), "tanggal_kembali":
                                        depart.isoformat()})
        clients.append((client, client.location_id(created)))
    threads = [threading.Thread(target=client.post, args=(f"/sppd/{sppd_id}/submit",))
               for client, sppd_id in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with psycopg.connect(other_stack.dsn) as conn:
        waited_ms = conn.execute(
            "SELECT COALESCE(sum(total_exec_time), 0) FROM pg_stat_statements "
            "WHERE query LIKE %s", ("SELECT nomor FROM nomor_counter%FOR UPDATE",)).fetchone()[0]
    # Uncontended that read takes well under 1 ms; queued behind a 250 ms holder it waits.
    assert waited_ms >= 200


def test_one_worker_slow_jobs_and_max_connections(other_stack: EmbeddedStack) -> None:
    client = EsppdClient(other_stack.url)
    assert client.get("/status").json()["processes"] == 1
    with psycopg.connect(other_stack.dsn) as conn:
        assert conn.execute("SHOW max_connections").fetchone()[0] == "30"
    client.login("keuangan", 1)
    export = client.post("/exports", {"bulan": 1, "tahun": date.today().year})
    started = time.monotonic()
    assert client.wait_ready(export.headers["location"])["status"] == "ready"
    assert time.monotonic() - started >= 0.7
