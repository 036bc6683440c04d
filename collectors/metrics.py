"""Every metric the collectors write: name (label in braces, if any) -> (unit, meaning).

The single registry of names and units; docs/collectors.md repeats it and a test
checks that every metric a collector emits is listed here.
"""

from __future__ import annotations

METRICS: dict[str, tuple[str, str]] = {
    # host
    "cpu.util": ("ratio", "busy share of all CPUs (user+nice+system+irq+softirq+steal)"),
    "cpu.user": ("ratio", "user + nice share"),
    "cpu.system": ("ratio", "system share"),
    "cpu.iowait": ("ratio", "idle waiting for I/O"),
    "cpu.steal": ("ratio", "taken by the hypervisor"),
    "cpu.max_core": ("ratio", "busy share of the hottest CPU"),
    "cpu.count": ("cores", "online CPUs"),
    "load.runqueue": ("tasks", "runnable tasks (procs_running); saturation above cpu.count"),
    "load.avg1": ("tasks", "1-minute load average"),
    "mem.total": ("bytes", "MemTotal"),
    "mem.available_ratio": ("ratio", "MemAvailable / MemTotal"),
    "swap.in_rate": ("pages/s", "pswpin"),
    "swap.out_rate": ("pages/s", "pswpout"),
    "mem.major_faults_rate": ("faults/s", "pgmajfault"),
    "mem.oom_kills": ("count", "OOM kills since the last sample"),
    "disk.util": ("ratio", "{dev}: time with I/O in flight (io_ticks)"),
    "disk.iops": ("ops/s", "{dev}: reads + writes completed"),
    "disk.queue": ("requests", "{dev}: average queue (weighted io ms / ms)"),
    "disk.await": ("ms", "{dev}: average time per I/O"),
    "disk.read_bytes_rate": ("bytes/s", "{dev}"),
    "disk.write_bytes_rate": ("bytes/s", "{dev}"),
    "net.rx_bytes_rate": ("bytes/s", "all interfaces but lo"),
    "net.tx_bytes_rate": ("bytes/s", "all interfaces but lo"),
    "tcp.retrans_rate": ("segments/s", "TCP RetransSegs"),
    "listen.backlog": ("connections", "{port}: accept queue of a listening socket"),
    "pressure.cpu": ("ratio", "PSI some avg10"),
    "pressure.memory": ("ratio", "PSI some avg10"),
    "pressure.io": ("ratio", "PSI some avg10"),
    "proc.cpu": ("cores", "{group}: CPU of a process group (1.0 = one core)"),
    "proc.rss": ("bytes", "{group}: resident memory"),
    "proc.count": ("processes", "{group}"),
    # PostgreSQL
    "pg.connections.total": ("count", "client backends"),
    "pg.connections.max": ("count", "max_connections"),
    "pg.connections.active": ("count", "backends running a statement"),
    "pg.connections.idle": ("count", "idle backends"),
    "pg.connections.idle_in_transaction": ("count", "idle inside a transaction"),
    "pg.wait": ("backends", "{type}: active backends by wait_event_type (CPU = no wait)"),
    "pg.longest_query_s": ("s", "longest running active statement"),
    "pg.locks.ungranted": ("count", "lock requests waiting"),
    "pg.xact_commit_rate": ("tx/s", "commits"),
    "pg.xact_rollback_rate": ("tx/s", "rollbacks"),
    "pg.cache_hit_ratio": ("ratio", "blks_hit / (blks_hit + blks_read) in the sample"),
    "pg.temp_bytes": ("bytes/s", "temp files written (sorts/hashes past work_mem)"),
    "pg.deadlocks": ("count/s", "deadlocks"),
    # Redis
    "queue.length": ("jobs", "{queue}: pending (Laravel queues:<name> list)"),
    "queue.reserved": ("jobs", "{queue}: being worked on (:reserved)"),
    "queue.delayed": ("jobs", "{queue}: waiting to retry or scheduled (:delayed)"),
    "redis.hit_ratio": ("ratio", "keyspace hits / (hits + misses) in the sample"),
    "redis.ops_rate": ("commands/s", "total_commands_processed"),
    "redis.memory_bytes": ("bytes", "used_memory"),
    "redis.clients": ("count", "connected_clients"),
    "redis.blocked_clients": ("count", "blocked_clients (BLPOP workers)"),
    "redis.evicted_keys": ("keys/s", "evictions"),
    # app status pages
    "app.workers.busy": ("workers", "requests being served (FPM active processes)"),
    "app.workers.total": ("workers", "request slots (max_children / total processes)"),
    "app.listen_queue": ("requests", "requests waiting for a worker"),
    "app.max_children_reached": ("count", "times all workers were busy (cumulative)"),
    "app.processes": ("processes", "app worker processes"),
    "app.slow_requests": ("count", "PHP-FPM slow requests (cumulative)"),
    "app.db_pool.size": ("connections", "app-side PostgreSQL pool size"),
    "app.db_pool.in_use": ("connections", "pool connections checked out"),
    "app.db_pool.waiting": ("requests", "requests waiting for a pool connection"),
    "nginx.connections.active": ("count", "stub_status"),
    "nginx.requests_rate": ("requests/s", "stub_status"),
    "nginx.reading": ("count", "stub_status"),
    "nginx.writing": ("count", "stub_status"),
    "nginx.waiting": ("count", "stub_status"),
    # self
    "collector.sample_ms": ("ms", "{collector}: time one sample took"),
}


def base_name(metric: str) -> str:
    """`disk.util{vda}` -> `disk.util`."""
    return metric.split("{", 1)[0]
