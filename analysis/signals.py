"""The metrics the analysis reads, and the process groups' roles in the stack.

Names and units come from the one registry, `collectors/metrics.py` (a test
fails when a signal here is not registered). Aliases are only the names older
results directories carry (the database metrics were `pg.*` before the MySQL
collector shared them as `db.*`), so any old results dir still analyzes.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.metrics import unit_of


@dataclass(frozen=True)
class Signal:
    """One consumed metric: its registered name, and aliases older results may carry."""

    name: str
    aliases: tuple[str, ...] = ()

    @property
    def unit(self) -> str:
        return unit_of(self.name)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


CPU_UTIL = Signal("cpu.util")
CPU_IOWAIT = Signal("cpu.iowait")
CPU_COUNT = Signal("cpu.count")
RUNQUEUE = Signal("load.runqueue")
MEM_AVAILABLE = Signal("mem.available_ratio")
MEM_TOTAL = Signal("mem.total")
SWAP_IN = Signal("swap.in_rate")
SWAP_OUT = Signal("swap.out_rate")
OOM_KILLS = Signal("mem.oom_kills")
DISK_UTIL = Signal("disk.util")
DISK_AWAIT = Signal("disk.await")
DISK_QUEUE = Signal("disk.queue")
FS_USED = Signal("fs.used_ratio")  # label: the mount point
FS_AVAILABLE = Signal("fs.available_bytes")
FS_READ_ONLY = Signal("fs.read_only")
CGROUP_QUOTA = Signal("cgroup.quota_cores")
CGROUP_THROTTLED = Signal("cgroup.throttled")
CGROUP_IO_LIMIT = Signal("cgroup.io_limit")  # label: group:cgroup:major:minor:limit
CGROUP_IO_LIMIT_USED = Signal("cgroup.io_limit_used")
PROC_CPU = Signal("proc.cpu")
PROC_RSS = Signal("proc.rss")
PROC_COUNT = Signal("proc.count")
PROC_STOPPED = Signal("proc.stopped")
# The database, whichever engine: PostgreSQL and MySQL collectors both write db.*;
# the pg.* aliases read results written before the engines shared names.
DB_ACTIVE = Signal("db.connections.active", ("pg.connections.active",))
DB_TOTAL = Signal("db.connections.total", ("pg.connections.total",))
DB_MAX = Signal("db.connections.max", ("pg.connections.max",))
# Signals whose limit bites at an instant (a full connection table refuses, a second of
# full CPU queues a burst): their highest sample per window is kept too.
PEAK_SIGNALS = (DB_TOTAL, CPU_UTIL)
DB_WAIT = Signal("db.wait", ("pg.wait",))
# label: the waiting statement's queryid
DB_LOCK_WAIT = Signal("db.lock_wait", ("pg.lock_wait",))
# label: the id of a statement no digest times (MariaDB's prepared statements)
DB_ACTIVE_STATEMENT = Signal("db.active")
DB_LOCKS_UNGRANTED = Signal("db.locks.ungranted", ("pg.locks.ungranted",))
DB_REFUSED = Signal("db.connections.refused_rate")
# MySQL/MariaDB: server-side prepared statements run per second (statements no digest
# counts: Laravel's PDO prepares every query)
MYSQL_PREPARED_EXECUTIONS = Signal("mysql.prepared_executions_rate")
# MySQL/MariaDB: sessions queued for a metadata or table lock (LOCK TABLES, DDL), which
# innodb_lock_wait_timeout does not bound
MYSQL_METADATA_WAITS = Signal("mysql.metadata_lock_waits")
DB_DEADLOCKS = Signal("db.deadlocks", ("pg.deadlocks",))
DB_HIT_RATIO = Signal("db.cache_hit_ratio", ("pg.cache_hit_ratio",))
DB_TEMP_BYTES = Signal("db.temp_bytes", ("pg.temp_bytes",))
QUEUE_LENGTH = Signal("queue.length")
QUEUE_RESERVED = Signal("queue.reserved")
QUEUE_DELAYED = Signal("queue.delayed")
QUEUE_FAILED = Signal("queue.failed")
REDIS_HIT_RATIO = Signal("redis.hit_ratio")
REDIS_LOOKUPS = Signal("redis.lookups_rate")  # keyspace hits + misses per second
REDIS_EVICTED = Signal("redis.evicted_keys")
REDIS_EXPIRED = Signal("redis.expired_keys")
REDIS_KEYS = Signal("redis.keys")
REDIS_DELETES = Signal("redis.deletes_rate")
REDIS_DELETING_CLIENT = Signal("redis.deleting_client")  # label: the client's address, name
REDIS_STALLING_CLIENT = Signal("redis.stalling_client")  # label: address, name, COMMAND
REDIS_LATENCY = Signal("redis.latency_ms")
DB_LATENCY = Signal("db.latency_ms")
APP_LISTEN_QUEUE = Signal("app.listen_queue")
APP_REQUEST_RUNNING = Signal("app.request_running_max_s")
LISTEN_BACKLOG = Signal("listen.backlog")  # label: the port (the kernel's accept queue)
NGINX_ACTIVE = Signal("nginx.connections.active")
APP_WORKERS_BUSY = Signal("app.workers.busy")
APP_WORKERS_TOTAL = Signal("app.workers.total")
APP_MAX_CHILDREN = Signal("app.max_children_reached")
APP_POOL_WAITING = Signal("app.db_pool.waiting")
APP_POOL_SIZE = Signal("app.db_pool.size")
APP_POOL_IN_USE = Signal("app.db_pool.in_use")
LOADGEN_CPU = Signal("loadgen.cpu")
LOG_ERRORS = Signal("log.errors")  # label: the message's signature
REDIS_ERRORS = Signal("redis.errors")  # label: the error's kind (OOM, MISCONF...)

# Process groups (the label of proc.cpu{group}) by role in the stack. A group not
# listed here counts as "outside the stack" for host.cpu.
# The groups are what collectors/processes.py:process_group() produces.
GROUP_ROLES: dict[str, tuple[str, ...]] = {
    "db": ("postgres", "mysql"),
    "app": ("app", "php-fpm", "nginx"),
    "queue_worker": ("queue",),
    "cache": ("redis",),
    "loadgen": ("locust",),
    "collector": ("collector",),
}
OUTSIDE_ROLE = "outside"
# The groups whose processes are the app's workers (app.workers.total counts their slots).
WORKER_GROUPS = ("app", "php-fpm")


def role_of(group: str) -> str:
    """Role of a process group; unknown groups (e.g. `other`) are outside the stack."""
    for role, groups in GROUP_ROLES.items():
        if group.lower() in groups:
            return role
    return OUTSIDE_ROLE
