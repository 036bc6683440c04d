"""Fault suite: faults injected from outside a running reference stack, diagnosed blind.

    .venv/bin/python -m harness.faults [--app python|laravel] [--db postgresql|mariadb]
                                       [--only NAME ...]
    .venv/bin/python -m harness.faults --reanalyze results/faults-<app>-<ts>

Why from outside: the knob matrix turns a best practice off inside the app, with rules
written by the same team; real incidents come from elsewhere (a console session that
holds a lock, a stopped worker, a backup eating the CPU). Each case starts the stack
with `python -m reference_app up` (untouched: no knobs), points a campaign at it as a
URL target with explicit collectors, as a user would at a real eSPPD, runs a constant
moderate load, injects the fault after a healthy stretch and keeps it until the end.
The expected class and the culprit phrase are written down here, before the run; the
analysis sees only the results directory. Writes results/faults-<app>-<ts>/matrix.md
and matrix.json; `--reanalyze` judges an earlier matrix's results again with the
analysis as it is now, without running anything.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import psutil
import psycopg
import pymysql
import redis
from psycopg import sql

from analysis.signals import GROUP_ROLES
from collectors.mysql import MySQLDsn
from collectors.processes import process_group
from harness.cgroup_limits import block_device, cpu_quota, io_limit
from harness.stopping import interrupt_on_term, wait_passing_interrupts
from harness.validate import analyze_again, top_verdict
from reference_app.seed import EMAIL_DOMAIN, PASSWORD, SIZES, account_counts
from scenarios.accounts import ROLES
from supervision import ServiceError

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class FaultLoad:
    """The constant moderate load every fault runs under, and the seed it runs on."""

    size: str = "default"
    healthy_s: float = 30.0   # load before the fault, for its onset to stand out
    duration_s: int = 100     # the whole constant-load phase
    users: int = 40


STACK_START_TIMEOUT_S = 300.0
THROTTLE_PERIOD_S, THROTTLE_PAUSE_S = 0.5, 0.2  # the throttled database: paused 40% of the time
FULL_DISK_SPARE = 8 << 20  # bytes the full disk had free before the runaway log took them
READ_ONLY_AFTER_S = 12.0   # the storage's own filesystem writable this long (2 space samples)
QUOTA_SHARE = 0.5          # a CPU quota of this share of what the processes used just before
QUOTA_MIN_CORES = 0.01     # the kernel takes 1 ms per 100 ms period at least
QUOTA_MEASURE_S = 3.0
NOT_RUN = "(not run)"      # a case that could not run here, in the matrix with its reason
IO_LIMIT_IOPS = 8          # reads and writes per second each: a cloud volume out of credits


@dataclass(frozen=True)
class Stack:
    """A running `python -m reference_app up`: its ready line and its process."""

    process: subprocess.Popen[str]
    ready: dict[str, Any]

    @property
    def dsn(self) -> str:
        return self.ready["dsn"]

    @property
    def mariadb(self) -> bool:
        return self.ready.get("db") == "mariadb"

    def processes(self, *groups: str, title: str = "") -> list[psutil.Process]:
        """The stack's processes of the given process groups (as the host collector groups
        them), from one walk of its tree, optionally only those whose title starts with
        `title`."""
        found = []
        for child in psutil.Process(self.process.pid).children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                cmdline = child.cmdline()
                if process_group(child.name(), cmdline) in groups and \
                        " ".join(cmdline).startswith(title):
                    found.append(child)
        return found


# The indexes of sppd led by user_id: what the lecturers' own pages (dashboard, list,
# reports awaiting) filter by.
USER_INDEXES = {
    "postgresql": "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                  "AND tablename = 'sppd' AND indexdef LIKE %s",
    "mariadb": "SELECT DISTINCT index_name FROM information_schema.statistics "
               "WHERE table_schema = DATABASE() AND table_name = 'sppd' "
               "AND seq_in_index = 1 AND column_name = 'user_id' AND index_name <> %s",
}


@contextlib.contextmanager
def dropped_index(stack: Stack) -> Iterator[str]:
    """The index the lecturers' own pages filter by dropped from outside (a cleanup of
    "unused" indexes on a replica's statistics, a migration rolled back): each of their
    requests now reads every row of sppd. The stack is discarded after the case."""
    engine = "mariadb" if stack.mariadb else "postgresql"
    with contextlib.closing(connect_as(stack.dsn, "dba-console", autocommit=True)) as conn:
        cursor = conn.cursor()
        cursor.execute(USER_INDEXES[engine],
                       ("%(user_id%",) if engine == "postgresql" else ("PRIMARY",))
        names = [str(row[0]) for row in cursor.fetchall()]
        if not names:
            raise ServiceError("sppd has no index led by user_id to drop")
        for name in names:
            cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name))
                           if engine == "postgresql" else
                           "ALTER TABLE sppd DROP INDEX `{}`".format(name.replace("`", "``")))
    yield f"DROP INDEX {', '.join(names)} (sppd, led by user_id)"


# What a refused or failed connection raises, from either engine's driver.
CONNECT_ERRORS = (psycopg.OperationalError, pymysql.err.OperationalError)


def connect_as(dsn: str, application: str, autocommit: bool = False) -> Any:
    """A DB-API connection to either engine, naming itself as `application` (PostgreSQL's
    application_name, MySQL's program_name connection attribute), as tools do."""
    if dsn.startswith(("mysql://", "mariadb://")):
        parts = MySQLDsn.parse(dsn)
        return pymysql.connect(host=parts.host, port=parts.port, user=parts.user,
                               password=parts.password, database=parts.database,
                               autocommit=autocommit, connect_timeout=5,
                               program_name=application)
    return psycopg.connect(dsn, application_name=application, autocommit=autocommit,
                           connect_timeout=5)


Injection = Callable[[Stack], contextlib.AbstractContextManager[str]]


@dataclass(frozen=True)
class Fault:
    name: str
    expected: tuple[str, ...]   # acceptable top verdicts
    culprit: str                # a phrase the top finding's evidence must hold ("": none)
    inject: Injection           # holds the fault while its context is open; yields what it did
    apps: tuple[str, ...] = ("python", "laravel")
    dbs: tuple[str, ...] = ("postgresql", "mariadb")
    users: int | None = None    # a load of its own, where the suite's would not show it
    size: str | None = None     # a seed of its own, where the suite's is too small to show it
    extra_s: int = 0            # load held this much longer: a fault that takes time to build


@contextlib.contextmanager
def cpu_hog(stack: Stack) -> Iterator[str]:
    """Busy loops on every CPU, as a backup or a runaway script outside the stack."""
    cpus = os.cpu_count() or 1
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(cpus)]
    try:
        yield f"{cpus} busy-loop processes outside the stack"
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


