"""Each knob changes the stack's behaviour measurably, on both apps.

`bad_stack` has most knobs at their bad value; knobs that would mask each other
get stacks of their own from `knob_stacks`.
"""

from __future__ import annotations

import re
import statistics
import threading
import time
from datetime import date, timedelta

import psycopg
import pytest
import redis

from reference_app.client import EsppdClient
from reference_app.settings import QUEUE_PREFIX
from reference_app.stack import EmbeddedStack
from reference_app.stack_config import APPS
from tests.conftest import KnobStacks

pytestmark = pytest.mark.timeout(240)

LIST_QUERY = ("EXPLAIN SELECT id FROM sppd WHERE user_id = 5 AND status = 'diajukan'")
# The dashboard's five-year university trend, in either app's SQL.
TREND = "%AS tahun, status,%"
# One app worker (Python only), slow jobs, few connections, and the hot row where a real
# pool lets concurrent submits reach the row together.
OTHER_KNOBS = {"queue_job_delay_ms": "700", "db_max_connections": "30", "hot_row_lock": "on"}


def statement_calls(dsn: str, like: str = "%") -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute(
            "SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements WHERE query ILIKE %s "
            "AND query NOT ILIKE '%%pg_stat_statements%%'", (like,)).fetchone()[0])


def new_trip(client: EsppdClient, days_ahead: int, maksud: str) -> int:
    depart = date.today() + timedelta(days=days_ahead)
    created = client.post("/sppd", {"tujuan_id": 4, "transportasi_id": 1, "maksud": maksud,
                                    "tanggal_berangkat": depart.isoformat(),
                                    "tanggal_kembali": depart.isoformat()})
    assert created.status_code == 302, created.text[:300]
    return client.location_id(created)


def test_indexes_off_turns_the_list_lookup_into_a_seq_scan(stack: EmbeddedStack,
                                                           knob_stacks: KnobStacks) -> None:
    bad_stack = knob_stacks(stack.config.app, {"indexes": "off"})
    with psycopg.connect(stack.dsn) as good, psycopg.connect(bad_stack.dsn) as bad:
        # Tiny partitions are seq-scanned anyway; forbid that to ask "is there an index?".
        good.execute("SET enable_seqscan = off")
        bad.execute("SET enable_seqscan = off")
        good_plan = "\n".join(row[0] for row in good.execute(LIST_QUERY))
        bad_plan = "\n".join(row[0] for row in bad.execute(LIST_QUERY))
    assert "Index" in good_plan and "Seq Scan" not in good_plan
    assert "Seq Scan" in bad_plan and "Index" not in bad_plan


def test_n_plus_one_issues_many_more_statements_per_list_page(
        stack: EmbeddedStack, knob_stacks: KnobStacks) -> None:
    lazy = knob_stacks(stack.config.app, {"eager_loading": "off"})
    per_page = {}
    for name, running in (("eager", stack), ("lazy", lazy)):
        client = EsppdClient(running.url)
        client.login("keuangan", 2)
        client.get("/sppd")  # warm the permission/profile caches
        before = statement_calls(running.dsn)
        assert client.get("/sppd?page=2").status_code == 200
        per_page[name] = statement_calls(running.dsn) - before
    # 15 rows x 4 lookups, where eager loading spends at most one query per relation.
    assert per_page["lazy"] >= per_page["eager"] + 60 - 4


def test_cache_off_means_every_view_goes_to_the_database(bad_stack: EmbeddedStack) -> None:
    client = EsppdClient(bad_stack.url)
    client.login("dosen", 8)
    info = redis.Redis.from_url(bad_stack.redis_url)
    client.get("/dashboard")
    before, trend_before = info.info("stats"), statement_calls(bad_stack.dsn, TREND)
    for _ in range(3):
        client.get("/dashboard")
    after, trend_after = info.info("stats"), statement_calls(bad_stack.dsn, TREND)
    assert trend_after - trend_before == 3  # the five-year scan on every view
    assert not info.keys("esppd_cache:*stats:*") and not info.keys("esppd_cache:*trend:*")
    if bad_stack.config.app == "python":
        # remember() looks up and never stores: profile, permissions, statistics, trend.
        assert after["keyspace_misses"] - before["keyspace_misses"] >= 3 * 4


def test_login_throttling_holds_with_the_cache_off(bad_stack: EmbeddedStack) -> None:
    """A broken cache must not switch off brute-force protection."""
    client = EsppdClient(bad_stack.url)
    statuses = [client.login("dosen", 55, password="wrong").status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]


