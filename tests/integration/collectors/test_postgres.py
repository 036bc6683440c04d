"""PostgreSQL collector against a real server, read through the pg_monitor-only role."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from pathlib import Path

import psutil
import psycopg
import pytest

from collectors.base import Sample
from collectors.postgres import PostgresCollector
from collectors.sampler import Sampler
from harness.cgroup_limits import block_device, io_limit
from supervision import ServiceError
from supervision.servers import PostgresServer, PostgresSettings

from .conftest import read_events, read_metrics, sample_times, wait_until


class Statements:
    """Samples a collector and keeps the statement texts it has written so far."""

    def __init__(self, collector: PostgresCollector) -> None:
        self.collector = collector
        self.texts: dict[str, str] = {}

    def calls(self, fragment: str) -> float:
        """Calls delta, in one new sample, of the statements whose text has `fragment`."""
        sample = self.collector.sample(time.time())
        self.texts.update({queryid: query for queryid, query in sample.queries})
        return sum(float(row[1]) for row in sample.statements
                   if fragment in self.texts.get(str(row[0]), ""))


def run(dsn: str, sql: str, times: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for index in range(times):
            conn.execute(sql, (index,))


def test_a_statement_run_100_times_is_a_calls_delta_of_exactly_100(
        postgres: PostgresServer) -> None:
    collector = PostgresCollector(postgres.monitor_dsn)
    assert collector.check() == []
    statements = Statements(collector)
    statements.calls("")  # baseline: history is not load
    run(postgres.dsn, "SELECT %s::int + 100 AS hundred", 100)
    assert statements.calls("+ $2") == 100
    assert statements.calls("+ $2") == 0  # nothing ran since
    collector.close()


def test_a_stats_reset_mid_run_starts_a_new_baseline(postgres: PostgresServer) -> None:
    collector = PostgresCollector(postgres.monitor_dsn)
    statements = Statements(collector)
    statements.calls("")
    run(postgres.dsn, "SELECT %s::int * 2", 10)
    assert statements.calls("* $2") == 10
    run(postgres.dsn, "SELECT %s::int * 2", 30)
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
    run(postgres.dsn, "SELECT %s::int * 2", 7)
    assert statements.calls("* $2") == 7  # not -33, not dropped
    collector.close()


def test_own_queries_are_excluded_and_rows_stay_bounded(postgres: PostgresServer) -> None:
    collector = PostgresCollector(postgres.monitor_dsn)
    collector.sample(time.time())
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        for width in range(1, 41):  # 40 distinct statements: top 20 + one `other` row
            conn.execute("SELECT " + ", ".join(["1"] * width))
    sample = collector.sample(time.time())
    assert len(sample.statements) == 21 and sample.statements[-1][0] == "other"
    texts = dict(sample.queries)
    assert not any("esppd-collector" in text for text in texts.values())
    collector.close()


def test_activity_waits_locks_and_table_scans(postgres: PostgresServer) -> None:
    with psycopg.connect(postgres.dsn, autocommit=True) as setup:
        setup.execute("CREATE TABLE IF NOT EXISTS hot (id int PRIMARY KEY, n int)")
        setup.execute("INSERT INTO hot VALUES (1, 0) ON CONFLICT DO NOTHING")
    collector = PostgresCollector(postgres.monitor_dsn)
    collector.sample(time.time())
    holder = psycopg.connect(postgres.dsn)
    holder.execute("UPDATE hot SET n = n + 1 WHERE id = 1")  # holds the row lock, idle in tx
    waiter_done = threading.Event()

    def wait_for_lock() -> None:
        with psycopg.connect(postgres.dsn, autocommit=True) as waiter:
            waiter.execute("UPDATE hot SET n = n + 1 WHERE id = 1")
        waiter_done.set()

    thread = threading.Thread(target=wait_for_lock)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while True:
            sample = collector.sample(time.time())
            metrics = dict(sample.metrics)
            if metrics.get("db.wait{Lock}", 0) >= 1 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        holder_pid = holder.info.backend_pid
        # The culprit, named: the holder idle in its transaction, its statement without
        # the values it ran with; it waits on nothing itself.
        assert [row[0] for row in sample.blockers] == [holder_pid]
        _pid, _app, client, user, state, age, waiting, blocked, query = sample.blockers[0]
        assert (state, waiting, blocked) == ("idle in transaction", 1, False)
        assert client and user and age is not None and age >= 0
        assert query == "UPDATE hot SET n = n + ? WHERE id = ?"
        assert metrics["db.wait{Lock}"] >= 1
        assert metrics["db.locks.ungranted"] >= 1
        assert metrics["db.connections.idle_in_transaction"] >= 1
        assert metrics["db.longest_query_s"] > 0
        # What the app can reach: max_connections less the 3 slots kept for superusers
        assert metrics["db.connections.max"] == 100 - 3
        with psycopg.connect(postgres.dsn, autocommit=True) as conn:
            update_id = conn.execute("SELECT queryid FROM pg_stat_statements WHERE query LIKE "
                                     "'UPDATE hot SET%%'").fetchone()[0]
        # The waiter is named by the statement it runs, the pg_stat_statements queryid.
        assert {k: v for k, v in metrics.items() if k.startswith("db.lock_wait")} == {
            f"db.lock_wait{{{update_id}}}": 1}
    finally:
        holder.rollback()
        holder.close()
        thread.join(timeout=10)
    assert waiter_done.is_set()
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        for _ in range(3):
            conn.execute("SELECT count(*) FROM hot WHERE n >= 0")
    sample = collector.sample(time.time())
    assert dict(sample.metrics)[f"db.lock_wait{{{update_id}}}"] == 0  # still reported
    scans = {row[0]: row for row in sample.tables}
    assert scans["hot"][1] >= 3  # seq_scan delta
    collector.close()


def test_partitions_count_under_their_root_table(postgres: PostgresServer) -> None:
    """Queries name the partitioned table, so its scans and rows must be found there."""
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE trips (year int, n int) PARTITION BY RANGE (year)")
        conn.execute("CREATE TABLE trips_2024 PARTITION OF trips FOR VALUES FROM (2024) "
                     "TO (2025)")
        conn.execute("CREATE TABLE trips_2025 PARTITION OF trips FOR VALUES FROM (2025) "
                     "TO (2026)")
        conn.execute("INSERT INTO trips SELECT 2024 + i % 2, i FROM generate_series(1, 1000) i")
    # A closing backend flushes its insert counts; ANALYZE after that leaves 500 + 500.
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute("ANALYZE trips")
    collector = PostgresCollector(postgres.monitor_dsn, target="db")
    collector.sample(time.time())
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        for _ in range(2):
            conn.execute("SELECT count(*) FROM trips WHERE n >= 0")  # scans both partitions
    # The statistics reach pg_stat_user_tables within about 500 ms: add up the deltas.
    tables: set[str] = set()
    scans, rows, live = 0.0, 0.0, 0.0
    deadline = time.monotonic() + 10
    while scans < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
        for row in collector.sample(time.time()).tables:
            tables.add(row[0])
            if row[0] == "trips":
                scans, rows, live = scans + row[1], rows + row[2], row[4]
    collector.close()
    assert tables == {"trips"}, tables  # partitions counted under their root
    assert (scans, rows, live) == (4, 2000, 1000)  # 2 queries x 2 partitions, all live rows


def test_the_planners_view_of_each_table(postgres: PostgresServer) -> None:
    """Rows changed since ANALYZE, parts never analyzed, and whether autovacuum analyzes
    them: one partition analyzed and then changed, one never analyzed, autovacuum off for
    both (spelled two ways); a plain table analyzed and left alone."""
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (year int, n int) PARTITION BY RANGE (year)")
        # Autovacuum off for both parts: it would re-analyze the changed one meanwhile.
        conn.execute("CREATE TABLE orders_2024 PARTITION OF orders FOR VALUES FROM (2024) "
                     "TO (2025) WITH (autovacuum_enabled = false)")
        conn.execute("CREATE TABLE orders_2025 PARTITION OF orders FOR VALUES FROM (2025) "
                     "TO (2026) WITH (autovacuum_enabled = off)")
        conn.execute("CREATE TABLE plain (n int)")
        conn.execute("INSERT INTO orders_2024 SELECT 2024, i FROM generate_series(1, 500) i")
        conn.execute("INSERT INTO plain SELECT i FROM generate_series(1, 100) i")
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute("ANALYZE orders_2024")
        conn.execute("ANALYZE plain")
        conn.execute("UPDATE orders_2024 SET n = n + 1 WHERE n <= 300")
    collector = PostgresCollector(postgres.monitor_dsn, target="db")
    collector.sample(time.time())
    views: dict[str, list[object]] = {}
    deadline = time.monotonic() + 10
    while set(views) != {"orders", "plain"} and time.monotonic() < deadline:
        with psycopg.connect(postgres.dsn, autocommit=True) as conn:
            conn.execute("SELECT count(*) FROM orders")
            conn.execute("SELECT count(*) FROM plain")
        time.sleep(0.3)
        views.update({row[0]: row[5:] for row in collector.sample(time.time()).tables
                      if row[0] in ("orders", "plain")})
    collector.close()
    assert views["orders"] == [300, 1, 0]  # 300 updated; orders_2025 never analyzed
    assert views["plain"] == [0, 0, 1]


def test_check_names_a_missing_preload_and_the_rest_is_still_read(tmp_path: Path) -> None:
    settings = PostgresSettings(extra=(("shared_preload_libraries", ""),))
    with PostgresServer(tmp_path, settings) as bare:
        collector = PostgresCollector(bare.monitor_dsn, target="db1")
        problems = collector.check()
        sample = collector.sample(time.time())
        collector.close()
    assert problems == ["pg_stat_statements is not in shared_preload_libraries on db1"]
    metrics = dict(sample.metrics)
    assert metrics["db.connections.max"] > 0 and "db.latency_ms" in metrics
    assert sample.statements == []


def test_a_full_server_is_a_warning_not_a_preflight_problem(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Every slot taken is what a campaign comes to measure: the run starts, the
    collector retries, the analysis counts the refusals."""
    settings = PostgresSettings(max_connections=5)  # 3 reserved for superusers: 2 for roles
    with PostgresServer(tmp_path, settings) as full:
        held = [psycopg.connect(full.monitor_dsn) for _ in range(2)]
        try:
            assert PostgresCollector(full.monitor_dsn, target="db1").check() == []
        finally:
            for conn in held:
                conn.close()
    assert "db1: every connection slot is taken" in caplog.text
    assert "reserved_connections" in caplog.text


