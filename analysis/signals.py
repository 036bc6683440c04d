"""The metric names the analysis consumes, their aliases, and the process-group roles.

Why here: collectors are built in parallel; every name the analysis depends on is
listed once, so aligning with `collectors/metrics.py` is an edit of this file only.
Units follow docs/DATA-CONTRACT.md: ratios 0-1, cores (1.0 = one core busy), bytes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Signal:
    """One consumed metric: its base name (and accepted aliases) and unit."""

    name: str
    unit: str
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


CPU_UTIL = Signal("cpu.util", "ratio")
CPU_IOWAIT = Signal("cpu.iowait", "ratio")
CPU_COUNT = Signal("cpu.count", "cores", ("cpu.cores",))
RUNQUEUE = Signal("load.runqueue", "tasks", ("cpu.runqueue",))
MEM_AVAILABLE = Signal("mem.available_ratio", "ratio")
MEM_TOTAL = Signal("mem.total", "bytes", ("mem.total_bytes",))
SWAP_IN = Signal("swap.in_rate", "pages/s")
SWAP_OUT = Signal("swap.out_rate", "pages/s")
OOM_KILLS = Signal("mem.oom_kills", "count")
DISK_UTIL = Signal("disk.util", "ratio")
DISK_AWAIT = Signal("disk.await", "ms", ("disk.await_ms",))
DISK_QUEUE = Signal("disk.queue", "requests", ("disk.avgqu",))
PROC_CPU = Signal("proc.cpu", "cores")
PROC_RSS = Signal("proc.rss", "bytes")
PROC_COUNT = Signal("proc.count", "processes")
PG_ACTIVE = Signal("pg.connections.active", "count")
PG_TOTAL = Signal("pg.connections.total", "count")
PG_MAX = Signal("pg.connections.max", "count", ("pg.max_connections",))
PG_WAIT = Signal("pg.wait", "backends")
PG_LOCK_WAIT = Signal("pg.lock_wait", "backends")  # label: the waiting statement's queryid
PG_LOCKS_UNGRANTED = Signal("pg.locks.ungranted", "count", ("pg.locks.waiting",))
PG_DEADLOCKS = Signal("pg.deadlocks", "count/s")
PG_HIT_RATIO = Signal("pg.cache_hit_ratio", "ratio", ("pg.hit_ratio",))
PG_TEMP_BYTES = Signal("pg.temp_bytes", "bytes/s")
QUEUE_LENGTH = Signal("queue.length", "jobs")
QUEUE_RESERVED = Signal("queue.reserved", "jobs")
QUEUE_FAILED = Signal("queue.failed", "jobs")
REDIS_HIT_RATIO = Signal("redis.hit_ratio", "ratio", ("cache.hit_ratio",))
REDIS_EVICTED = Signal("redis.evicted_keys", "keys/s")
APP_LISTEN_QUEUE = Signal("app.listen_queue", "requests", ("app.listen_backlog",))
APP_WORKERS_BUSY = Signal("app.workers.busy", "workers", ("app.workers.active",))
APP_WORKERS_TOTAL = Signal("app.workers.total", "workers")
APP_MAX_CHILDREN = Signal("app.max_children_reached", "count")
APP_POOL_WAITING = Signal("app.db_pool.waiting", "requests")
APP_POOL_SIZE = Signal("app.db_pool.size", "connections")
APP_POOL_IN_USE = Signal("app.db_pool.in_use", "connections")
LOADGEN_CPU = Signal("loadgen.cpu", "cores")

# Process groups (the label of proc.cpu{group}) by role in the stack. A group not
# listed here counts as "outside the stack" for host.cpu.
GROUP_ROLES: dict[str, tuple[str, ...]] = {
    "db": ("postgres", "postgresql", "mysql", "mariadb"),
    "app": ("app", "app_server", "php-fpm", "php", "uvicorn", "gunicorn", "nginx", "octane"),
    "queue_worker": ("worker", "queue_worker", "queue", "horizon"),
    "cache": ("redis",),
    "loadgen": ("locust", "loadgen"),
    "collector": ("collector", "collectors"),
}
OUTSIDE_ROLE = "outside"


def role_of(group: str) -> str:
    """Role of a process group; unknown groups (e.g. `other`) are outside the stack."""
    for role, groups in GROUP_ROLES.items():
        if group.lower() in groups:
            return role
    return OUTSIDE_ROLE