# Writes 1 MiB blocks around a 256 MiB file with O_DIRECT (past the page cache, so every
# write reaches the disk) from 4 threads of one process, keeping the device's queue full.
DISK_WRITER = """
import mmap, os, sys, threading
path, size, block = sys.argv[1], 256 << 20, 1 << 20
def write(start):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o600)
    buffer = mmap.mmap(-1, block)
    buffer.write(os.urandom(block))
    offset = start
    while True:
        os.pwrite(fd, buffer, offset)
        offset = (offset + 4 * block) % size
threads = [threading.Thread(target=write, args=(n * block,), daemon=True) for n in range(4)]
for thread in threads:
    thread.start()
threads[0].join()
"""


@contextlib.contextmanager
def disk_hog(stack: Stack) -> Iterator[str]:
    """A writer outside the stack that keeps the disk busy (a backup, a log flood, an
    rsync): the database's commits queue behind it for the same device."""
    # In the temp dir, where the embedded stack keeps its databases: the same device.
    with tempfile.TemporaryDirectory(prefix="esppd-disk-hog-") as folder:
        writer = subprocess.Popen([sys.executable, "-c", DISK_WRITER, f"{folder}/fill"])
        try:
            _still_running(writer, "the disk writer (O_DIRECT unsupported here?)")
            yield "a process outside the stack writing with O_DIRECT from 4 threads"
        finally:
            writer.kill()
            writer.wait()


# Holds `sys.argv[1]` bytes, every page written, until killed.
MEMORY_HOLDER = "import sys, time\nheld = b'x' * int(sys.argv[1])\nwhile True: time.sleep(1)"
MEMORY_LEFT = 0.05             # of RAM left available while the hog holds the rest


@contextlib.contextmanager
def memory_hog(stack: Stack) -> Iterator[str]:
    """A process outside the stack that takes the host's available memory and keeps it
    (a leaking report job), leaving 5% of RAM available for everything else."""
    memory = psutil.virtual_memory()
    take = int(memory.available - MEMORY_LEFT * memory.total)
    if take <= 0:
        raise ServiceError("less than 5% of RAM is available: nothing to take")
    holder = subprocess.Popen([sys.executable, "-c", MEMORY_HOLDER, str(take)])
    try:
        _still_running(holder, "the memory holder")
        yield (f"a process outside the stack holding {take / 1024 ** 3:.1f} GiB, "
               f"{MEMORY_LEFT:.0%} of RAM left available")
    finally:
        holder.kill()
        holder.wait()


