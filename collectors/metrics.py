"""Every metric written to metrics.csv: name (label in braces, if any) -> (unit, meaning).

The single registry of names and units: the collectors emit these names (and
the recorder the `loadgen.*` ones), the analysis reads them (analysis/signals.py
takes units from here) and the progress line picks its ratios from them. Tests
check that every metric a collector emits and every signal a rule reads is
listed. `db.*` are what both database engines have (PostgreSQL and MySQL
collectors write them alike); `pg.*` and `mysql.*` are one engine's own.
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
    "fs.used_ratio": ("ratio", "{mount}: used / (used + available), as df's Use% (every 5 s)"),
    "fs.available_bytes": ("bytes", "{mount}: space left to unprivileged writers"),
    "fs.read_only": ("flag", "{mount}: 1 while mounted read-only (/proc/mounts): every "
                             "write there fails"),
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
    "proc.stopped": ("processes", "{group}: stopped by a signal or a debugger (state T): "
                                  "listed, but serving nothing"),
    "cgroup.quota_cores": ("cores", "{group:cgroup}: the CPU quota of a cgroup holding the "
                                    "group's processes (or of a parent): cpu.max, cfs_quota_us"),
    "cgroup.throttled": ("ratio", "{group:cgroup}: share of its scheduler periods in which the "
                                  "cgroup used its whole quota and waited (nr_throttled / "
                                  "nr_periods)"),
    "cgroup.io_limit": ("ops/s or bytes/s", "{group:cgroup:major:minor:limit}: a disk I/O "
                        "limit of a cgroup holding the group's processes (io.max, "
                        "blkio.throttle): read_iops, write_iops, read_bps or write_bps"),
    "cgroup.io_limit_used": ("ratio", "{group:cgroup:major:minor:limit}: the share of that "
                             "limit the cgroup used (io.stat, blkio.throttle.io_serviced); "
                             "from about 0.75 it binds"),
    # the database, either engine
    "db.connections.total": ("count", "client connections (PostgreSQL backends; MySQL "
                                      "Threads_connected)"),
    "db.connections.max": ("count", "connections an ordinary role can open: PostgreSQL's "
                                    "max_connections less its reserved slots"),
    "db.connections.active": ("count", "connections running a statement"),
    "db.latency_ms": ("ms", "round trip of the collector's SELECT 1: a server that is paused, "
                            "starved or far away shows here while its statements do not"),
    "db.connections.idle": ("count", "idle connections"),
    "db.connections.idle_in_transaction": ("count", "idle inside an open transaction"),
    "db.connections.refused_rate": ("connections/s", "refused at max_connections (MySQL "
                                                     "Connection_errors_max_connections)"),
    "db.wait": ("backends", "{type}: active connections by what they wait on (PostgreSQL "
                            "wait_event_type, with WAL: the commit's wait for the log's "
                            "write, flush or standby; MySQL Lock; CPU = no wait)"),
    "db.lock_wait": ("backends", "{queryid}: connections waiting on a lock, by statement"),
    "db.active": ("backends", "{queryid}: connections running a statement no digest times "
                              "(MariaDB's prepared statements; id: its text's fingerprint): "
                              "sampled DB time"),
    "db.lock_blockers": ("count", "sessions holding a lock others wait for"),
    "db.longest_query_s": ("s", "longest running active statement"),
    "db.locks.ungranted": ("count", "lock requests waiting"),
    "db.cache_hit_ratio": ("ratio", "buffer reads served from memory in the sample"),
    "db.temp_bytes": ("bytes/s", "temp files written (sorts/hashes past work_mem)"),
    "db.deadlocks": ("count/s", "deadlocks"),
    # PostgreSQL only
    "pg.xact_commit_rate": ("tx/s", "commits"),
    "pg.xact_rollback_rate": ("tx/s", "rollbacks"),
    # MySQL / MariaDB only
    "mysql.questions_rate": ("statements/s", "Questions"),
    "mysql.prepared_executions_rate": ("statements/s", "Com_stmt_execute: server-side "
                                       "prepared statements run, which no digest counts"),
    "mysql.slow_queries_rate": ("statements/s", "Slow_queries (over long_query_time)"),
    "mysql.tmp_disk_tables_rate": ("tables/s", "Created_tmp_disk_tables"),
    "mysql.aborted_connects_rate": ("connections/s", "Aborted_connects"),
    "mysql.row_lock_waits_rate": ("waits/s", "Innodb_row_lock_waits"),
    "mysql.row_lock_current_waits": ("count", "Innodb_row_lock_current_waits"),
    "mysql.metadata_lock_waits": ("sessions", "client threads queued for a metadata or "
                                  "table lock (processlist state)"),
    # Redis
    "queue.length": ("jobs", "{queue}: pending (Laravel queues:<name> list, or the jobs "
                             "table of the database driver)"),
    "queue.reserved": ("jobs", "{queue}: being worked on (:reserved, or reserved_at set)"),
    "queue.delayed": ("jobs", "{queue}: waiting to retry or scheduled (:delayed)"),
    "queue.failed": ("jobs", "{queue}: final failures recorded in Laravel's failed_jobs"),
    "redis.hit_ratio": ("ratio", "keyspace hits / (hits + misses) in the sample"),
    "redis.lookups_rate": ("lookups/s", "keyspace hits + misses"),
    "redis.ops_rate": ("commands/s", "total_commands_processed"),
    "redis.memory_bytes": ("bytes", "used_memory"),
    "redis.clients": ("count", "connected_clients"),
    "redis.blocked_clients": ("count", "blocked_clients (BLPOP workers)"),
    "redis.evicted_keys": ("keys/s", "evictions"),
    "redis.expired_keys": ("keys/s", "keys removed when their TTL ran out"),
    "redis.keys": ("keys", "keys in every database (INFO keyspace)"),
    "redis.deletes_rate": ("commands/s", "DEL, UNLINK, FLUSHDB and FLUSHALL calls "
                                         "(INFO commandstats)"),
    "redis.deleting_client": ("0/1", "{address name}: 1 when the client's last command "
                              "deleted keys (CLIENT LIST's cmd: DEL, UNLINK, FLUSH*)"),
    "redis.stalling_client": ("0/1", "{address name COMMAND}: 1 when the client's last "
                              "command stops every other client (CLIENT PAUSE, DEBUG, KEYS, "
                              "SAVE)"),
    "redis.errors": ("replies/s", "{kind}: error replies (INFO errorstats: OOM, MISCONF, "
                     "READONLY...): commands Redis refused; maxclients: connections it "
                     "turned away"),
    "redis.latency_ms": ("ms", "round trip of the collector's PING: a stalled server shows here"),
    # app status pages
    "app.workers.busy": ("workers", "requests being served (FPM: active processes, not "
                                    "counting the status request)"),
    "app.workers.total": ("workers", "request slots (pm.max_children when known, else the "
                                     "processes spawned)"),
    "app.listen_queue": ("requests", "requests waiting for a worker"),
    "app.max_children_reached": ("count", "times all workers were busy (cumulative)"),
    "app.processes": ("processes", "app worker processes"),
    "app.slow_requests": ("count", "PHP-FPM slow requests (cumulative)"),
    "app.request_running_max_s": ("s", "PHP-FPM: the longest request in flight now"),
    "app.request_memory_max_bytes": ("bytes", "PHP-FPM: the largest last-request memory of a "
                                              "child (sizes pm.max_children)"),
    "app.db_pool.size": ("connections", "app-side PostgreSQL pool size"),
    "app.db_pool.in_use": ("connections", "pool connections checked out"),
    "app.db_pool.waiting": ("requests", "requests waiting for a pool connection"),
    "nginx.connections.active": ("count", "stub_status"),
    "nginx.requests_rate": ("requests/s", "stub_status"),
    "nginx.reading": ("count", "stub_status"),
    "nginx.writing": ("count", "stub_status"),
    "nginx.waiting": ("count", "stub_status"),
    # logs
    "log.lines": ("lines", "lines appended to the followed log files in the sample"),
    "log.errors": ("lines", "{signature}: error and warning lines of that kind in the sample "
                            "(file: level: message, values as N and ?)"),
    # self, and the load generator (written by the recorder)
    "collector.sample_ms": ("ms", "{collector}: time one sample took"),
    "collector.waiting_s": ("s", "{collector}: how long a sample has waited for an answer, "
                                 "written each second once it waits past its stall limit"),
    "loadgen.cpu": ("cores", "{worker}: CPU of a Locust process (1.0 = one core)"),
}


def unit_of(name: str) -> str:
    """The unit of a registered metric (KeyError for a name nobody writes)."""
    return METRICS[base_name(name)][0]


def base_name(metric: str) -> str:
    """`disk.util{vda}` -> `disk.util`."""
    return metric.split("{", 1)[0]


def label_name(metric: str) -> str:
    """What the braces of a family hold, from its meaning (`{group}: ...` -> `group`);
    `label` for a family whose meaning does not say."""
    meaning = METRICS.get(base_name(metric), ("", ""))[1]
    if meaning.startswith("{") and "}" in meaning:
        return meaning[1:meaning.index("}")]
    return "label"