def test_check_of_an_unreachable_server_is_one_line() -> None:
    problems = PostgresCollector("postgresql://monitor:pw@127.0.0.1:1/esppd").check()
    assert len(problems) == 1 and problems[0].startswith("postgres: cannot connect")
    assert "pw" not in problems[0].replace("postgres", "")


def test_a_restart_mid_sampling_is_a_recorded_gap_then_sampling_resumes(
        postgres: PostgresServer, tmp_path: Path) -> None:
    sampler = Sampler(tmp_path, [PostgresCollector(postgres.monitor_dsn)], interval_s=0.25,
                      secrets=[postgres.monitor_password], say=lambda _text: None)
    sampler.start()
    wait_until(lambda: len(sample_times(tmp_path)) >= 3)  # sampling before the restart
    restarted_at = time.time()
    postgres.restart(down_s=1.5)
    gap = wait_until(lambda: next((e for e in read_events(tmp_path)
                                   if e["kind"] == "collector_gap"), None))
    wait_until(lambda: any(ts >= gap["end"] for ts in sample_times(tmp_path)))  # resumed
    sampler.stop()
    events = read_events(tmp_path)
    assert [e["kind"] for e in events] == ["collector_error", "collector_gap"]
    gap = events[1]
    assert gap["start"] >= restarted_at - 0.5 and gap["end"] - gap["start"] >= 1.5
    stamps = sorted({float(row["ts"]) for row in read_metrics(tmp_path)})
    assert stamps[0] < gap["start"] and stamps[-1] >= gap["end"]
    assert not [ts for ts in stamps if gap["start"] <= ts < gap["end"]]  # the gap is visible
    assert postgres.monitor_password not in (tmp_path / "events.jsonl").read_text()