def _still_running(process: subprocess.Popen[bytes], what: str, grace_s: float = 2.0) -> None:
    """A fault whose process died is no fault: say so instead of diagnosing a healthy run."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace_s)
    if process.poll() is not None:
        raise ServiceError(f"{what} exited with {process.returncode}: the fault did not hold")


@contextlib.contextmanager
def _holding(stack: Stack, statement: str) -> Iterator[str]:
    """A console session that runs one locking statement and then idles in its transaction."""
    client = "mysql" if stack.mariadb else "psql"
    conn = connect_as(stack.dsn, client)
    try:
        with conn.cursor() as cur:
            if not stack.mariadb:
                # The stack ends idle transactions after 60 s (deploy/postgresql/esppd.conf);
                # a console session doing a long manual fix turns that off for itself.
                cur.execute("SET idle_in_transaction_session_timeout = 0")
            cur.execute(statement)  # the transaction opens; nothing commits it
        yield f"a {client} session idle in its transaction after: {statement}"
    finally:
        conn.close()  # rolls back; ends LOCK TABLES


def table_lock_holder(stack: Stack) -> contextlib.AbstractContextManager[str]:
    """PostgreSQL: a manual fix locking out writers. MariaDB: a dump without
    --single-transaction (mysqldump's --lock-tables), which writers queue behind."""
    return _holding(stack, "LOCK TABLES sppd READ" if stack.mariadb
                    else "LOCK TABLE sppd IN SHARE ROW EXCLUSIVE MODE")


def row_lock_holder(stack: Stack) -> contextlib.AbstractContextManager[str]:
    return _holding(stack, "SELECT * FROM nomor_counter FOR UPDATE")


@contextlib.contextmanager
def _stopped(processes: list[psutil.Process]) -> Iterator[None]:
    """SIGSTOP the processes while the context is open, SIGCONT after (those still alive)."""
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.suspend()
    try:
        yield
    finally:
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.resume()


@contextlib.contextmanager
def stopped_queue_workers(stack: Stack) -> Iterator[str]:
    """SIGSTOP every queue worker: alive, supervised, finishing nothing."""
    workers = stack.processes("queue")
    if not workers:
        raise ServiceError("no queue worker process found under the stack")
    with _stopped(workers):
        yield f"{len(workers)} queue worker processes stopped (SIGSTOP)"


@contextlib.contextmanager
def connection_hog(stack: Stack) -> Iterator[str]:
    """Another client that opens every connection the server will give it and idles."""
    held: list[Any] = []
    try:
        while True:
            try:
                held.append(connect_as(stack.dsn, "batch-import"))
            except CONNECT_ERRORS:
                break
        yield f"{len(held)} idle connections held by another client until refused"
    finally:
        for conn in held:
            conn.close()


@contextlib.contextmanager
def _stopped_php_children(stack: Stack, keep: int) -> Iterator[str]:
    """All PHP-FPM children but `keep` stopped (SIGSTOP), as if hung in a remote call."""
    children = stack.processes("php-fpm", title="php-fpm: pool")
    if len(children) <= keep:
        raise ServiceError(f"not more than {keep} PHP-FPM children found under the stack")
    with _stopped(children[keep:]):
        yield f"{len(children) - keep} of {len(children)} PHP-FPM children stopped (SIGSTOP)"


def hung_php_workers(stack: Stack) -> contextlib.AbstractContextManager[str]:
    """All PHP-FPM children but one stop: they accept no request, and the rest queue for
    the one left."""
    return _stopped_php_children(stack, keep=1)


def all_php_workers_hung(stack: Stack) -> contextlib.AbstractContextManager[str]:
    """Every PHP-FPM child stops: nothing answers, not even PHP-FPM's own status page,
    which the same children serve; nginx times the requests out."""
    return _stopped_php_children(stack, keep=0)


# Pauses every client of a Redis server most of the time, from a client of its own (as a
# stuck admin script, a long Lua script or KEYS on a big keyspace would stall it).
REDIS_STALLER = """
import os, time, redis
client = redis.Redis.from_url(os.environ["STALLED_REDIS_URL"])
while True:
    client.execute_command("CLIENT", "PAUSE", "400", "ALL")
    time.sleep(0.5)
"""


def slow_redis(stack: Stack) -> contextlib.AbstractContextManager[str]:
    """The Redis of cache and sessions answers only 100 ms in every 500 ms."""
    return _scripts(REDIS_STALLER, {"STALLED_REDIS_URL": stack.ready["redis"]},
                    "Redis (cache and sessions) paused 400 ms in every 500 ms by another "
                    "client (CLIENT PAUSE ALL)")


@contextlib.contextmanager
def _scripts(script: str, env: dict[str, str], what: str, copies: int = 1) -> Iterator[str]:
    """`copies` Python processes running `script` outside the stack while the context is
    open; one that dies at once is no fault (ServiceError)."""
    processes = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                                  env={**os.environ, **env}) for _ in range(copies)]
    try:
        _still_running(processes[0], what)
        yield what
    finally:
        for process in processes:
            process.kill()
            process.wait()


@contextlib.contextmanager
def frozen_database(stack: Stack) -> Iterator[str]:
    """Every database process stopped (SIGSTOP), as a VM pause or a storage freeze leaves
    it: connections stay open, nothing answers, nothing errors at once."""
    processes = stack.processes(*GROUP_ROLES["db"])
    if not processes:
        raise ServiceError("no database process found under the stack")
    with _stopped(processes):
        yield f"{len(processes)} database processes stopped (SIGSTOP)"


def throttled_database(stack: Stack) -> contextlib.AbstractContextManager[str]:
    """Every database process stopped 200 ms in every 500 ms, as a cgroup CPU quota, a
    VM its host throttles or a `kill -STOP` loop leaves it: it answers, slowly. The
    processes are listed again each cycle (PostgreSQL forks a backend per connection)."""
    return _throttled(lambda: stack.processes(*GROUP_ROLES["db"]), "the database")


def throttled_redis(stack: Stack) -> contextlib.AbstractContextManager[str]:
    """The Redis of cache and sessions stopped 200 ms in every 500 ms (a throttled
    container, a `kill -STOP` loop): every request's session read may wait. Redis is
    one process that forks no others, so it is found once, by its port."""
    port = f":{urlsplit(stack.ready['redis']).port}"
    server = [process for process in stack.processes(*GROUP_ROLES["cache"])
              if port in " ".join(process.cmdline())]
    return _throttled(lambda: server, "the Redis of cache and sessions")


@contextlib.contextmanager
def _throttled(processes: Callable[[], list[psutil.Process]], server: str) -> Iterator[str]:
    """The processes `processes()` lists stopped THROTTLE_PAUSE_S in every
    THROTTLE_PERIOD_S while the context is open, listed again each cycle."""
    if not processes():
        raise ServiceError(f"no process of {server} found under the stack")
    done = threading.Event()

    def cycle() -> None:
        while not done.is_set():
            with _stopped(processes()):
                done.wait(THROTTLE_PAUSE_S)
            done.wait(THROTTLE_PERIOD_S - THROTTLE_PAUSE_S)

    throttler = threading.Thread(target=cycle, name="throttled-processes", daemon=True)
    throttler.start()
    try:
        yield (f"{server}: its processes stopped {THROTTLE_PAUSE_S * 1000:.0f} ms in every "
               f"{THROTTLE_PERIOD_S * 1000:.0f} ms (SIGSTOP/SIGCONT)")
    finally:
        done.set()
        throttler.join()


