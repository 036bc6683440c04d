"""PostgreSQL collector: statements, activity and waits, connections, database and table counters.

Signals both engines have are `db.*` (shared with the MySQL collector, so every
`db.*` rule reads either); PostgreSQL's own are `pg.*`.

Read-only session with a statement timeout; its own statements carry a marker
comment and are left out of the statement deltas. pg_stat_statements deltas
are keyed by (userid, dbid, queryid, toplevel), survive a stats reset (a
counter going backwards or a new stats_reset starts a new baseline), and stay
bounded: the top N statements of each sample plus one `other` row. Column
names are chosen per server version (PG 13-17). Needs only pg_monitor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

from collectors.base import (
    Rates,
    Sample,
    full_server_is_no_problem,
    holders,
    round_trip_ms,
)
from collectors.laravel_tables import LaravelQueueTables
from collectors.sqlnorm import normalize

PG_MONITOR_SLOT = ("give its role one: PostgreSQL 16+ reserved_connections with "
                   "pg_use_reserved_connections, or a CONNECTION LIMIT on the app's role")

MARK = "/* esppd-collector */ "
TOP_N = 20
TOP_BLOCKERS = 5
# Backends waiting on the write-ahead log's durable write, the wait of every commit: the
# log's write and fsync (IO), a turn at the WAL write lock while another backend flushes
# for the group (LWLock WALWrite; WALWriteLock before PostgreSQL 13), a synchronous
# standby's confirmation (IPC SyncRep). Counted apart as `db.wait{WAL}`, so `IO` stays
# the reads and writes of data: the two have different causes and fixes.
WAL_WAITS = ("(wait_event_type = 'IO' AND wait_event IN ('WALSync', 'WALWrite', "
             "'WALInitSync', 'WALInitWrite')) OR (wait_event_type IN ('LWLock', "
             "'LWLockNamed') AND wait_event IN ('WALWrite', 'WALWriteLock')) OR "
             "(wait_event_type = 'IPC' AND wait_event = 'SyncRep')")
MAX_TEXTS = 20_000   # statement texts remembered (pg_stat_statements.max is 5000)
STATEMENT_FIELDS = ("calls", "total_exec_time", "rows", "shared_blks_hit", "shared_blks_read",
                    "temp_blks_written", "blk_read_time")


# The spellings a table's autovacuum_enabled = off takes in pg_class.reloptions.
AUTOVACUUM_OFF = [f"autovacuum_enabled={value}" for value in ("false", "off", "no", "0")]

DATABASE_SQL = """/* esppd-collector */
    SELECT xact_commit, xact_rollback, blks_hit, blks_read, temp_bytes, deadlocks
    FROM pg_stat_database WHERE datname = current_database()"""
UNGRANTED_SQL = "/* esppd-collector */ SELECT count(*) AS n FROM pg_locks WHERE NOT granted"
RESET_SQL = "/* esppd-collector */ SELECT stats_reset FROM pg_stat_statements_info"
# Per table: live rows, n_live_tup or the planner's estimate when a stats reset zeroed it
# (a big table must not look small because someone ran pg_stat_reset()). Partitions count
# under their root table: queries name `sppd`, not `sppd_2025`. The planner's view of
# each: rows changed since its statistics were taken, parts never analyzed (reltuples -1,
# as a restore or pg_upgrade leaves them), and whether autovacuum analyzes every part by
# itself.
TABLES_SQL = """/* esppd-collector */
    SELECT r.relname, sum(t.seq_scan)::bigint AS seq_scan,
           sum(t.seq_tup_read)::bigint AS seq_tup_read,
           sum(COALESCE(t.idx_scan, 0))::bigint AS idx_scan,
           sum(CASE WHEN c.relkind = 'p' THEN 0  -- its rows are its partitions'
                    ELSE GREATEST(t.n_live_tup, c.reltuples::bigint) END
              )::bigint AS n_live_tup,
           sum(t.n_mod_since_analyze)::bigint AS n_mod_since_analyze,
           count(*) FILTER (WHERE c.relkind <> 'p' AND c.reltuples < 0
                            AND t.last_analyze IS NULL
                            AND t.last_autoanalyze IS NULL) AS unanalyzed,
           bool_and(c.relkind = 'p' OR (current_setting('autovacuum')::bool
                    AND NOT COALESCE(c.reloptions && %s, false))) AS auto_analyze
    FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
    JOIN pg_class r ON r.oid = COALESCE(pg_partition_root(t.relid), t.relid)
    GROUP BY r.relname"""


@dataclass
class PostgresCollector:
    dsn: str
    target: str = "postgres"
    name: str = "postgres"
    timeout_ms: int = 2000
    rates: Rates = field(default_factory=Rates)
    _conn: psycopg.Connection[Any] | None = None
    _columns: dict[str, str] = field(default_factory=dict)
    _previous: dict[tuple[Any, ...], dict[str, float]] = field(default_factory=dict)
    _baseline_taken: bool = False
    _known_queries: set[str] = field(default_factory=set)
    # queryid -> its text; None for the collector's own statements
    _texts: dict[int, str | None] = field(default_factory=dict)
    _stats_reset: Any = None
    _has_statements_info: bool = True
    _preloaded: bool = False          # pg_stat_statements in shared_preload_libraries
    _has_statements: bool = False     # ... and created: its view can be read
    _max_connections: int = 0
    _tables: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    _lock_waiters: set[int] = field(default_factory=set)
    _queue_tables: LaravelQueueTables = field(default_factory=LaravelQueueTables)
    _activity_sql: str = ""     # built for the server's version on connect
    _statements_sql: str = ""

    def _connect(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(
                self.dsn, autocommit=True, connect_timeout=5, row_factory=dict_row,
                application_name="esppd-collector",
                options=f"-c statement_timeout={self.timeout_ms} "
                        "-c default_transaction_read_only=on")
            self._prepare(self._conn)
        return self._conn

    @staticmethod
    def _one(conn: psycopg.Connection[Any], sql: str) -> dict[str, Any]:
        """The single row of a statement that always returns one (SHOW, count(*))."""
        row = conn.execute(MARK + sql).fetchone()
        if row is None:
            raise psycopg.ProgrammingError(f"no row from: {sql}")
        return dict(row)

    def _prepare(self, conn: psycopg.Connection[Any]) -> None:
        version = int(self._one(conn, "SHOW server_version_num")["server_version_num"])
        self._columns = {
            "total_exec_time": "total_exec_time" if version >= 130000 else "total_time",
            "blk_read_time": "shared_blk_read_time" if version >= 170000 else "blk_read_time",
            "toplevel": "toplevel" if version >= 140000 else "true",
            # pg_stat_activity.query_id (14+): which statement a lock waiter runs.
            "lock_query_id": "CASE WHEN wait_event_type = 'Lock' THEN query_id END"
            if version >= 140000 else "NULL::bigint",
        }
        # What an ordinary role can reach: the slots kept for superusers (and, 16+, for
        # pg_use_reserved_connections) refuse the app with "too many clients" before
        # max_connections. With max_connections = 10 the app gets 7.
        reserved = int(self._one(conn, "SHOW superuser_reserved_connections")[
            "superuser_reserved_connections"])
        if version >= 160000:
            reserved += int(self._one(conn, "SHOW reserved_connections")["reserved_connections"])
        self._max_connections = int(
            self._one(conn, "SHOW max_connections")["max_connections"]) - reserved
        # pg_stat_statements_info (14+) dates resets; on 13 a reset shows as falling call
        # counts, whose statements are skipped for that one sample.
        self._has_statements_info = version >= 140000
        # Without the extension every other signal is still read (check() says what is
        # missing); its statement rows are left out.
        self._preloaded = "pg_stat_statements" in self._one(
            conn, "SHOW shared_preload_libraries")["shared_preload_libraries"]
        self._has_statements = self._preloaded and conn.execute(
            "/* esppd-collector */ SELECT 1 FROM pg_extension "
            "WHERE extname = 'pg_stat_statements'").fetchone() is not None
        cols = self._columns
        self._activity_sql = f"""/* esppd-collector */
            SELECT state, CASE WHEN {WAL_WAITS} THEN 'WAL' ELSE wait_event_type END
                       AS wait_event_type, {cols["lock_query_id"]} AS lock_query,
                   application_name, host(client_addr) AS client, usename,
                   count(*) AS n,
                   max(extract(epoch FROM now() - query_start))
                       FILTER (WHERE state = 'active') AS longest
            FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
            GROUP BY 1, 2, 3, 4, 5, 6"""  # noqa: S608  # version columns
        # Without texts: pg_stat_statements(true) reads the server's whole query text file
        # on every call; a text is fetched once, when its statement first appears.
        self._statements_sql = f"""/* esppd-collector */
            SELECT userid, dbid, queryid, {cols['toplevel']} AS toplevel, calls,
                   {cols['total_exec_time']} AS total_exec_time, rows, shared_blks_hit,
                   shared_blks_read, temp_blks_written, {cols['blk_read_time']} AS blk_read_time
            FROM pg_stat_statements(false)
            WHERE queryid IS NOT NULL"""  # noqa: S608  # version columns

    def check(self) -> list[str]:
        try:
            self._connect()
        except psycopg.Error as error:
            reason = str(error).strip().splitlines()[0]
            if full_server_is_no_problem(self.target, reason, PG_MONITOR_SLOT):
                return []
            return [f"{self.target}: cannot connect: {reason}"]
        if not self._preloaded:
            return [f"pg_stat_statements is not in shared_preload_libraries on {self.target}"]
        if not self._has_statements:
            return [f"pg_stat_statements is preloaded but not created on {self.target}: run "
                    "CREATE EXTENSION pg_stat_statements"]
        return []

    def sample(self, ts: float) -> Sample:
        conn = self._connect()
        out = Sample()
        out.add("db.latency_ms", round_trip_ms(lambda: conn.execute(MARK + "SELECT 1")))
        # The reads every sample makes, sent together: on loopback a round trip's system
        # calls (both sides) cost more than the rows it brings.
        with conn.pipeline():
            activity = conn.execute(self._activity_sql)
            ungranted = conn.execute(UNGRANTED_SQL)
            database = conn.execute(DATABASE_SQL)
            reset = conn.execute(RESET_SQL) \
                if self._has_statements and self._has_statements_info else None
            statements = conn.execute(self._statements_sql) if self._has_statements else None
            tables = conn.execute(TABLES_SQL, (AUTOVACUUM_OFF,))
        self._activity(conn, activity.fetchall(), ungranted.fetchone(), out)
        self._database(database.fetchone(), ts, out)
        if statements is not None:
            self._statements(conn, reset.fetchone() if reset else None, statements.fetchall(),
                             out)
        self._user_tables(tables.fetchall(), out)
        self._queue_tables.sample(
            lambda sql: conn.execute(MARK + sql).fetchall(),
            psycopg.Error, out)
        return out

    def _activity(self, conn: psycopg.Connection[Any], rows: list[dict[str, Any]],
                  ungranted: dict[str, Any] | None, out: Sample) -> None:
        """Backends by state and wait event; lock waiters also by the statement they run
        (`pg.lock_wait{queryid}`), which tells a statement that is slow from one that
        queues behind a lock."""
        out.sessions.extend(holders(
            ((row["application_name"] or "", row["client"] or "local", row["usename"] or "",
              row["state"] or "unknown"), row["n"]) for row in rows))
        by_state: dict[str, int] = {}
        waits: dict[str, int] = {"Lock": 0, "LWLock": 0, "IO": 0, "WAL": 0, "CPU": 0}
        lock_waits: dict[int, int] = {}
        longest = 0.0
        for row in rows:
            state = row["state"] or "unknown"
            by_state[state] = by_state.get(state, 0) + row["n"]
            if state == "active":
                kind = row["wait_event_type"] or "CPU"
                waits[kind] = waits.get(kind, 0) + row["n"]
                longest = max(longest, float(row["longest"] or 0))
                if kind == "Lock" and row["lock_query"] is not None:
                    lock_waits[row["lock_query"]] = lock_waits.get(row["lock_query"], 0) + row["n"]
        total = sum(by_state.values())
        out.add("db.connections.total", total)
        out.add("db.connections.max", self._max_connections)
        out.add("db.connections.active", by_state.get("active", 0))
        out.add("db.connections.idle", by_state.get("idle", 0))
        out.add("db.connections.idle_in_transaction", by_state.get("idle in transaction", 0))
        for kind, count in sorted(waits.items()):
            out.add(f"db.wait{{{kind}}}", count)
        # Bounded like the statement rows.
        out.add_per_label("db.lock_wait", lock_waits, self._lock_waiters, TOP_N)
        out.add("db.longest_query_s", longest)
        out.add("db.locks.ungranted", ungranted["n"] if ungranted else None)
        if lock_waits or waits["Lock"]:
            self._blockers(conn, out)

    def _blockers(self, conn: psycopg.Connection[Any], out: Sample) -> None:
        """The sessions lock waiters wait for (pg_blocking_pids): the culprit, named.

        Roots (blockers that wait on nothing) first: the links of a queue behind one
        holder each block more sessions than the holder itself does."""
        rows = conn.execute("""/* esppd-collector */
            SELECT b.pid, b.application_name, host(b.client_addr) AS client,
                   b.usename, b.state,
                   extract(epoch FROM now() - b.xact_start) AS xact_age_s,
                   count(*) AS waiting,
                   coalesce(b.wait_event_type = 'Lock', false) AS blocked, b.query
            FROM pg_stat_activity w
            CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid)
            JOIN pg_stat_activity b ON b.pid = blocker.pid
            WHERE w.wait_event_type = 'Lock'
            GROUP BY b.pid, b.application_name, b.client_addr, b.usename, b.state,
                     b.xact_start, b.wait_event_type, b.query
            ORDER BY blocked, waiting DESC
            LIMIT %s""", (TOP_BLOCKERS,)).fetchall()
        out.blockers.extend(
            [row["pid"], row["application_name"] or "", row["client"] or "local",
             row["usename"] or "", row["state"] or "",
             round(float(row["xact_age_s"]), 1) if row["xact_age_s"] is not None else None,
             row["waiting"], bool(row["blocked"]), normalize(row["query"] or "")]
            for row in rows)

    def _database(self, row: dict[str, Any] | None, ts: float, out: Sample) -> None:
        if row is None:
            return
        out.add("pg.xact_commit_rate", self.rates.rate("commit", row["xact_commit"], ts))
        out.add("pg.xact_rollback_rate", self.rates.rate("rollback", row["xact_rollback"], ts))
        out.add("db.temp_bytes", self.rates.rate("temp", row["temp_bytes"], ts))
        out.add("db.deadlocks", self.rates.rate("deadlocks", row["deadlocks"], ts))
        hit = self.rates.delta("hit", float(row["blks_hit"]))
        read = self.rates.delta("read", float(row["blks_read"]))
        if hit is not None and read is not None and hit + read > 0:
            out.add("db.cache_hit_ratio", hit / (hit + read))

    def _statements(self, conn: psycopg.Connection[Any], info: dict[str, Any] | None,
                    rows: list[dict[str, Any]], out: Sample) -> None:
        if info is not None and info["stats_reset"] != self._stats_reset:
            if self._stats_reset is not None:
                self._previous.clear()  # a reset: everything starts from zero again
            self._stats_reset = info["stats_reset"]
        self._learn_texts(conn, {row["queryid"] for row in rows} - self._texts.keys())
        rows = [row for row in rows if self._texts.get(row["queryid"]) is not None]
        current: dict[tuple[Any, ...], dict[str, float]] = {}
        deltas = []
        for row in rows:
            key = (row["userid"], row["dbid"], row["queryid"], row["toplevel"])
            values = {name: float(row[name] or 0) for name in STATEMENT_FIELDS}
            current[key] = values
            if not self._baseline_taken:
                continue  # the first sample is history, not load
            # A statement new since the last sample (or since a reset) starts from zero.
            before = self._previous.get(key) or dict.fromkeys(STATEMENT_FIELDS, 0.0)
            if values["calls"] < before["calls"]:
                continue  # its entry was evicted and re-created: no trustworthy delta
            delta = {name: values[name] - before[name] for name in STATEMENT_FIELDS}
            if delta["calls"] > 0:
                deltas.append((str(row["queryid"]), self._texts[row["queryid"]], delta))
        self._previous = current
        self._baseline_taken = True
        deltas.sort(key=lambda item: item[2]["total_exec_time"], reverse=True)
        top, rest = deltas[:TOP_N], deltas[TOP_N:]
        for queryid, query, delta in top:
            out.statements.append(statement_row(queryid, delta))
            if queryid not in self._known_queries:
                self._known_queries.add(queryid)
                out.queries.append([queryid, query])
        if rest:
            other = {name: sum(item[2][name] for item in rest) for name in STATEMENT_FIELDS}
            out.statements.append(statement_row("other", other))

    def _learn_texts(self, conn: psycopg.Connection[Any], queryids: set[int]) -> None:
        """The texts of statements not seen before; the collector's own (marked) are
        remembered as None, so they are left out of the deltas. A statement evicted before
        its text was read stays unknown until it shows up again."""
        if not queryids:
            return
        if len(self._texts) + len(queryids) > MAX_TEXTS:
            self._texts.clear()  # bounded: statements evicted long ago are read again
        for row in conn.execute(
                "/* esppd-collector */ SELECT DISTINCT queryid, query "
                "FROM pg_stat_statements(true) WHERE queryid = ANY(%s)",
                (list(queryids),)).fetchall():
            query = row["query"] or ""
            self._texts[row["queryid"]] = None if query.startswith(MARK.strip()) else query

    def _user_tables(self, rows: list[dict[str, Any]], out: Sample) -> None:
        current = {}
        for row in rows:
            counters = (float(row["seq_scan"]), float(row["seq_tup_read"]),
                        float(row["idx_scan"]))
            current[row["relname"]] = counters
            before = self._tables.get(row["relname"])
            if before is None or any(now < old for now, old in zip(counters, before,
                                                                    strict=True)):
                continue
            delta = [now - old for now, old in zip(counters, before, strict=True)]
            if any(delta):
                out.tables.append([row["relname"], *delta, row["n_live_tup"],
                                   row["n_mod_since_analyze"], row["unanalyzed"],
                                   int(row["auto_analyze"])])
        self._tables = current

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def statement_row(queryid: str, delta: dict[str, float]) -> list[object]:
    """A statements.csv row: PostgreSQL's columns, then MySQL's left empty."""
    return [queryid, *(round(delta[name], 3) for name in STATEMENT_FIELDS),
            None, None, None, None, None]
