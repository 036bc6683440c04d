"""MySQL / MariaDB collector: statement digests, status counters, lock waits and their
blockers, the processlist, table I/O.

What the PostgreSQL collector reads from pg_stat_statements and pg_stat_activity,
read here from performance_schema (statement digests, table I/O), the global
status counters, the processlist and InnoDB's lock-wait tables (MariaDB:
information_schema.INNODB_LOCK_WAITS; MySQL 8: performance_schema.data_lock_waits).
The shared signals carry engine-neutral `db.*` names, so every `db.*` rule reads
either engine; what only MySQL has is `mysql.*`. Least privilege: PROCESS and
SELECT on performance_schema. Its own statements carry a marker comment (seen
in the processlist) and, since digests drop comments, are left out of the
statement deltas by what they read (performance_schema, information_schema,
SHOW). Timers are picoseconds in performance_schema: divided into ms here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import pymysql
import pymysql.cursors

from collectors.base import (
    Rates,
    Sample,
    full_server_is_no_problem,
    holders,
    round_trip_ms,
)
from collectors.laravel_tables import LaravelQueueTables
from collectors.sqlnorm import fingerprint, normalize

MYSQL_MONITOR_SLOT = ("give its account the one connection kept beyond max_connections "
                      "(MySQL 8: CONNECTION_ADMIN; MariaDB: CONNECTION ADMIN), or cap the app's "
                      "account with MAX_USER_CONNECTIONS")

MARK = "/* esppd-collector */ "
TOP_N = 20
PS_PER_MS = 1e9
TOP_BLOCKERS = 5
OWN_STATEMENT = re.compile(r"performance_schema|information_schema|^\s*SHOW\b", re.I)
# Digest columns -> statements.csv fields (engine-neutral where the meaning is shared).
DIGEST_FIELDS = {
    "calls": "COUNT_STAR",
    "total_exec_time": "SUM_TIMER_WAIT",
    "rows": "SUM_ROWS_SENT",
    "rows_examined": "SUM_ROWS_EXAMINED",
    "no_index_used": "SUM_NO_INDEX_USED",
    "tmp_disk_tables": "SUM_CREATED_TMP_DISK_TABLES",
    "sort_merge_passes": "SUM_SORT_MERGE_PASSES",
    "lock_time": "SUM_LOCK_TIME",
}
TIMERS = {"total_exec_time", "lock_time"}
# Global status counters whose per-second rate is a metric.
STATUS_RATES = {
    "Questions": "mysql.questions_rate",
    # Server-side prepared statements run (Laravel's PDO default): no digest counts them.
    "Com_stmt_execute": "mysql.prepared_executions_rate",
    "Slow_queries": "mysql.slow_queries_rate",
    "Created_tmp_disk_tables": "mysql.tmp_disk_tables_rate",
    "Aborted_connects": "mysql.aborted_connects_rate",
    "Innodb_row_lock_waits": "mysql.row_lock_waits_rate",
    "Innodb_deadlocks": "db.deadlocks",
}
STATUS_READ = (*STATUS_RATES, "Threads_connected", "Connection_errors_max_connections",
               "Innodb_row_lock_current_waits",
               "Innodb_buffer_pool_reads", "Innodb_buffer_pool_read_requests")
# A client thread queued for a metadata or table-level lock (the processlist state).
METADATA_WAIT = re.compile(r"Waiting for .*lock$")
# The name a client gives itself (the mysql CLI, mysqldump, pymysql's program_name).
PROGRAM_NAME_JOIN = ("LEFT JOIN performance_schema.session_connect_attrs a "
                     "ON a.PROCESSLIST_ID = p.ID AND a.ATTR_NAME = 'program_name'")
# The statement a thread runs, or the last it ran while it idles (inside a transaction).
LAST_STATEMENT = ("(SELECT MAX(s.SQL_TEXT) FROM performance_schema.events_statements_current s "
                  "JOIN performance_schema.threads st ON st.THREAD_ID = s.THREAD_ID "
                  "WHERE st.PROCESSLIST_ID = p.ID)")
# Processlist commands that are not client work.
BACKGROUND = {"Daemon", "Binlog Dump", "Binlog Dump GTID", "Slave_IO", "Slave_SQL",
              "Slave_worker"}


@dataclass(frozen=True)
class MySQLDsn:
    host: str
    port: int
    user: str
    password: str
    database: str | None

    @classmethod
    def parse(cls, dsn: str) -> MySQLDsn:
        parts = urlsplit(dsn)
        if parts.scheme not in {"mysql", "mariadb"}:
            raise ValueError(f"not a mysql:// DSN: {parts.scheme}://...")
        return cls(parts.hostname or "127.0.0.1", parts.port or 3306,
                   unquote(parts.username or ""), unquote(parts.password or ""),
                   parts.path.lstrip("/") or None)


@dataclass
class MySQLCollector:
    dsn: str
    target: str = "mysql"
    name: str = "mysql"
    timeout_s: int = 2
    rates: Rates = field(default_factory=Rates)
    _conn: pymysql.connections.Connection | None = None
    _mariadb: bool = True
    _max_connections: int = 0
    _was_full: bool = False
    _previous: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    _baseline_taken: bool = False
    _known_queries: set[str] = field(default_factory=set)
    _tables: dict[str, tuple[float, float]] = field(default_factory=dict)
    _queue_tables: LaravelQueueTables | None = None
    _running: set[str] = field(default_factory=set)
    _waiters: set[str] = field(default_factory=set)
    _metadata_waits: int = 0

    @property
    def _schema(self) -> str | None:
        """The DSN's database: whose tables to report. The session selects no database:
        PROCESS and performance_schema do not grant USE of the app's schema."""
        return MySQLDsn.parse(self.dsn).database

    def _connect(self) -> pymysql.connections.Connection:
        if self._conn is None or not self._conn.open:
            dsn = MySQLDsn.parse(self.dsn)
            self._conn = pymysql.connect(
                host=dsn.host, port=dsn.port, user=dsn.user, password=dsn.password,
                connect_timeout=5, read_timeout=self.timeout_s + 3,
                write_timeout=5, autocommit=True, cursorclass=pymysql.cursors.DictCursor,
                program_name="esppd-collector")
            self._prepare(self._conn)
        return self._conn

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._connect().cursor() as cur:
            cur.execute(MARK + sql, params)
            return cast(list[dict[str, Any]], list(cur.fetchall()))  # a DictCursor's rows

    def _prepare(self, conn: pymysql.connections.Connection) -> None:
        with conn.cursor() as cur:
            cur.execute(MARK + "SELECT VERSION() AS version, @@max_connections AS max_connections")
            row = cast(dict[str, Any], cur.fetchone())  # a DictCursor's row
            self._mariadb = "mariadb" in str(row["version"]).lower()
            self._max_connections = int(row["max_connections"])
            # Bound every statement of this session (MariaDB and MySQL spell it differently).
            limit = ("SET SESSION max_statement_time = %s" if self._mariadb
                     else "SET SESSION max_execution_time = %s")
            cur.execute(limit, (self.timeout_s if self._mariadb else self.timeout_s * 1000,))

    def check(self) -> list[str]:
        try:
            self._connect()
        except pymysql.MySQLError as error:
            if full_server_is_no_problem(self.target, str(error.args[-1]), MYSQL_MONITOR_SLOT):
                return []
            return [f"{self.target}: cannot connect: {error.args[-1]}"]
        problems = []
        enabled = self._query("SELECT @@performance_schema AS on_")[0]["on_"]
        if not int(enabled):
            problems.append(f"performance_schema is OFF on {self.target}: start the server with "
                            "performance_schema=ON (it cannot be switched on while running)")
        probes = (
            ("SELECT 1 FROM performance_schema.events_statements_summary_by_digest LIMIT 1",
             "SELECT ON performance_schema.*"),
            ("SELECT 1 FROM information_schema.INNODB_TRX LIMIT 1"
             if self._mariadb else "SELECT 1 FROM performance_schema.data_lock_waits LIMIT 1",
             "PROCESS ON *.*"),
        )
        for sql, grant in probes:
            try:
                self._query(sql)
            except pymysql.MySQLError as error:
                problems.append(f"{self.target}: {error.args[-1]}: GRANT {grant} TO the "
                                "collector's account")
        return problems

    def sample(self, ts: float) -> Sample:
        out = Sample()
        out.add("db.latency_ms", round_trip_ms(lambda: self._query("SELECT 1")))
        self._status(ts, out)
        self._processlist(out)
        self._lock_waits(out)
        self._statements(out)
        self._table_io(out)
        if self._queue_tables is None:
            self._queue_tables = LaravelQueueTables(self._schema)
        self._queue_tables.sample(self._query, pymysql.MySQLError, out)
        return out

    def _status(self, ts: float, out: Sample) -> None:
        # Only the counters read below: the whole list is ~600 rows, and parsing them in
        # pymysql was 70% of this collector's CPU (13.5 ms a sample in all).
        names = ", ".join(["%s"] * len(STATUS_READ))
        status = {row["Variable_name"]: row["Value"] for row in self._query(
            f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})", STATUS_READ)}

        def number(name: str) -> float:
            try:
                return float(status.get(name, 0))
            except ValueError:
                return 0.0

        out.add("db.connections.total", number("Threads_connected") - 1)  # not ours
        out.add("db.connections.max", self._max_connections)
        for counter, metric in STATUS_RATES.items():
            out.add(metric, self.rates.rate(counter, number(counter), ts))
        # Refusals at max_connections: MySQL counts them in Connection_errors_max_connections;
        # MariaDB leaves that at 0 and counts them in Aborted_connects, which also counts
        # failed logins and handshake timeouts, so it stands in only while the server is
        # full: at its limit in this sample or the one before (not Max_used_connections,
        # a high-water mark that stays at the limit long after the server was full once).
        refused = self.rates.rate("refused", number("Connection_errors_max_connections"), ts)
        aborted = self.rates.rate("aborted", number("Aborted_connects"), ts)
        full = number("Threads_connected") >= self._max_connections
        if (full or self._was_full) and aborted is not None:
            refused = max(refused or 0.0, aborted)
        self._was_full = full
        out.add("db.connections.refused_rate", refused)
        out.add("mysql.row_lock_current_waits", number("Innodb_row_lock_current_waits"))
        reads = self.rates.delta("pool_reads", number("Innodb_buffer_pool_reads"))
        requests = self.rates.delta("pool_requests",
                                    number("Innodb_buffer_pool_read_requests"))
        if reads is not None and requests is not None and requests > 0:
            out.add("db.cache_hit_ratio", max(0.0, 1 - reads / requests))

    def _processlist(self, out: Sample) -> None:
        """Client threads by what they do; `active` is a thread running a statement.

        A session waiting on a lock is counted by the statement it runs
        (`db.lock_wait{id}`): its digest, or for a server-side prepared statement,
        which MariaDB never digests (Laravel's PDO default), the fingerprint of its
        text. Those undigested statements are counted running too (`db.active{id}`):
        sampled each second, the sessions running a statement are its DB time (the
        method of Oracle's ASH), where no digest times it.
        """
        rows = self._query(
            "SELECT p.ID AS id, p.COMMAND AS command, p.STATE AS state, p.TIME AS seconds, "  # noqa: S608  # FROM one of two constants
            "p.USER AS user, p.HOST AS host, a.ATTR_VALUE AS application, "
            "p.INFO AS info, t.trx_id IS NOT NULL AS in_trx, t.trx_state AS trx_state, "
            "MAX(s.DIGEST) AS digest "
            f"FROM {self._processlist_table} p "
            f"{PROGRAM_NAME_JOIN} "
            "LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID "
            "LEFT JOIN performance_schema.threads th ON th.PROCESSLIST_ID = p.ID "
            "LEFT JOIN performance_schema.events_statements_current s "
            "ON s.THREAD_ID = th.THREAD_ID AND s.END_EVENT_ID IS NULL "
            "WHERE p.ID <> CONNECTION_ID() "
            "GROUP BY p.ID, p.COMMAND, p.STATE, p.TIME, p.USER, p.HOST, a.ATTR_VALUE, p.INFO, "
            "t.trx_id, t.trx_state")
        active = idle = idle_in_trx = lock_waits = metadata_waits = 0
        longest = 0.0
        running: dict[str, int] = {}
        waiting: dict[str, int] = {}
        held: list[tuple[tuple[str, str, str, str], int]] = []
        for row in rows:
            command = row["command"] or ""
            if command in BACKGROUND or (row["state"] or "").startswith("Waiting on empty"):
                continue
            client = (row["host"] or "").rpartition(":")[0] or row["host"] or "local"
            state = ("active" if command != "Sleep" else
                     "idle in transaction" if row["in_trx"] else "idle")
            held.append(((row["application"] or "", client, row["user"] or "", state), 1))
            if command == "Sleep":
                idle += 1
                idle_in_trx += int(bool(row["in_trx"]))
                continue
            active += 1
            longest = max(longest, float(row["seconds"] or 0))
            on_metadata = bool(METADATA_WAIT.match(row["state"] or ""))
            metadata_waits += int(on_metadata)
            locked = row["trx_state"] == "LOCK WAIT" or on_metadata
            lock_waits += int(locked)
            statement = self._statement_id(row["digest"], row["info"], out)
            if statement is not None and not row["digest"]:  # digests time it exactly
                running[statement] = running.get(statement, 0) + 1
            if statement is not None and locked:
                waiting[statement] = waiting.get(statement, 0) + 1
        self._metadata_waits = metadata_waits
        out.add("mysql.metadata_lock_waits", metadata_waits)
        out.sessions.extend(holders(held))
        out.add("db.connections.active", active)
        out.add("db.connections.idle", idle)
        out.add("db.connections.idle_in_transaction", idle_in_trx)
        out.add("db.wait{Lock}", lock_waits)
        out.add("db.wait{CPU}", active - lock_waits)
        out.add("db.longest_query_s", longest)
        # Bounded like the statement rows.
        out.add_per_label("db.active", running, self._running, TOP_N)
        out.add_per_label("db.lock_wait", waiting, self._waiters, TOP_N)

    def _statement_id(self, digest: str | None, text: str | None, out: Sample) -> str | None:
        """A running statement's digest, else its text's fingerprint (its text is recorded)."""
        if digest:
            return str(digest)[:32]
        if not text or OWN_STATEMENT.search(text):
            return None
        statement, normalized = fingerprint(text)
        if statement not in self._known_queries:
            self._known_queries.add(statement)
            out.queries.append([statement, normalized])
        return statement

    @property
    def _processlist_table(self) -> str:
        return ("information_schema.PROCESSLIST" if self._mariadb
                else "performance_schema.processlist")

    def _lock_waits(self, out: Sample) -> None:
        """Lock requests waiting, and who blocks them (the culprit's thread, age, query):
        InnoDB's row and table locks, and metadata locks (LOCK TABLES, a dump, an ALTER
        TABLE queued behind an open transaction), which InnoDB's tables do not show."""
        if self._mariadb:
            waits = ("information_schema.INNODB_LOCK_WAITS w JOIN information_schema.INNODB_TRX b "
                     "ON b.trx_id = w.blocking_trx_id")
            requester = "w.requesting_trx_id"
        else:
            waits = ("performance_schema.data_lock_waits w JOIN information_schema.INNODB_TRX b "
                     "ON b.trx_id = w.BLOCKING_ENGINE_TRANSACTION_ID")
            requester = "w.REQUESTING_ENGINE_TRANSACTION_ID"
        rows = self._query(
            "SELECT b.trx_mysql_thread_id AS id, a.ATTR_VALUE AS application, "  # noqa: S608  # constants
            "p.USER AS user, p.HOST AS client, p.COMMAND AS command, "
            "b.trx_state = 'LOCK WAIT' AS blocked, "
            "TIMESTAMPDIFF(SECOND, b.trx_started, NOW()) AS age_s, "
            f"COALESCE(b.trx_query, {LAST_STATEMENT}) AS query, "
            f"COUNT(DISTINCT {requester}) AS waiting "
            f"FROM {waits} "
            f"LEFT JOIN {self._processlist_table} p ON p.ID = b.trx_mysql_thread_id "
            f"{PROGRAM_NAME_JOIN} "
            "GROUP BY b.trx_mysql_thread_id, p.ID, a.ATTR_VALUE, p.USER, p.HOST, p.COMMAND, "
            "b.trx_state, b.trx_started, b.trx_query")
        out.add("db.locks.ungranted",
                sum(int(row["waiting"]) for row in rows) + self._metadata_waits)
        if self._metadata_waits:  # read only when the processlist shows such a wait
            rows += metadata_blockers(self._query(
                "SELECT m.OBJECT_TYPE AS kind, m.OBJECT_SCHEMA AS db, m.OBJECT_NAME AS name, "  # noqa: S608  # constants
                "m.LOCK_STATUS AS status, p.ID AS id, a.ATTR_VALUE AS application, "
                "p.USER AS user, p.HOST AS client, p.COMMAND AS command, p.TIME AS seconds, "
                "TIMESTAMPDIFF(SECOND, x.trx_started, NOW()) AS trx_age_s, "
                f"COALESCE(p.INFO, {LAST_STATEMENT}) AS query "
                "FROM performance_schema.metadata_locks m "
                "JOIN performance_schema.threads th ON th.THREAD_ID = m.OWNER_THREAD_ID "
                f"JOIN {self._processlist_table} p ON p.ID = th.PROCESSLIST_ID "
                f"{PROGRAM_NAME_JOIN} "
                "LEFT JOIN information_schema.INNODB_TRX x ON x.trx_mysql_thread_id = p.ID "
                "WHERE p.ID <> CONNECTION_ID()"))
        out.add("db.lock_blockers", len(rows))
        # Roots first: the links of a queue behind a holder block more than it does.
        ranked = sorted(rows, key=lambda row: (bool(row["blocked"]),
                                               -int(row["waiting"])))[:TOP_BLOCKERS]
        out.blockers.extend(
            [row["id"], row["application"] or "",
             str(row["client"] or "").rsplit(":", 1)[0] or "local", row["user"] or "",
             # A sleeping thread inside a transaction is PostgreSQL's "idle in transaction".
             "idle in transaction" if row["command"] == "Sleep" else "active",
             float(row["age_s"]) if row["age_s"] is not None else None,
             int(row["waiting"]), bool(row["blocked"]), normalize(str(row["query"] or ""))]
            for row in ranked)

    def _statements(self, out: Sample) -> None:
        columns = ", ".join(f"{column} AS `{name}`" for name, column in DIGEST_FIELDS.items())
        rows = self._query(
            f"SELECT SCHEMA_NAME AS db, DIGEST AS digest, DIGEST_TEXT AS query, {columns} "  # noqa: S608  # constant columns
            "FROM performance_schema.events_statements_summary_by_digest")
        current: dict[tuple[str, str], dict[str, float]] = {}
        deltas = []
        for row in rows:
            query = row["query"] or ""
            if row["digest"] is None or OWN_STATEMENT.search(query):
                continue
            key = (str(row["db"]), str(row["digest"]))
            values = {name: float(row[name] or 0) for name in DIGEST_FIELDS}
            current[key] = values
            if not self._baseline_taken:
                continue  # the first sample is history, not load
            before = self._previous.get(key) or dict.fromkeys(DIGEST_FIELDS, 0.0)
            if values["calls"] < before["calls"]:
                continue  # truncated or evicted: no trustworthy delta
            delta = {name: values[name] - before[name] for name in DIGEST_FIELDS}
            for name in TIMERS:
                delta[name] /= PS_PER_MS
            if delta["calls"] > 0:
                deltas.append((key[1][:32], query, delta))
        self._previous = current
        self._baseline_taken = True
        deltas.sort(key=lambda item: item[2]["total_exec_time"], reverse=True)
        for digest, query, delta in deltas[:TOP_N]:
            out.statements.append(statement_row(digest, delta))
            if digest not in self._known_queries:
                self._known_queries.add(digest)
                out.queries.append([digest, query])
        rest = deltas[TOP_N:]
        if rest:
            other = {name: sum(item[2][name] for item in rest) for name in DIGEST_FIELDS}
            out.statements.append(statement_row("other", other))

    def _table_io(self, out: Sample) -> None:
        """Rows read per table with no index (full scans) and through an index.

        Live rows come from InnoDB's own table statistics, which PROCESS may read (the
        information_schema.TABLES row counts need privileges on the tables); partitions
        count under their table, as queries name the table.
        """
        stats = "INNODB_SYS_TABLESTATS" if self._mariadb else "INNODB_TABLESTATS"
        live: dict[str, float] = {}
        modified: dict[str, float] = {}
        sql = ("SELECT NAME AS name, NUM_ROWS AS n, MODIFIED_COUNTER AS modified "  # noqa: S608  # a constant
               f"FROM information_schema.{stats} ")
        for row in self._query(sql + "WHERE NAME LIKE %s", (f"{self._schema}/%",)):
            table = str(row["name"]).split("/", 1)[1].split("#", 1)[0]
            live[table] = live.get(table, 0.0) + float(row["n"] or 0)
            modified[table] = modified.get(table, 0.0) + float(row["modified"] or 0)
        rows = self._query(
            "SELECT OBJECT_NAME AS tbl, "
            "SUM(CASE WHEN INDEX_NAME IS NULL THEN COUNT_FETCH ELSE 0 END) AS scanned, "
            "SUM(CASE WHEN INDEX_NAME IS NULL THEN 0 ELSE COUNT_FETCH END) AS by_index "
            "FROM performance_schema.table_io_waits_summary_by_index_usage "
            "WHERE OBJECT_SCHEMA = %s GROUP BY OBJECT_NAME", (self._schema,))
        current = {}
        for row in rows:
            counters = (float(row["scanned"] or 0), float(row["by_index"] or 0))
            current[row["tbl"]] = counters
            before = self._tables.get(row["tbl"])
            if before is None or counters[0] < before[0] or counters[1] < before[1]:
                continue
            scanned, by_index = counters[0] - before[0], counters[1] - before[1]
            if scanned or by_index:
                # Full scans are not counted per table: a full scan reads every live row.
                rows_live = live.get(row["tbl"], 0.0)
                # MODIFIED_COUNTER: rows changed since InnoDB last sampled the table's
                # statistics. Whether it recalculates them by itself is a table option
                # the monitor may not read: not reported.
                out.tables.append([row["tbl"], round(scanned / max(rows_live, 1.0), 3), scanned,
                                   by_index, rows_live, modified.get(row["tbl"]), None, None])
        self._tables = current

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def metadata_blockers(locks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sessions holding the metadata locks others wait for, one row per holder with
    the waiters it holds up (the shape of the InnoDB blocker rows).

    A holder blocks a waiter on the same object when it held its lock since before the
    waiter asked (its transaction or its idle time is at least the waiter's wait): the
    app's short statements that took the object after the waiter queued are not
    blockers. The lock types are not compared: MariaDB's performance_schema reports
    LOCK TABLES ... READ as SHARED_READ, which no matrix would call a conflict.
    A holder that itself waits for a lock is a link of the queue, not its root.
    """
    objects: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for lock in locks:
        objects.setdefault((lock["kind"], lock["db"] or "", lock["name"] or ""), []).append(lock)
    waiting_ids = {lock["id"] for lock in locks if lock["status"] == "PENDING"}
    blockers: dict[int, dict[str, Any]] = {}
    for held in objects.values():
        granted = [lock for lock in held if lock["status"] == "GRANTED"]
        for waiter in (lock for lock in held if lock["status"] == "PENDING"):
            waited_s = float(waiter["seconds"] or 0)
            for holder in granted:
                held_s = max(float(holder["trx_age_s"] or 0), float(holder["seconds"] or 0))
                if holder["id"] == waiter["id"] or held_s + 1 < waited_s:
                    continue
                row = blockers.setdefault(holder["id"], {
                    **holder, "age_s": held_s, "blocked": holder["id"] in waiting_ids,
                    "waiting": set()})
                row["waiting"].add(waiter["id"])
    return [{**row, "waiting": len(row["waiting"])} for row in blockers.values()]


def statement_row(digest: str, delta: dict[str, float]) -> list[object]:
    """A statements.csv row: the shared columns, PostgreSQL-only ones empty, then MySQL's."""
    return [digest, round(delta["calls"], 3), round(delta["total_exec_time"], 3),
            round(delta["rows"], 3), None, None, None, None,
            round(delta["rows_examined"], 3), round(delta["no_index_used"], 3),
            round(delta["tmp_disk_tables"], 3), round(delta["sort_merge_passes"], 3),
            round(delta["lock_time"], 3)]