# An ad-hoc report from another client: the same heavy aggregate over and over.
HEAVY_REPORT = """
import os
from harness.faults import connect_as
cursor = connect_as(os.environ["REPORT_DSN"], "adhoc-report", autocommit=True).cursor()
while True:
    cursor.execute("SELECT a.user_id, count(*), sum(length(b.maksud)) FROM sppd a "
                   "JOIN sppd b ON b.user_id = a.user_id GROUP BY a.user_id ORDER BY 3 DESC")
    cursor.fetchall()
"""


def heavy_report(stack: Stack) -> contextlib.AbstractContextManager[str]:
    """Two sessions of another client running a heavy self-join on sppd back to back."""
    return _scripts(HEAVY_REPORT, {"REPORT_DSN": stack.dsn}, "2 sessions of 'adhoc-report' "
                    "running a heavy self-join on sppd back to back", copies=2)


@contextlib.contextmanager
def stale_statistics(stack: Stack) -> Iterator[str]:
    """The planner's statistics of the app's tables gone and autovacuum off for them: what
    a restore or pg_upgrade (neither carries statistics: reltuples -1, no pg_statistic
    rows, cumulative counters reset) and a bulk-load recipe (autovacuum off for the load,
    never turned back on) leave when nobody runs ANALYZE after. Every plan is then made
    from default selectivities. The stack is discarded after the case: nothing restored."""
    with connect_as(stack.dsn, "pg_upgrade", autocommit=True) as conn:
        tables = conn.execute(
            "SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
            "AND c.relkind = 'r'").fetchall()
        oids = [oid for oid, _, _ in tables]
        conn.execute("DELETE FROM pg_statistic WHERE starelid = ANY(%s)", (oids,))
        conn.execute("UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE oid = ANY(%s)",
                     (oids,))
        for oid, schema, name in tables:
            conn.execute("SELECT pg_stat_reset_single_table_counters(%s)", (oid,))
            conn.execute(sql.SQL("ALTER TABLE {} SET (autovacuum_enabled = false)").format(
                sql.Identifier(schema, name)))
    yield (f"{len(tables)} tables of the app without planner statistics (pg_statistic "
           "rows deleted, reltuples -1, counters reset) and with autovacuum off")


@contextlib.contextmanager
def stopped_redis(stack: Stack) -> Iterator[str]:
    """The Redis of cache and sessions shut down (a crash, the OOM killer): the app's next
    session read fails."""
    client = redis.Redis.from_url(stack.ready["redis"])
    with contextlib.suppress(redis.ConnectionError):
        client.shutdown(nosave=True)
    yield "the Redis of cache and sessions shut down (SHUTDOWN NOSAVE)"


# Deletes every key under the cache's prefix twice a second (a deploy hook or cron clearing
# the cache in a loop). Laravel's redis session driver keeps the sessions under that prefix
# too, so its users are signed out as well; the Python app keeps them apart.
CACHE_WIPER = """
import os, time, redis
client = redis.Redis.from_url(os.environ["WIPED_REDIS_URL"])
while True:
    keys = list(client.scan_iter(match="esppd_cache*", count=1000))
    if keys:
        client.delete(*keys)
    time.sleep(0.5)
"""


def cache_wiper(stack: Stack) -> contextlib.AbstractContextManager[str]:
    return _scripts(CACHE_WIPER, {"WIPED_REDIS_URL": stack.ready["redis"]},
                    "another client deleting every cache key twice a second")


@contextlib.contextmanager
def full_redis(stack: Stack) -> Iterator[str]:
    """The Redis of cache and sessions past its maxmemory under noeviction (a limit set
    for the cache alone, then sessions grew): reads answer, every write is refused."""
    client = redis.Redis.from_url(stack.ready["redis"])
    limit = max(1, int(client.info("memory")["used_memory"]) // 2)
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", str(limit))
    yield f"CONFIG SET maxmemory {limit} (half of what it used), maxmemory-policy noeviction"


@contextlib.contextmanager
def read_only_database(stack: Stack) -> Iterator[str]:
    """The app's database account made read-only from outside (a failover that left the
    app on a standby, a maintenance mode never lifted): its sessions refuse every write,
    reads answer. Its open sessions are ended, as a failover ends them, so the app's
    reconnect into it."""
    with connect_as(stack.dsn, "dba-console", autocommit=True) as conn:
        conn.execute("ALTER ROLE CURRENT_USER SET default_transaction_read_only = on")
        ended = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE usename = current_user AND pid <> pg_backend_pid()").fetchone()
    yield (f"ALTER ROLE (the app's) SET default_transaction_read_only = on; "
           f"{ended[0] if ended else 0} of its sessions ended")


@contextlib.contextmanager
def _storage_on_tmpfs(stack: Stack, spare: int) -> Iterator[Path]:
    """The app's storage (the jobs' documents and exports) on a filesystem of its own: a
    tmpfs with the storage's files, `spare` bytes more than they take, mounted over it
    while the context is open. Needs root (mount)."""
    storage = Path(stack.ready["storage"])
    used = sum(path.stat().st_size for path in storage.rglob("*") if path.is_file())
    with tempfile.TemporaryDirectory(prefix="esppd-storage-") as saved:
        subprocess.run(["cp", "-a", f"{storage}/.", saved], check=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={used + spare}",
                        "esppd-storage", str(storage)], check=True, capture_output=True)
        try:
            subprocess.run(["cp", "-a", f"{saved}/.", str(storage)], check=True)
            yield storage
        finally:
            subprocess.run(["umount", "-l", str(storage)], check=False, capture_output=True)