@pytest.mark.parametrize("app", APPS)
def test_inline_jobs_finish_inside_the_request(app: str, knob_stacks: KnobStacks) -> None:
    running = knob_stacks(app, {"jobs": "inline", "queue_workers": "0"})
    client = EsppdClient(running.url)
    client.login("dosen", 9)
    sppd_id = new_trip(client, 30, "Workshop kurikulum")
    document = client.post(f"/sppd/{sppd_id}/document")
    status = client.get(client.location_path(document),
                        headers={"Accept": "application/json"}).json()
    assert status["status"] == "ready"  # no worker runs: built in-request


def test_queue_workers_off_leaves_jobs_pending(bad_stack: EmbeddedStack) -> None:
    client = EsppdClient(bad_stack.url)
    client.login("dosen", 10)
    client.post(f"/sppd/{new_trip(client, 40, 'Penelitian lapangan')}/submit")
    pending = redis.Redis.from_url(bad_stack.queue_redis_url)
    assert pending.llen(f"{QUEUE_PREFIX}queues:notifications") >= 1
    assert bad_stack.pids()["queue"] == []


def test_worker_limits_and_bcrypt_show_in_status_and_hashes(bad_stack: EmbeddedStack) -> None:
    client = EsppdClient(bad_stack.url)
    if bad_stack.config.app == "laravel":
        fpm = client.get("/fpm-status?json").json()
        assert fpm["total processes"] == 1  # pm_max_children
    else:
        status = client.get("/status").json()
        assert status["pool"]["size"] == 2 * 1  # db_pool_size
        assert status["max_children"] == 2 * 1  # app_concurrency
    hashed = bad_stack.query("SELECT password FROM users LIMIT 1")[0][0]
    assert hashed.startswith("$2y$12$")


def median_ms(client: EsppdClient, path: str, samples: int = 15) -> float:
    for _ in range(samples):
        client.get(path)
    return statistics.median(ms for _name, ms, _code in client.timings[-samples:])


def test_laravel_opcache_off_compiles_every_request(knob_stacks: KnobStacks) -> None:
    """Measured side by side: without OPcache the same page costs several times more."""
    with_cache = median_ms(EsppdClient(knob_stacks("laravel", {}).url), "/login")
    without = median_ms(EsppdClient(knob_stacks("laravel", {"opcache": "off"}).url), "/login")
    assert without > 2 * with_cache, (with_cache, without)


def test_laravel_file_sessions_live_on_the_app_servers_disk(bad_stack: EmbeddedStack) -> None:
    if bad_stack.config.app != "laravel":
        pytest.skip("the sessions knob is Laravel's")
    client = EsppdClient(bad_stack.url)
    client.login("dosen", 13)
    assert client.get("/dashboard").status_code == 200
    sessions = bad_stack.storage_dir.parent / "framework" / "sessions"
    assert any(sessions.iterdir()), "no session file written"
    session_key = re.compile(rb"esppd_cache:[A-Za-z0-9]{40}")  # Laravel's session ids
    assert not [key for key in redis.Redis.from_url(bad_stack.redis_url).keys("*")
                if session_key.fullmatch(key)]


@pytest.fixture(scope="module", params=APPS)
def other_stack(request: pytest.FixtureRequest, knob_stacks: KnobStacks) -> EmbeddedStack:
    knobs = dict(OTHER_KNOBS)
    if request.param == "python":
        knobs["app_workers"] = "1"
    return knob_stacks(request.param, knobs)


def test_hot_row_lock_serializes_submits(other_stack: EmbeddedStack) -> None:
    """Concurrent submits queue behind one counter row: the FOR UPDATE read waits."""
    clients = []
    for number in range(1, 5):
        client = EsppdClient(other_stack.url)
        client.login("dosen", number)
        clients.append((client, new_trip(client, 50 + number, "Visitasi akreditasi")))
    threads = [threading.Thread(target=client.post, args=(f"/sppd/{sppd_id}/submit",))
               for client, sppd_id in clients]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Uncontended, four submits take a few ms each; behind a 250 ms holder they queue.
    assert time.monotonic() - started >= 4 * 0.25
    assert statement_calls(other_stack.dsn, "%nomor_counter%FOR UPDATE%") >= 4
    # A year without a counter row yet gets one, and the row is held all the same.
    far, _ = clients[0]
    assert far.post(f"/sppd/{new_trip(far, 6 * 365, 'Visitasi jauh')}/submit").status_code == 302


def test_slow_jobs_and_max_connections(other_stack: EmbeddedStack) -> None:
    client = EsppdClient(other_stack.url)
    if other_stack.config.app == "python":
        assert client.get("/status").json()["processes"] == 1  # app_workers
    assert other_stack.query("SHOW max_connections")[0][0] == "30"
    client.login("keuangan", 1)
    started = time.monotonic()
    export = client.post("/exports", {"bulan": 1, "tahun": date.today().year})
    assert client.wait_ready(client.location_path(export))["status"] == "ready"
    assert time.monotonic() - started >= 0.7