def test_a_frozen_server_is_a_recorded_stall_while_it_lasts(
        postgres: PostgresServer, tmp_path: Path) -> None:
    """SIGSTOP keeps the connection open and unanswered: no client timeout fires, so only
    the watchdog can say that the database stopped answering, and since when."""
    sampler = Sampler(tmp_path, [PostgresCollector(postgres.monitor_dsn)], interval_s=0.5,
                      say=lambda _text: None)
    sampler.start()
    try:
        wait_until(lambda: len(sample_times(tmp_path)) >= 2)
        server = psutil.Process(postgres.pid)
        frozen = [server, *server.children(recursive=True)]  # the collector's backend too
        frozen_at = time.time()
        for process in frozen:
            process.suspend()
        try:
            stall = wait_until(lambda: next((e for e in read_events(tmp_path)
                                             if e["kind"] == "collector_stalled"), None))
            wait_until(lambda: sum(row["metric"] == "collector.waiting_s{postgres}"
                                   for row in read_metrics(tmp_path)) >= 2)
        finally:
            for process in frozen:
                process.resume()
        resumed_at = time.time()
        wait_until(lambda: any(ts > resumed_at for ts in sample_times(tmp_path)))
    finally:
        sampler.stop()
    assert frozen_at - 1 <= float(stall["start"]) <= frozen_at + 1   # type: ignore[arg-type]
    waits = [(float(row["ts"]), float(row["value"])) for row in read_metrics(tmp_path)
             if row["metric"] == "collector.waiting_s{postgres}"]
    assert all(value >= 1.5 for _ts, value in waits)   # 3 intervals of 0.5 s, at least
    assert [value for _ts, value in waits] == sorted(value for _ts, value in waits)
    assert all(frozen_at < ts <= resumed_at + 1 for ts, _value in waits)