@contextlib.contextmanager
def full_disk(stack: Stack) -> Iterator[str]:
    """The filesystem of the app's storage full, as an unrotated log or forgotten exports
    leave it: every write there fails (ENOSPC)."""
    with _storage_on_tmpfs(stack, FULL_DISK_SPARE) as storage:
        filled = 0
        # Unbuffered: the write that finds the disk full raises here, not at close.
        with open(storage / "runaway.log", "wb", buffering=0) as runaway, \
                contextlib.suppress(OSError):  # ENOSPC: full
            while True:
                filled += runaway.write(b"x" * 65536)
        yield (f"the app's storage ({storage}) on a filesystem with "
               f"{FULL_DISK_SPARE // 1024} KiB to spare, filled by a runaway log "
               f"({filled // 1024} KiB)")


@contextlib.contextmanager
def read_only_storage(stack: Stack) -> Iterator[str]:
    """The filesystem of the app's storage remounted read-only, as the kernel does after
    I/O errors (ext4's errors=remount-ro): every write there fails (EROFS) while it has
    room. Writable long enough first for the collectors to have seen it so."""
    with _storage_on_tmpfs(stack, 64 << 20) as storage:
        time.sleep(READ_ONLY_AFTER_S)
        subprocess.run(["mount", "-o", "remount,ro", str(storage)], check=True,
                       capture_output=True)
        yield f"the app's storage ({storage}) on a filesystem of its own, remounted read-only"


@contextlib.contextmanager
def killed_app_server(stack: Stack) -> Iterator[str]:
    """The app server killed, master and workers (the OOM killer's choice, a bad deploy):
    nginx answers 502 without PHP-FPM; the Python app's port refuses connections."""
    servers = stack.processes("php-fpm") or stack.processes("app")
    if not servers:
        raise ServiceError("no app server process found under the stack")
    for server in servers:
        with contextlib.suppress(psutil.NoSuchProcess):
            server.kill()
    yield f"{len(servers)} app server processes killed (SIGKILL)"


def _cores(processes: list[psutil.Process], seconds: float) -> float:
    """The cores the processes used together over the next `seconds`."""
    def used() -> float:
        total = 0.0
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    before = used()
    time.sleep(seconds)
    return (used() - before) / seconds


@contextlib.contextmanager
def _quota_on(processes: list[psutil.Process], what: str) -> Iterator[str]:
    """The processes held by a cgroup CPU quota to half what they used just before, as a
    container limit or systemd's CPUQuota= set below the peak does."""
    if not processes:
        raise ServiceError(f"no {what} process found under the stack")
    cores = max(QUOTA_MIN_CORES, QUOTA_SHARE * _cores(processes, QUOTA_MEASURE_S))
    with cpu_quota([p.pid for p in processes], cores, "esppd-fault-quota") as quota:
        yield (f"{len(processes)} {what} processes held to {cores:.3g} cores (half what they "
               f"used) by the CPU quota of cgroup {quota.path}")


def app_cpu_quota(stack: Stack) -> contextlib.AbstractContextManager[str]:
    """The app server (PHP-FPM's master and children, or the Python app's) under a CPU
    quota: what it forks inherits the cgroup."""
    return _quota_on(stack.processes("php-fpm") or stack.processes("app"), "app server")


def database_cpu_quota(stack: Stack) -> contextlib.AbstractContextManager[str]:
    """The database server under a CPU quota (PostgreSQL's backends forked later inherit
    the postmaster's cgroup; MariaDB is one process)."""
    return _quota_on(stack.processes(*GROUP_ROLES["db"]), "database")



@contextlib.contextmanager
def database_io_limit(stack: Stack) -> Iterator[str]:
    """The database server's disk I/O held to a few operations per second by its cgroup,
    as a cloud volume out of its burst credits, a storage QoS policy or systemd's
    `IOWriteIOPSMax=` does: the disk itself stays idle, and every commit waits for its
    log's flush to get through."""
    processes = stack.processes(*GROUP_ROLES["db"])
    if not processes:
        raise ServiceError("no database process found under the stack")
    try:  # both servers run in their data directory
        device = block_device(processes[0].cwd())
    except psutil.Error as error:
        raise ServiceError(f"cannot find the database's data directory: {error}") from error
    with io_limit([p.pid for p in processes], device, IO_LIMIT_IOPS,
                  "esppd-fault-io") as limited:
        yield (f"{len(processes)} database processes held to {IO_LIMIT_IOPS} reads and "
               f"{IO_LIMIT_IOPS} writes per second on device {device} by the I/O limit of "
               f"cgroup {limited.path}")

