"""MySQL/MariaDB collector against a real MariaDB, read through the least-privilege account."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from collectors.base import Sample
from collectors.mysql import MySQLCollector
from supervision.servers import MariaDBServer, MariaDBSettings

pytestmark = pytest.mark.timeout(120)

SHIPPED_CONFIG = Path(__file__).resolve().parents[3] / "deploy" / "mariadb" / "esppd.cnf"


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBServer]:
    with MariaDBServer(tmp_path_factory.mktemp("mariadb-logs"),
                       MariaDBSettings(max_connections=12, include=SHIPPED_CONFIG)) as server:
        with server.connect() as conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL) "
                        "ENGINE=InnoDB")
            cur.execute("INSERT INTO counter VALUES (1, 0), (2, 0)")
            conn.commit()
        yield server


def metrics(collector: MySQLCollector) -> dict[str, float]:
    return dict(collector.sample(time.time()).metrics)


def run(server: MariaDBServer, sql: str, times: int) -> None:
    with server.connect() as conn, conn.cursor() as cur:
        for index in range(times):
            cur.execute(sql, (index,))


def waiting_writer(server: MariaDBServer, timeout: str, sql: str) -> threading.Thread:
    """A thread that runs `sql` in a session allowed to wait 20 s (`timeout` names the
    setting) and commits: it waits on whatever lock the test holds."""

    def write() -> None:
        with server.connect() as writer, writer.cursor() as cur:
            cur.execute(f"SET SESSION {timeout} = 20")
            cur.execute(sql)
            writer.commit()

    thread = threading.Thread(target=write)
    thread.start()
    return thread


def sample_until_waiting(collector: MySQLCollector) -> tuple[Sample, dict[str, float]]:
    """Samples until one counts a lock request waiting (10 s at most)."""
    deadline = time.monotonic() + 10
    while True:
        sample = collector.sample(time.time())
        seen = dict(sample.metrics)
        if seen.get("db.locks.ungranted") or time.monotonic() > deadline:
            return sample, seen
        time.sleep(0.1)


def test_a_statement_run_100_times_is_a_calls_delta_of_exactly_100(
        mariadb: MariaDBServer) -> None:
    collector = MySQLCollector(mariadb.monitor_dsn)
    assert collector.check() == []
    collector.sample(time.time())  # baseline: history is not load
    run(mariadb, "SELECT %s + 100 AS hundred", 100)
    sample = collector.sample(time.time())
    texts = dict(sample.queries)
    calls = {texts.get(row[0], ""): row[1] for row in sample.statements}
    matching = [count for text, count in calls.items() if "+ ?" in text and "hundred" in text]
    assert matching == [100]
    again = collector.sample(time.time())
    assert not [row for row in again.statements if row[0] in texts and "hundred" in texts[row[0]]]
    assert not any("performance_schema" in text for text in texts.values())  # its own: out
    collector.close()


def test_a_lock_wait_is_counted_with_its_blocker(mariadb: MariaDBServer) -> None:
    collector = MySQLCollector(mariadb.monitor_dsn)
    holder = mariadb.connect()
    with holder.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute("SELECT n FROM counter WHERE id = 1 FOR UPDATE")
    thread = waiting_writer(mariadb, "innodb_lock_wait_timeout",
                            "UPDATE counter SET n = n + 1 WHERE id = 1")
    try:
        sample, seen = sample_until_waiting(collector)
        assert seen["db.locks.ungranted"] >= 1 and seen["db.lock_blockers"] == 1
        # The culprit, named: the holder's thread, asleep inside its transaction.
        assert [row[0] for row in sample.blockers] == [holder.thread_id()]
        _id, _app, client, user, state, age, waiting, blocked, _query = sample.blockers[0]
        assert (state, waiting, blocked) == ("idle in transaction", 1, False)
        assert client and user and age is not None and age >= 0
        assert seen["db.wait{Lock}"] >= 1
        assert seen["db.connections.idle_in_transaction"] >= 1  # the holder, asleep in its trx
        # Connections by holder: the owner's account, the holder asleep in its transaction.
        states = {row[3]: row[4] for row in sample.sessions if row[2] == "esppd"}
        assert states.get("idle in transaction", 0) >= 1 and states.get("active", 0) >= 1
    finally:
        holder.rollback()
        holder.close()
        thread.join()
        collector.close()


def test_a_table_lock_wait_names_the_session_holding_lock_tables(
        mariadb: MariaDBServer) -> None:
    """A dump's LOCK TABLES ... READ: writers queue for the metadata lock, which InnoDB's
    lock tables never show; a reader that came after them is no blocker."""
    collector = MySQLCollector(mariadb.monitor_dsn)
    dump = pymysql.connect(host="127.0.0.1", port=mariadb.port, user="esppd",
                           password=mariadb.password, database="esppd", program_name="mysqldump")
    with dump.cursor() as cur:
        cur.execute("LOCK TABLES counter READ")
    thread = waiting_writer(mariadb, "lock_wait_timeout",
                            "UPDATE counter SET n = n + 1 WHERE id = 2")
    late_reader = mariadb.connect()
    try:
        time.sleep(4)  # ages count in whole seconds: the reader comes well after the writer
        with late_reader.cursor() as cur:
            cur.execute("SELECT n FROM counter WHERE id = 1")  # its transaction stays open
        sample, seen = sample_until_waiting(collector)
        assert seen["db.wait{Lock}"] >= 1 and seen["db.locks.ungranted"] == 1
        assert [row[0] for row in sample.blockers] == [dump.thread_id()]
        _id, application, _client, user, state, age, waiting, blocked, query = \
            sample.blockers[0]
        assert (application, user, state, waiting, blocked) == (
            "mysqldump", "esppd", "idle in transaction", 1, False)
        assert age is not None and age >= 4
        assert str(query).upper().startswith("LOCK TABLES")
        applications = {row[0] for row in sample.sessions}
        assert "mysqldump" in applications
    finally:
        dump.close()  # ends LOCK TABLES
        thread.join()
        late_reader.close()
        collector.close()


def test_refused_connections_are_recorded(mariadb: MariaDBServer,
                                          caplog: pytest.LogCaptureFixture) -> None:
    collector = MySQLCollector(mariadb.monitor_dsn)
    metrics(collector)  # baseline of the counters
    held, refused = [], 0
    try:
        for _ in range(20):
            try:
                held.append(mariadb.connect())
            except pymysql.err.OperationalError:
                refused += 1
        assert refused > 0
        seen = metrics(collector)
        # A full server is what the campaign measures: pre-flight warns and lets it start.
        late = MySQLCollector(mariadb.monitor_dsn, target="db1")
        assert late.check() == []
        late.close()
        assert "db1: every connection slot is taken" in caplog.text
        for conn in held:
            conn.close()
        held = []
        metrics(collector)  # no longer full
        with pytest.raises(pymysql.err.OperationalError):
            pymysql.connect(host="127.0.0.1", port=mariadb.port, user="esppd",
                            password="not-the-password")
        after = metrics(collector)
    finally:
        for conn in held:
            conn.close()
        collector.close()
    assert seen["db.connections.refused_rate"] > 0
    assert seen["db.connections.max"] == 12
    # A failed login once the server has room is no refusal (MariaDB counts both in
    # Aborted_connects, and Max_used_connections remembers that it was full).
    assert after["db.connections.refused_rate"] == 0


def test_a_missing_privilege_and_performance_schema_off_are_preflight_lines(
        mariadb: MariaDBServer, tmp_path: Path) -> None:
    root = pymysql.connect(unix_socket=str(mariadb.socket), user="root", password="",
                           autocommit=True)
    with root, root.cursor() as cur:
        for host in ("127.0.0.1", "localhost"):
            cur.execute("CREATE USER 'weak'@%s IDENTIFIED BY 'weakpass'", (host,))
            cur.execute("GRANT SELECT ON esppd.* TO 'weak'@%s", (host,))
    weak = MySQLCollector(f"mysql://weak:weakpass@127.0.0.1:{mariadb.port}/esppd", target="db1")
    problems = weak.check()
    assert any("GRANT SELECT ON performance_schema.*" in line for line in problems), problems
    assert any("GRANT PROCESS ON *.*" in line for line in problems), problems
    weak.close()
    with MariaDBServer(tmp_path, MariaDBSettings(performance_schema=False)) as bare:
        off = MySQLCollector(bare.monitor_dsn, target="db2")
        assert any(line.startswith("performance_schema is OFF on db2") for line in off.check())
        off.close()


def test_global_status_counters_become_rates(mariadb: MariaDBServer) -> None:
    """Only the counters the collector reads are asked for; each still arrives."""
    collector = MySQLCollector(mariadb.monitor_dsn)
    metrics(collector)
    run(mariadb, "SELECT n FROM counter WHERE id = %s", 50)
    time.sleep(0.2)
    seen = metrics(collector)
    assert seen["mysql.questions_rate"] >= 50  # the 50 selects, within a fraction of a second
    assert seen["db.connections.total"] >= 0 and seen["db.connections.max"] == 12
    assert 0 <= seen["db.cache_hit_ratio"] <= 1
    assert seen["mysql.row_lock_current_waits"] == 0
    collector.close()


def test_table_rows_carry_the_rows_changed_since_innodb_sampled_its_statistics(
        mariadb: MariaDBServer) -> None:
    with mariadb.connect() as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE visits (id int PRIMARY KEY, n int) ENGINE=InnoDB "
                    "STATS_AUTO_RECALC=0")
        cur.execute("INSERT INTO visits SELECT seq, 0 FROM seq_1_to_200")
        conn.commit()
        cur.execute("ANALYZE TABLE visits")
        cur.fetchall()
        cur.execute("UPDATE visits SET n = 1 WHERE id <= 150")
        conn.commit()
    collector = MySQLCollector(mariadb.monitor_dsn)
    collector.sample(time.time())
    run(mariadb, "SELECT n FROM visits WHERE n = %s", 3)  # full scans: the table is read
    rows = {row[0]: row for row in collector.sample(time.time()).tables}
    collector.close()
    assert rows["visits"][4:] == [200, 150, None, None]