def test_statement_texts_are_written_once(postgres: PostgresServer) -> None:
    collector = PostgresCollector(postgres.monitor_dsn)
    collector.sample(time.time())
    run(postgres.dsn, "SELECT %s::int - 5", 3)
    first = collector.sample(time.time())
    run(postgres.dsn, "SELECT %s::int - 5", 3)
    second = collector.sample(time.time())
    assert any("- $2" in query for _id, query in first.queries)
    assert not any("- $2" in query for _id, query in second.queries)
    collector.close()


def test_the_root_of_a_lock_queue_comes_first(postgres: PostgresServer) -> None:
    """Three sessions queue for a row a fourth holds: the first in the queue blocks the
    two behind it, more than the holder does; the holder is still the first row."""
    with psycopg.connect(postgres.dsn, autocommit=True) as setup:
        setup.execute("CREATE TABLE IF NOT EXISTS queue_row (id int PRIMARY KEY, n int)")
        setup.execute("INSERT INTO queue_row VALUES (1, 0) ON CONFLICT DO NOTHING")
    collector = PostgresCollector(postgres.monitor_dsn)
    holder = psycopg.connect(postgres.dsn)
    holder.execute("UPDATE queue_row SET n = n + 1 WHERE id = 1")

    def wait_for_row() -> None:
        with psycopg.connect(postgres.dsn, autocommit=True) as waiter:
            waiter.execute("UPDATE queue_row SET n = n + 1 WHERE id = 1")

    threads = [threading.Thread(target=wait_for_row) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        def queued() -> Sample | None:
            sample = collector.sample(time.time())
            return sample if dict(sample.metrics).get("db.wait{Lock}", 0) >= 3 else None

        sample = wait_until(queued, timeout=10)
        assert len(sample.blockers) >= 2  # the holder, and the first waiter in the queue
        assert sample.blockers[0][0] == holder.info.backend_pid
        assert [row[7] for row in sample.blockers] == \
            [False] + [True] * (len(sample.blockers) - 1)
    finally:
        holder.rollback()
        holder.close()
        for thread in threads:
            thread.join(timeout=10)
        collector.close()


def test_connections_are_grouped_by_who_holds_them(postgres: PostgresServer) -> None:
    held = [psycopg.connect(postgres.dsn, application_name="batch-import") for _ in range(3)]
    collector = PostgresCollector(postgres.monitor_dsn)
    try:
        rows = collector.sample(time.time()).sessions
        batch = [row for row in rows if row[0] == "batch-import"]
        assert batch == [["batch-import", batch[0][1], batch[0][2], "idle", 3]]
        assert batch[0][1] in ("127.0.0.1", "local") and batch[0][2]  # client, role
        assert len(rows) <= 10
    finally:
        for conn in held:
            conn.close()
        collector.close()


def test_laravels_queue_tables_when_present_and_no_server_error_when_not(
        postgres: PostgresServer) -> None:
    absent = PostgresCollector(postgres.monitor_dsn)
    metrics = dict(absent.sample(time.time()).metrics)
    assert not any(name.startswith(("queue.length", "queue.failed")) for name in metrics)
    log = (postgres.log_dir / "postgresql.log").read_text()
    assert 'relation "jobs" does not exist' not in log  # asked the catalog, not the table
    absent.close()
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE jobs (id bigserial PRIMARY KEY, queue text NOT NULL, "
                     "payload text, attempts smallint DEFAULT 0, reserved_at int)")
        conn.execute("CREATE TABLE failed_jobs (id bigserial PRIMARY KEY, queue text NOT NULL)")
        conn.execute("GRANT SELECT ON jobs, failed_jobs TO monitor")
        conn.execute("INSERT INTO jobs (queue, reserved_at) VALUES ('documents', NULL), "
                     "('documents', NULL), ('documents', 1700000000)")
        conn.execute("INSERT INTO failed_jobs (queue) VALUES ('documents')")
    try:
        present = PostgresCollector(postgres.monitor_dsn)
        metrics = dict(present.sample(time.time()).metrics)
        assert metrics["queue.length{documents}"] == 2
        assert metrics["queue.reserved{documents}"] == 1
        assert metrics["queue.failed{documents}"] == 1
        present.close()
    finally:
        with psycopg.connect(postgres.dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE jobs, failed_jobs")


def test_commits_waiting_on_the_log_are_wal_waits_apart_from_the_datas_io(
        postgres: PostgresServer) -> None:
    """The server held to 8 writes a second by a cgroup's I/O limit, 6 sessions each
    committing one row at a time: they wait on the WAL's write and flush, or on the WAL
    write lock while another flushes for the group (LWLock WALWrite). The collector counts
    those as `db.wait{WAL}`, none of them as the data's `IO`."""
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS wal_probe (id int)")
    server = psutil.Process(postgres.pid)
    stop = threading.Event()

    def commit_rows() -> None:
        with psycopg.connect(postgres.dsn, autocommit=True) as conn:
            while not stop.is_set():
                conn.execute("INSERT INTO wal_probe VALUES (1)")

    with contextlib.ExitStack() as held:
        try:
            held.enter_context(io_limit(
                [server.pid, *(p.pid for p in server.children())],
                block_device(server.cwd()), 8, f"esppd-test-{uuid.uuid4().hex[:8]}"))
        except (ServiceError, psutil.Error) as error:
            pytest.skip(f"no disk I/O limit here: {error}")
        writers = [threading.Thread(target=commit_rows) for _ in range(6)]
        for writer in writers:
            writer.start()
        held.callback(lambda: [writer.join(timeout=30) for writer in writers])
        held.callback(stop.set)
        collector = PostgresCollector(postgres.monitor_dsn)
        waits = []
        for _ in range(8):
            time.sleep(0.4)
            metrics = dict(collector.sample(time.time()).metrics)
            waits.append((metrics["db.wait{WAL}"], metrics["db.wait{IO}"]))
        collector.close()
    assert max(wal for wal, _io in waits) >= 4, waits
    assert sum(wal for wal, _io in waits) > 5 * sum(io for _wal, io in waits), waits