FAULTS: tuple[Fault, ...] = (
    Fault("cpu hog", ("host.cpu",), "culprit: 'python", cpu_hog),
    Fault("table lock holder", ("db.locks",), "culprit: session", table_lock_holder),
    Fault("row lock holder", ("db.locks",), "culprit: session", row_lock_holder),
    Fault("stopped queue workers", ("queue.backlog",), "stopped", stopped_queue_workers),
    Fault("connection hog", ("db.connections",), "culprit: application 'batch-import'",
          connection_hog),
    Fault("disk hog", ("host.disk",), "culprit: 'python", disk_hog),
    # Writing 20 GiB took up to a minute beside the load (one CPU-bound process competing
    # with it, the kernel reclaiming the page cache), so this load runs 60 s longer.
    Fault("memory hog", ("host.memory",), "culprit: 'python", memory_hog, extra_s=60),
    # 80 users: at 40 one PHP-FPM child keeps up alone (busy 76%), hiding the fault.
    Fault("hung PHP-FPM workers", ("app.workers",), "stopped", hung_php_workers,
          apps=("laravel",), users=80),
    Fault("all PHP-FPM workers hung", ("app.workers",), "stopped", all_php_workers_hung,
          apps=("laravel",)),
    Fault("slow redis", ("cache.latency",), "culprit: the Redis client", slow_redis),
    Fault("frozen database", ("db.unavailable",), "processes stopped", frozen_database),
    Fault("throttled database", ("db.unavailable",), "processes stopped", throttled_database),
    Fault("throttled redis", ("cache.latency",), "processes stopped", throttled_redis),
    # The stack does not reap its Redis until it stops: the process lingers as a zombie.
    Fault("stopped redis", ("cache.latency",), "a server is gone", stopped_redis),
    Fault("cache wiper", ("cache.misses",), "culprit: the Redis client", cache_wiper),
    Fault("heavy report", ("db.cpu", "db.query"), "adhoc-report", heavy_report),
    Fault("killed app server", ("app.errors",), "a server is gone", killed_app_server),
    Fault("full redis", ("app.errors",), "redis.errors{OOM}", full_redis),
    Fault("full disk", ("host.disk",), "fs.used_ratio", full_disk),
    Fault("read-only storage", ("host.disk",), "fs.read_only", read_only_storage),
    # Named by the app's own log (no metric says a write was refused). On MariaDB the
    # app's account cannot set read_only (SUPER): PostgreSQL only.
    Fault("read-only database", ("app.errors",), "log: ", read_only_database,
          dbs=("postgresql",)),
    # On the default seed the plans made without statistics cost 0.3% of a backend: no
    # bottleneck. The large seed (5x the lecturers) makes them the database's main work.
    Fault("stale planner statistics", ("db.query", "db.cpu"), "planner statistics:",
          stale_statistics, dbs=("postgresql",), size="large"),
    # The large seed, as above: on the default one a full read of sppd costs a few ms.
    Fault("dropped index", ("db.query",), "user_id", dropped_index, size="large"),
    Fault("app CPU quota", ("app.cpu",), "CPU quota", app_cpu_quota),
    Fault("database CPU quota", ("db.cpu",), "CPU quota", database_cpu_quota),
    Fault("database I/O limit", ("db.io",), "I/O limit", database_io_limit),
)


@dataclass
class FaultOutcome:
    fault: str
    injected: str
    expected: str
    named: str
    confidence: float
    onset_s: float | None      # seconds after the injection (negative: before it)
    evidence: str
    culprit: str               # the evidence line that names it ("" if none)
    correct: bool
    wall_s: float
    results: str
    exit_code: int
    injected_at: float | None = None  # epoch seconds; None when it was never injected


@contextlib.contextmanager
def running_stack(app: str, db: str, size: str, log: IO[str],
                  statement_log: bool = False) -> Iterator[Stack]:
    """`python -m reference_app up` until its JSON ready line; stopped with SIGINT."""
    process = subprocess.Popen(  # our own module
        [sys.executable, "-m", "reference_app", "up", "--app", app, "--db", db, "--size", size,
         *(["--statement-log"] if statement_log else [])],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True,
        start_new_session=True)  # a Ctrl-C stops the campaign on it first, then the stack
    try:
        ready = _ready_line(process, STACK_START_TIMEOUT_S)
        if ready is None:
            raise ServiceError(f"the {app} stack did not start within "
                               f"{STACK_START_TIMEOUT_S:.0f} s; see {log.name}")
        yield Stack(process, ready)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ready_line(process: subprocess.Popen[str], timeout_s: float) -> dict[str, str] | None:
    """The stack's JSON ready line, or None if it exits or stays silent past the timeout."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(timeout=left):
                continue
            line = process.stdout.readline()
            if not line:
                return None  # it exited
            if line.startswith("{"):
                return dict(json.loads(line))
    return None


# The stack's connection strings hold passwords: the campaign names them, the runner's
# environment carries them (a user's campaign file would do the same).
SECRET_ENV = {"monitor_dsn": "ESPPD_FAULT_DB_DSN", "redis": "ESPPD_FAULT_REDIS_URL",
              "queue_redis": "ESPPD_FAULT_QUEUE_URL"}


def write_campaign(stack: Stack, load: FaultLoad, out: Path) -> Path:
    """A URL-target campaign with the collectors a user would list for this stack."""
    accounts = out / "accounts.csv"
    counts = account_counts(SIZES[load.size])
    accounts.write_text("role,email,password\n" + "".join(
        f"{role},{role}{n:04d}@{EMAIL_DOMAIN},{PASSWORD}\n"
        for role in ROLES for n in range(1, counts[role] + 1)))
    ready = stack.ready
    status = [url for key, url in ready.items() if key.endswith("status") and url]
    campaign = out / "fault.toml"
    campaign.write_text("\n".join([
        'name = "fault"',
        "[target]", 'kind = "url"', f'url = "{ready["url"]}"', f'accounts = "{accounts}"',
        "[load]", 'shape = "constant"', f"users = {load.users}", "spawn_rate = 20",
        f'duration = "{load.duration_s}s"', "think_scale = 0.5",
        "[distribution]", "workers = 2",
        "[[collectors]]", 'type = "host"',
        "[[collectors]]", f'type = "{"mysql" if stack.mariadb else "postgres"}"',
        f'dsn = "env:{SECRET_ENV["monitor_dsn"]}"',
        "[[collectors]]", 'type = "redis"', f'url = "env:{SECRET_ENV["redis"]}"',
        f'queue_url = "env:{SECRET_ENV["queue_redis"]}"',
        *(line for url in status for line in ("[[collectors]]", 'type = "app_status"',
                                               f'url = "{url}"')),
        "[[collectors]]", 'type = "log"', f"paths = {json.dumps(ready['logs'])}",
    ]) + "\n")
    return campaign


def run_fault(fault: Fault, app: str, out: Path, load: FaultLoad = FaultLoad(),
              db: str = "postgresql", statement_log: bool = False) -> FaultOutcome:
    """One case in `out`; with `statement_log`, the Laravel app's statements.log there."""
    out.mkdir(parents=True)
    if fault.users is not None:
        load = replace(load, users=fault.users)
    if fault.size is not None:
        load = replace(load, size=fault.size)
    load = replace(load, duration_s=load.duration_s + fault.extra_s)
    started = time.monotonic()
    injected, injected_at, code = "not injected", None, -1
    with open(out / "harness.log", "w") as log, running_stack(
            app, db, load.size, log, statement_log) as stack:
        campaign = write_campaign(stack, load, out)
        runner = subprocess.Popen(  # our own script
            [sys.executable, str(ROOT / "run_campaign.py"), str(campaign),
             "--out", str(out / "results"), "--quiet"], cwd=ROOT, stdout=log, stderr=log,
            env={**os.environ, **{name: stack.ready[key] for key, name in SECRET_ENV.items()}},
            start_new_session=True)  # each Ctrl-C reaches it once, from us
        try:
            if _wait_for_load(out / "results", runner):
                time.sleep(load.healthy_s)
                # From the injection's start: a fault acts at once but may take seconds
                # to report itself in place (a script watched alive for 2 s first).
                starting = time.time()
                with fault.inject(stack) as injected:
                    injected_at = starting
                    code = wait_passing_interrupts(runner)
            else:
                code = wait_passing_interrupts(runner)
        except BaseException:  # stopped before the run ended: it still ends gracefully
            if runner.poll() is None:
                runner.send_signal(signal.SIGINT)
                wait_passing_interrupts(runner)
            raise
        finally:
            counted = Path(stack.ready.get("statement_log", ""))
            if counted.name and counted.is_file():  # the stack removes it when it stops
                shutil.copyfile(counted, out / "statements.log")
    return outcome_of(fault, out, injected, injected_at, code, time.monotonic() - started)


def not_run(fault: Fault, out: Path, why: str, wall_s: float) -> FaultOutcome:
    """A case that could not run here (no root for a cgroup, a stack that did not start):
    in the matrix with its reason, never counted right."""
    return FaultOutcome(fault.name, "not injected", " or ".join(fault.expected), NOT_RUN,
                        0.0, None, why, "", False, wall_s, str(out), -1)


def _wait_for_load(results: Path, runner: subprocess.Popen[bytes]) -> bool:
    """True once users are running (users.csv has rows), False if the run ended first."""
    users = results / "users.csv"
    while runner.poll() is None:
        if users.is_file() and users.read_text().count("\n") > 1:
            return True
        time.sleep(0.5)
    return False


def outcome_of(fault: Fault, out: Path, injected: str, injected_at: float | None, code: int,
               wall: float) -> FaultOutcome:
    expected = " or ".join(fault.expected)
    top = top_verdict(out / "results")
    if top is None:
        return FaultOutcome(fault.name, injected, expected, "(no analysis)", 0.0, None,
                            f"run_campaign.py exited {code}; see harness.log", "", False,
                            wall, str(out), code, injected_at)
    evidence = [str(line) for line in top.get("evidence") or []]
    culprit = next((line for line in evidence if fault.culprit and fault.culprit in line), "")
    onset = top.get("onset_ts")
    return FaultOutcome(
        fault.name, injected, expected, top["bottleneck"], float(top["confidence"]),
        round(onset - injected_at, 1) if onset is not None and injected_at else None,
        evidence[0] if evidence else str(top.get("summary", "")), culprit,
        top["bottleneck"] in fault.expected and (not fault.culprit or bool(culprit)),
        wall, str(out), code, injected_at)


def markdown(outcomes: list[FaultOutcome], app: str, wall_s: float) -> str:
    correct = sum(outcome.correct for outcome in outcomes)
    lines = [f"# Fault matrix ({app}): {correct}/{len(outcomes)} named correctly", "",
             f"Wall time {wall_s / 60:.1f} min.", "",
             "| fault | injected | expected | named | confidence | onset after injection | "
             "key evidence | culprit |", "|---|---|---|---|---:|---:|---|---|"]
    for o in outcomes:
        mark = "ok" if o.correct else "**WRONG**"
        onset = f"{o.onset_s:+.0f} s" if o.onset_s is not None else "-"
        cells = [c.replace("|", "\\|") for c in (o.injected, o.evidence, o.culprit or "-")]
        lines.append(f"| {o.fault} | {cells[0]} | {o.expected} | {o.named} ({mark}) | "
                     f"{o.confidence:.2f} | {onset} | {cells[1]} | {cells[2]} |")
    return "\n".join(lines) + "\n"


def write_matrix(out: Path, stack: str, outcomes: list[FaultOutcome], wall_s: float) -> None:
    """matrix.json (the stack and every case, for --reanalyze and harness.calibration) and
    matrix.md (the table README shows)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "matrix.json").write_text(json.dumps(
        {"stack": stack, "wall_s": round(wall_s, 1), "cases": [asdict(o) for o in outcomes]},
        indent=2) + "\n")
    (out / "matrix.md").write_text(markdown(outcomes, stack, wall_s))
    print(out / "matrix.md")


def _stack_from_title(out: Path) -> str:
    """The stack's name from the title an older run wrote: "# Fault matrix (laravel): ..."."""
    title = re.search(r"\((.+?)\)", (out / "matrix.md").read_text() if
                      (out / "matrix.md").is_file() else "")
    return title[1] if title else out.name


def reanalyze(out: Path) -> int:
    """Every case of an earlier fault matrix analyzed again and judged against the fault's
    expectations as written now; matrix.json and matrix.md rewritten."""
    try:
        matrix = json.loads((out / "matrix.json").read_text())
        # Matrices written before 2026-12-07 are the bare list of cases, titled in matrix.md.
        stack = matrix["stack"] if isinstance(matrix, dict) else _stack_from_title(out)
        previous = [FaultOutcome(**case)
                    for case in (matrix["cases"] if isinstance(matrix, dict) else matrix)]
    except (OSError, ValueError, TypeError, KeyError) as error:
        print(f"[faults] {out}/matrix.json: cannot read it ({error})", file=sys.stderr)
        return 2
    by_name = {fault.name: fault for fault in FAULTS}
    outcomes = []
    for index, case in enumerate(previous, 1):
        fault = by_name.get(case.fault)
        if fault is None or case.named == NOT_RUN:
            print(f"[faults] {case.fault}: " + ("no such fault any more" if fault is None
                                                 else "it did not run") + ", kept as it was",
                  file=sys.stderr)
            outcomes.append(case)
            continue
        print(f"[faults] {index}/{len(previous)} {fault.name}: analyzing again ...",
              file=sys.stderr, flush=True)
        analyze_again(Path(case.results) / "results")
        outcome = outcome_of(fault, Path(case.results), case.injected, case.injected_at,
                             case.exit_code, case.wall_s)
        outcomes.append(outcome)
        print(f"[faults] {fault.name}: {outcome.named} ({outcome.confidence:.2f}) "
              f"{'ok' if outcome.correct else 'WRONG'}", file=sys.stderr, flush=True)
    write_matrix(out, stack, outcomes, sum(o.wall_s for o in outcomes))
    return 0 if outcomes and all(o.correct for o in outcomes) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.faults",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--app", choices=("python", "laravel"), default="python")
    parser.add_argument("--db", choices=("postgresql", "mariadb"), default="postgresql",
                        help="the stack's database (mariadb: Laravel only)")
    parser.add_argument("--only", nargs="*", default=[], help="fault names to run")
    parser.add_argument("--out", type=Path, help="default: results/faults-<app>-<ts>")
    parser.add_argument("--reanalyze", type=Path, metavar="MATRIX_DIR",
                        help="judge an earlier matrix's results again, running nothing")
    parser.add_argument("--statement-log", action="store_true",
                        help="laravel: each case's statements.log, the statements every "
                             "request and queued job ran (what the analysis estimates)")
    args = parser.parse_args(argv)
    if args.reanalyze:
        return reanalyze(args.reanalyze)
    if args.db == "mariadb" and args.app != "laravel":
        parser.error("--db mariadb runs only with --app laravel")
    if args.statement_log and args.app != "laravel":
        parser.error("--statement-log runs only with --app laravel")
    faults = [f for f in FAULTS if args.app in f.apps and args.db in f.dbs
              and (not args.only or f.name in args.only)]
    if not faults:
        parser.error(f"no fault matches {args.only} for the {args.app} app")
    stack = args.app if args.db == "postgresql" else f"{args.app}-{args.db}"
    out = args.out or ROOT / "results" / f"faults-{stack}-{time.strftime('%Y%m%d-%H%M%S')}"
    interrupt_on_term()
    started = time.monotonic()
    outcomes = []
    try:
        for index, fault in enumerate(faults, 1):
            print(f"[faults] {index}/{len(faults)} {fault.name} ...", file=sys.stderr, flush=True)
            case = out / fault.name.replace(" ", "-")
            case_started = time.monotonic()
            try:
                outcome = run_fault(fault, args.app, case, db=args.db,
                                    statement_log=args.statement_log)
            except ServiceError as error:  # this case cannot run here; the next may
                print(f"[faults] {fault.name}: not run: {error}", file=sys.stderr, flush=True)
                outcomes.append(not_run(fault, case, str(error),
                                        time.monotonic() - case_started))
                continue
            outcomes.append(outcome)
            print(f"[faults] {fault.name}: {outcome.named} ({outcome.confidence:.2f}) "
                  f"{'ok' if outcome.correct else 'WRONG'}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("[faults] interrupted: writing the cases that finished", file=sys.stderr)
    write_matrix(out, stack, outcomes, time.monotonic() - started)
    return 0 if outcomes and all(o.correct for o in outcomes) and len(outcomes) == len(faults) \
        else 1


if __name__ == "__main__":
    raise SystemExit(main())
