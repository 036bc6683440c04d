"""Recommendations per bottleneck class, concrete for a Laravel eSPPD team on PostgreSQL or
MySQL/MariaDB (each in its engine's terms).

Why computed: "raise pm.max_children" is only useful with a number, and the number
comes from measured RAM and worker RSS, not from the target's configuration.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from analysis.signals import (
    APP_WORKERS_BUSY,
    APP_WORKERS_TOTAL,
    MEM_AVAILABLE,
    MEM_TOTAL,
    MYSQL_METADATA_WAITS,
    PROC_COUNT,
    PROC_CPU,
    PROC_RSS,
    role_of,
)

if TYPE_CHECKING:
    from analysis.context import Context
    from analysis.findings import Finding
from analysis.culprit import LockCulprit
from analysis.holders import ConnectionHolder
from analysis.sqltext import is_schema_change
from analysis.timefmt import clock
from analysis.top_processes import ProcessCulprit

GIB = 2**30
MIB = 2**20


def recommendations(finding: Finding, ctx: Context) -> list[str]:
    """Checklist items for one finding (text; the report escapes it)."""
    return BY_CLASS[finding.bottleneck](finding, ctx)


def php_fpm_max_children(ctx: Context) -> tuple[int, float, float] | None:
    """(max_children, GiB available to PHP, MiB per worker) from measured RAM and RSS."""
    total = ctx.signal(MEM_TOTAL).max()
    available = ctx.signal(MEM_AVAILABLE).min()
    rss, processes = 0.0, 0.0
    groups = ctx.groups() or []
    # PHP-FPM's children when they are measured apart (nginx's workers are not PHP).
    workers = [g for g in groups if g == "php-fpm"] or [g for g in groups if role_of(g) == "app"]
    for group in workers:
        rss += float(ctx.signal(PROC_RSS, group, how="sum").max() or 0.0)
        processes += float(ctx.signal(PROC_COUNT, group, how="sum").max() or 0.0)
    if processes <= 0:
        processes = float(ctx.signal(APP_WORKERS_TOTAL, how="sum").max())
    if any(math.isnan(v) for v in (total, available, rss, processes)) or processes <= 0 \
            or rss <= 0:
        return None
    per_worker = rss / processes
    for_php = total * available + rss  # free memory plus what PHP already holds
    return int(0.8 * for_php // per_worker), for_php / GIB, per_worker / MIB


def cpu_bound_children(ctx: Context) -> tuple[int, float, float] | None:
    """(workers the CPUs keep busy at 80%, cores per busy worker, CPUs) from the measured
    CPU of the worker processes over the busy workers: a busy worker that waits on the
    database uses little, one that renders a page uses a lot, and more workers than the
    CPUs can feed only queue for CPU (Little's law on the cores)."""
    group = ctx.worker_group()
    if group is None:
        return None
    busy = ctx.signal(APP_WORKERS_BUSY, how="sum")
    per_worker = float((ctx.signal(PROC_CPU, group, how="sum") / busy.where(busy >= 1)).median())
    hosts = [t for t in ctx.per_target(PROC_CPU, group).columns if t in ctx.ncpu]
    if math.isnan(per_worker) or per_worker <= 0 or not hosts:
        return None
    cpus = max(ctx.ncpu[t] for t in hosts)
    return int(0.8 * cpus / per_worker), per_worker, cpus


def _loadgen(f: Finding, ctx: Context) -> list[str]:
    return [
        "Results above the onset load measure the load generator: do not use them for capacity.",
        "Add Locust worker processes (`run_campaign.py --workers N`, about one per core) or "
        "spread workers over more machines; keep each under ~80% of one core.",
        "Re-run the same campaign and compare: the knee must not move with the generator.",
    ]


def _cpu_quota(f: Finding) -> list[str]:
    """A group held to a cgroup's CPU quota: the quota first (nothing else frees it)."""
    quota = f.details.get("quota")
    if not quota:
        return []
    return [
        f"{quota['group']} is held to {quota['cores']:.3g} cores by the CPU quota of cgroup "
        f"{quota['cgroup']} and was throttled in {quota['throttled'] * 100:.0f}% of its "
        "scheduler periods: raise the quota above what it uses at peak, with headroom for "
        "bursts, or remove it (systemd: `systemctl set-property UNIT CPUQuota=200%`; Docker: "
        "`docker update --cpus 2 CONTAINER`; Kubernetes: raise `resources.limits.cpu` or drop "
        "the limit and keep the request). More PHP-FPM children or workers under the same "
        "quota only queue for it.",
        "Alert on throttling: throttled periods over all periods (cpu.stat nr_throttled / "
        "nr_periods; cAdvisor's container_cpu_cfs_throttled_periods_total) above 25%.",
    ]


def _app_cpu(f: Finding, ctx: Context) -> list[str]:
    routes = ", ".join(f.affected_requests) or "the slowest routes"
    return [
        *_cpu_quota(f),
        f"Profile {routes} (Laravel Telescope, Xdebug or Blackfire) to find the CPU-heavy code.",
        "Move CPU-heavy work out of the request: generate the travel-order .docx/PDF and the "
        "Excel export in a queued job (`GenerateSppdDocument::dispatch($sppd)`), return "
        "immediately and let the page poll for the file.",
        "Enable OPcache (`opcache.enable=1`, `opcache.validate_timestamps=0` in production) and "
        "cache the framework: `php artisan config:cache route:cache view:cache event:cache`.",
        "If login dominates, check the password-hash cost (`BCRYPT_ROUNDS`, 10-12 is usual).",
        "Then add CPU or app servers behind the load balancer.",
    ]


def _stalled_redis(stall_ms: float) -> list[str]:
    return [
        f"Redis answered a PING in {stall_ms:.0f} ms: find what stalls it: "
        "`redis-cli --latency`, `SLOWLOG GET 20` (a long Lua script, KEYS or SMEMBERS on a "
        "big key), `CLIENT LIST` (a client that ran CLIENT PAUSE, or one blocking the "
        "server), `INFO commandstats`, and the Redis host's CPU and swap.",
        "Give the app's Redis connection a read timeout (`read_timeout` / "
        "`read_write_timeout` in config/database.php) so a stalled Redis fails requests "
        "fast instead of holding every worker.",
    ]


def _outage(f: Finding, server: str, log: str, timeouts: str) -> list[str]:
    """An outage: first why the server stopped, then how the app should meet the next."""
    cause = f.details.get("server_cause")
    if cause == "stopped":
        why = _find_who_stopped(f"{server}'s processes")
    elif cause == "gone":
        why = (f"Find why {server} exited: its log ({log}) and `journalctl -k` at the onset "
               "(the OOM killer names its victim); run it under systemd with "
               "`Restart=on-failure`.")
    elif f.details.get("refused"):
        why = (f"{server} refused or dropped connections: check that it runs and listens "
               f"(`systemctl status`, `ss -ltnp`), its log ({log}), and the network path and "
               "firewall between the app and it.")
    else:
        why = (f"{server} kept its connections open and answered nothing: look at its host "
               "(a paused VM, a hung disk: `dmesg`, `iostat -x 1`; a frozen container) and at "
               "the network path between the app and it.")
    return [why, timeouts,
            f"Watch {server} with a liveness probe that alerts within seconds (and, for the "
            "peak weeks, have a replica to fail over to)."]


def _db_unavailable(f: Finding, ctx: Context) -> list[str]:
    log = "the MariaDB/MySQL error log" if ctx.mysql else "the PostgreSQL log"
    timeout = ("`PDO::ATTR_TIMEOUT` and `read_timeout` in the connection's options, "
               "`max_execution_time`" if ctx.mysql else
               "`connect_timeout` in the DSN, `statement_timeout`")
    if "stall_ms" in f.details:
        return _stalled_database(f, ctx.db_server)
    return _outage(f, ctx.db_server, log,
                   f"Make the app fail fast instead of holding every worker: {timeout}, and "
                   "nginx `fastcgi_read_timeout` below the clients' own timeout, so workers "
                   "free themselves and users get an error page, not a hang.")


def _stalled_database(f: Finding, server: str) -> list[str]:
    """A database that answered, slowly: where the round trip's time went."""
    return [
        _find_who_stopped(f"{server}'s processes", again=True) if _seen_stopped(f) else
        f"Time the path to {server} from the app host: `psql -c 'select 1'` with `\\timing` "
        "(or `mysql -e 'select 1'`) and `ping`; a round trip of milliseconds on a LAN means "
        "a congested or shaped network, a host whose CPU is throttled (`steal` in `top`, "
        "cgroup `cpu.max`), or a server that is paused now and then.",
        f"A SELECT 1 took {f.details['stall_ms']:.0f} ms: any round trip may pay it, "
        "so fewer round trips help until it is fixed (eager loading, one query per list, "
        "cached master data).",
    ]


def _cache_latency(f: Finding, ctx: Context) -> list[str]:
    if "outage_s" in f.details:
        return _outage(f, "Redis", "its log file, `INFO persistence` after a restart",
                       "Give the app's Redis connections a connect and read timeout "
                       "(`timeout`, `read_timeout` in config/database.php) so requests fail "
                       "fast; keep sessions where a Redis restart does not log every user "
                       "out (or accept it), and the queue on its own Redis.")
    client = f.details.get("stalling_client", "")
    first = [_find_who_stopped("Redis's processes", again=True)] if _seen_stopped(f) else [
        _stop_client(client, "stalls Redis for everyone") + "; keep such commands from the "
        "app's Redis with an ACL (`ACL SETUSER <user> -client|pause -debug -keys -save`)."
    ] if client else []
    return [*first, *_stalled_redis(f.details["stall_ms"]),
            "Keep sessions and cache off the queue's Redis (and the queue off theirs), so a "
            "backlog or a blocking pop cannot stall page requests."]


def _stop_client(client: str, doing: str) -> str:
    """How to find and stop a Redis client named by its address (and name) in CLIENT LIST."""
    address = client.split(" ", 1)[0]
    return (f"Stop the client {client} that {doing}: on its host `ss -tnp sport = "
            f":{address.rsplit(':', 1)[-1]}` names its process (or `CLIENT KILL ADDR {address}` "
            "ends its connection for now)")


def _seen_stopped(f: Finding) -> bool:
    return f.details.get("server_cause") == "stopped"


def _find_who_stopped(processes: str, again: bool = False) -> str:
    """The first thing to do about processes the host saw stopped (state T): nothing else
    helps while they cannot run. `again`: stopped and let run in turn (a throttle)."""
    if again:
        return (f"Find who stops {processes} (`ps -eo pid,stat,wchan:20,args`: state T "
                "again and again; a `kill -STOP` loop, a debugger, a cgroup `cpu.max` or "
                "frozen cgroup, a VM with throttled CPU) and let them run.")
    return (f"Find who stopped {processes} (`ps -eo pid,stat,wchan:20,args`: state T; a "
            "debugger, `kill -STOP`, a frozen cgroup or a paused VM) and let them run "
            "(`kill -CONT`), or restart them.")


def _app_workers(f: Finding, ctx: Context) -> list[str]:
    if f.details.get("stopped", 0) > 0:
        return [
            f"{f.details['stopped']:.0f} worker processes were stopped. "
            + _find_who_stopped("them"),
            "Alert on it: PHP-FPM's `pm.status_path` with `?full` lists each child's state "
            "and requests served; a child whose count stands still while others serve is stuck.",
            "Sizing the pool does not help while the listed workers cannot run.",
        ]
    if "outage_s" in f.details:
        return [f"The workers waited on the {f.details['waited_on']}, which stopped "
                "answering (see its finding): sizing the pool does not help, every new worker "
                "would wait too."]
    if f.details.get("stuck"):
        return [
            "Find what the stuck requests wait on: PHP-FPM's slow log (`request_slowlog_timeout "
            "= 5s`, `slowlog = ...`) writes the PHP stack of every request past it; for one "
            "live worker, `cat /proc/<pid>/wchan`, `strace -p <pid>` or `py-spy`/`phpspy`.",
            "Bound every outbound call (HTTP client `timeout`/`connect_timeout`, mail, DNS) "
            "and set `request_terminate_timeout` so a stuck worker is recycled instead of lost "
            "to the pool.",
            "Sizing the pool only delays it: stuck requests hold new workers too.",
        ]
    if f.details.get("waited_on") == "redis":
        return [*_stalled_redis(f.details["stall_ms"]),
                "Sizing the pool does not help: more workers would wait on Redis too."]
    sized = php_fpm_max_children(ctx)
    by_cpu = cpu_bound_children(ctx)
    workers = f.details.get("workers", math.nan)
    if by_cpu and by_cpu[0] <= workers:
        size = (f"Do not raise `pm.max_children`: each busy worker used {by_cpu[1]:.2f} cores, "
                f"so {by_cpu[2]:.0f} CPUs keep about {by_cpu[0]} busy at 80% and the "
                f"{workers:.0f} there already queue for CPU; make requests cheaper or add "
                "CPUs (see the CPU finding) first.")
    elif sized and by_cpu and by_cpu[0] < sized[0]:
        size = (f"Raise PHP-FPM `pm.max_children` from {workers:.0f} to about {by_cpu[0]}: "
                f"each busy worker used {by_cpu[1]:.2f} cores, so {by_cpu[2]:.0f} CPUs keep "
                f"about that many busy at 80% (RAM would allow {sized[0]} at {sized[2]:.0f} "
                "MiB per worker; more than the CPUs feed only queue for CPU).")
    elif sized:
        children, for_php, per_worker = sized
        size = (f"Raise PHP-FPM `pm.max_children` from {workers:.0f} to about {children} "
                f"(80% of {for_php:.1f} GiB available to PHP / {per_worker:.0f} MiB measured "
                "per worker).")
    else:
        size = ("Raise PHP-FPM `pm.max_children` to 80% of the RAM available to PHP divided "
                "by the measured RSS of one worker (`ps -o rss -C php-fpm`).")
    return [
        size,
        "Use `pm = static` (or a high `pm.min_spare_servers`) on a dedicated app host so "
        "workers are not forked under load; watch `max children reached` on the status page.",
        "Keep PostgreSQL in step: every worker may hold a connection, so max_connections >= "
        "max_children x app servers + queue workers + a margin (or use PgBouncer).",
        "If workers are busy waiting on something slower (database, HTTP calls), fix that first: "
        "more workers only move the queue.",
    ]


def _outside_work(f: Finding, ctx: Context) -> list[str]:
    """When a client that is not the app ran the database's work: that client first."""
    who = f.details.get("outside_runner")
    if not who:
        return []
    # Advice for a person to type, never executed.
    find = ("`SELECT id, user, host, time, info FROM information_schema.PROCESSLIST WHERE "
            "command <> 'Sleep'`" if ctx.mysql else
            "`SELECT pid, usename, client_addr, query_start, query FROM pg_stat_activity "  # noqa: S608
            f"WHERE application_name = '{f.details.get('outside_application', '')}'`")
    cap = ("`MAX_STATEMENT_TIME` / `max_execution_time` for its user" if ctx.mysql else
           "`ALTER ROLE ... SET statement_timeout` for its role")
    return [f"The statements were not the app's: {who} ran most of the database's work. "
            f"Find it ({find}), move it off peak hours or to a read replica, and cap it "
            f"({cap}); tuning the app's own statements would not help."]


def _fresh_statistics(f: Finding, ctx: Context) -> list[str]:
    """ANALYZE first when the statements' tables have missing or stale statistics: the
    rest of the advice holds only if they stay costly with fresh ones."""
    stale = f.details.get("stale_statistics") or []
    if not stale:
        return []
    names = ", ".join(table for table, _ in stale)
    off = [table for table, nothing_reanalyzes in stale if nothing_reanalyzes]
    if ctx.mysql:
        out = [f"Refresh the optimizer's statistics first: `ANALYZE TABLE {names};`, then "
               "re-measure before any other change."]
        if off:
            out.append("Keep them fresh: `innodb_stats_auto_recalc = ON`, or "
                       f"`ALTER TABLE ... STATS_AUTO_RECALC = 1` for {', '.join(off)}.")
        return out
    out = [f"Refresh the planner's statistics first: `ANALYZE {names};` (after a restore or "
           "pg_upgrade: `vacuumdb --all --analyze-in-stages`), then re-measure before any "
           "other change."]
    if off:
        out.append("Let autovacuum keep them fresh: `ALTER TABLE ... RESET "
                   f"(autovacuum_enabled);` for {', '.join(off)} (on each partition of a "
                   "partitioned table; a bulk load may turn it off: turn it back on and "
                   "ANALYZE after the load).")
    return out


def _db_cpu(f: Finding, ctx: Context) -> list[str]:
    quota = _cpu_quota(f)
    if quota:
        return [*quota, f"Then reduce {ctx.db_server}'s work per request (see 'Top statements')."]
    outside = _outside_work(f, ctx)
    if outside:
        return [*outside, f"Then give {ctx.db_server} headroom for such jobs (more CPU, or "
                          "a replica for reporting)."]
    return [*_fresh_statistics(f, ctx),
        "Reduce the work of the statements with the most total time (see 'Top statements'): "
        "an index, fewer rows (`->select([...])`, pagination), or caching the result.",
        "Move reporting (month-end recap, exports) to a read replica or off-peak jobs.",
        f"Then give {ctx.db_server} more CPU or a dedicated host.",
    ]


def _db_query(f: Finding, ctx: Context) -> list[str]:
    outside = _outside_work(f, ctx)
    if outside:
        return outside
    table = f.details.get("table")
    columns = f.details.get("index_columns") or []
    out = _fresh_statistics(f, ctx)
    explain = "`EXPLAIN ANALYZE`" if ctx.mysql else "`EXPLAIN (ANALYZE, BUFFERS)`"
    if table and f.details.get("slowed_from") is not None:
        out.append(f"It was fast before {clock(f.details['slowed_from'])} and reads {table} by "
                   "full scans since: find what changed then (an index dropped by a migration "
                   f"or by hand, a data load; {explain} now against a plan from before) and "
                   "restore it; otherwise:")
    if table and f.details.get("summary"):
        out.append(
            f"It summarizes {table} on every call and returns a few rows: cache the result "
            "(`Cache::tags([...])->remember(...)`, the tag flushed by the writes that change it; "
            "check that the cache store actually keeps it) or keep a summary table updated "
            "on write.")
        out.append(f"An index on {table}({', '.join(columns) or '...'}) helps only if it narrows "
                   f"the rows the summary reads; verify with {explain}.")
    elif table and columns:
        cols = ", ".join(f"'{c}'" for c in columns)
        name = f"{table}_{'_'.join(columns)}_index"
        online = (f"`DB::statement('ALTER TABLE {table} ADD INDEX {name} "
                  f"({', '.join(columns)}), ALGORITHM=INPLACE, LOCK=NONE')`" if ctx.mysql else
                  f"`DB::statement('CREATE INDEX CONCURRENTLY {name} ON {table} "
                  f"({', '.join(columns)})')` with `public $withinTransaction = false;`")
        out.append(
            f"Add the index in a migration: `Schema::table('{table}', fn (Blueprint $table) => "
            f"$table->index([{cols}]));` (on a busy production table, without blocking "
            f"writes: {online}).")
        out.append(f"If {table} is partitioned, the index is created on every partition; check "
                   f"that queries read only their partition with {explain} on the statement "
                   "with real parameters.")
    elif table:
        out.append(f"Add an index on {table} matching the statement's WHERE clause; confirm "
                   f"with {explain}.")
    elif f.details.get("slowed_from") is not None:
        out.append(f"{'If it stays slow with fresh statistics, find' if out else 'Find'} what "
                   f"changed at {clock(f.details['slowed_from'])}: compare its plan "
                   f"({explain} with real parameters) with one from before; a dropped "
                   "index, a data load, a changed setting ("
                   + ("`optimizer_switch`, `sort_buffer_size`" if ctx.mysql else
                      "`work_mem`, the driver's prepared-statement plan caching")
                   + ") or a lock it now waits on.")
    else:
        out.append("The statement is costly per call without sequential scans: fetch fewer rows "
                   "(`->select([...])`, `->paginate(25)`), avoid `count(*)` on every page view, "
                   "or cache the result with `Cache::tags(['sppd'])->remember(...)`.")
    if f.details.get("temp_blks_written"):
        out.append("It spills sorts/hashes to disk: raise `work_mem` for the app's role "
                   "(`ALTER ROLE <app role> SET work_mem = '32MB'`) or sort on an indexed "
                   "column.")
    if f.details.get("tmp_disk_tables"):
        out.append("It builds temporary tables on disk: raise `tmp_table_size` and "
                   "`max_heap_table_size` together, or avoid the GROUP BY/ORDER BY on an "
                   "unindexed or TEXT column.")
    return out


def _n_plus_one(f: Finding, ctx: Context) -> list[str]:
    tables = f.details.get("tables") or []
    relation = _relation_name(tables[0]) if tables else "relation"
    request = f.details.get("request") or "the affected page"
    if f.details.get("round_trips"):
        pages = ", ".join(f.affected_requests[:3]) or request
        return [
            f"Find the relation loaded once per row behind {pages}: with "
            "`Model::preventLazyLoading();` in `AppServiceProvider::boot()` (Laravel 8.43+), "
            "the first lazy load in a test or on staging throws "
            "`LazyLoadingViolationException` naming the model and the relation; "
            "`DB::listen` or Telescope count the queries of one request.",
            "Then eager-load it: `->with([...])` on the query, or `$list->load(...)`.",
        ]
    return [
        f"Eager-load the relation behind {request}: `Sppd::with(['{relation}'])->...` (or "
        f"`$list->load('{relation}')`) instead of touching `$sppd->{relation}` per row in the "
        "loop or Blade view.",
        "Catch regressions: `Model::preventLazyLoading(! app()->isProduction());` in "
        "`AppServiceProvider::boot()` fails tests on lazy loading.",
        "Master data that rarely changes (unit_kerja, transportasi, tujuan) can also come from "
        "the cache: `Cache::tags(['master'])->remember('unit_kerja:all', 3600, ...)`.",
    ]


def _db_connections(f: Finding, ctx: Context) -> list[str]:
    maximum = f.details.get("max_connections", math.nan)
    measured = "not measured" if math.isnan(maximum) else f"{maximum:.0f} measured"
    proxy = ("ProxySQL" if ctx.mysql else "PgBouncer in transaction mode")
    reserved = "" if ctx.mysql else ", max_connections less superuser_reserved_connections"
    server = (f"Size connections end to end: the connections {ctx.db_server} gives the app "
              f"({measured}{reserved}) "
              ">= PHP-FPM max_children x app servers + queue workers + ~10 for admin, "
              f"or put {proxy} in front and point `DB_PORT` at it.")
    pool = ("If the app has its own pool, raise its size to the number of concurrent workers "
            "that use the database, and keep transactions short (no HTTP calls inside "
            "`DB::transaction`).")
    # an app pool that ran dry while the server had room is fixed in the app first
    first = [pool, server] if f.details.get("app_pool_only") else [server, pool]
    holder = f.details.get("holder")
    if isinstance(holder, ConnectionHolder) and holder.one_idle_holder:
        first = [*_idle_holder(holder, ctx), server]
    return [*first, "Alert on connections > 80% of max_connections."]


def _idle_holder(holder: ConnectionHolder, ctx: Context) -> list[str]:
    """One client keeping most connections open without work: find it and cap it."""
    if ctx.mysql:
        find = ("`SELECT id, user, host, command, time FROM information_schema.PROCESSLIST "
                "WHERE command = 'Sleep'`, then `KILL` each id")
        cap = ("`ALTER USER ... WITH MAX_USER_CONNECTIONS n` for that account, and a lower "
               "`wait_timeout` so abandoned sessions close")
    else:
        find = ("`SELECT pid, application_name, client_addr, state, state_change FROM "
                "pg_stat_activity WHERE state LIKE 'idle%'`, then `pg_terminate_backend(pid)`")
        cap = ("`ALTER ROLE ... CONNECTION LIMIT n` for its role, `idle_session_timeout` "
               "(PostgreSQL 14+) so abandoned sessions close, or PgBouncer in front of it")
    return [f"{holder.who} held {holder.mean:.0f} of {holder.total:.0f} connections, "
            f"{holder.idle:.0f} of them idle: find what opens them ({find}) and make it "
            "close them or pool them.",
            f"Cap that client so it cannot starve the app again: {cap}."]


DEADLOCK_ADVICE_RATE = 0.05      # deadlocks/s: more than the odd one


def _db_locks(f: Finding, ctx: Context) -> list[str]:
    deadlocks = [
        "Deadlocks: take the locks of a transaction in one order everywhere (e.g. the "
        "counter row before the SPPD row), lock a row you will write in the statement that "
        "writes it (`UPDATE ... SET n = n + 1` or an upsert rather than a locking read "
        "first; InnoDB also gap-locks a missing row under `FOR UPDATE`), and retry on a "
        "deadlock: `DB::transaction(fn () => ..., 3)`."
    ] if f.details.get("deadlocks_per_s", 0.0) >= DEADLOCK_ADVICE_RATE else []
    culprit = f.details.get("culprit")
    if isinstance(culprit, LockCulprit) and culprit.one_holder:
        return [*deadlocks, *_lock_holder(culprit, ctx)]
    return [
        *deadlocks,
        "Shorten the transactions that touch the hot row: change status in one conditional "
        "statement (`Sppd::whereKey($id)->where('status', 'diajukan')->update([...])`) instead "
        "of read, work, then write inside `lockForUpdate()`.",
        "Move slow work (notifications, documents, exports) out of the transaction: "
        "`DB::afterCommit(...)` or a queued job.",
        "Avoid counters on a shared row (e.g. a per-unit budget total updated on every SPPD): "
        "compute them with a query or update them in a queued job.",
        "Set `innodb_lock_wait_timeout` (e.g. 5) so waits fail fast instead of piling up."
        if ctx.mysql else "Set `lock_timeout` (e.g. 5s) so waits fail fast instead of piling up.",
    ]


def _lock_holder(culprit: LockCulprit, ctx: Context) -> list[str]:
    """One session held the lock: end it, find its code path, keep it from recurring."""
    who = f"session {culprit.pid}" + (f" ({culprit.application})" if culprit.application else "")
    end = (f"`KILL {culprit.pid}`" if ctx.mysql
           else f"`SELECT pg_terminate_backend({culprit.pid})`")
    out = [f"End the {who} that holds the lock ({end}), then find what opened it (client "
           f"{culprit.client or 'unknown'}, user {culprit.user or 'unknown'}): a script, a "
           "console session or a job that took a lock and did not commit."]
    if culprit.idle_in_transaction:
        out.append("A session idle inside its transaction keeps every lock it took: "
                   + ("set `wait_timeout` low for interactive and batch accounts, and commit "
                      "or roll back before any wait." if ctx.mysql else
                      "set `idle_in_transaction_session_timeout` (e.g. 60s) for the "
                      "database or the role (`ALTER ROLE ... SET ...`), so a forgotten "
                      "transaction ends by itself."))
    else:
        out.append("A long statement holds the lock while it runs: run it off-peak or in "
                   "small batches, or bound it with "
                   + ("`max_statement_time`." if ctx.mysql else "`statement_timeout`."))
    if culprit.head is not None and is_schema_change(culprit.head.query):
        out.append("A schema change queued for its lock behind the holder, and every later "
                   "statement on the table queued behind the schema change: run migrations "
                   "with a short lock wait and retry them ("
                   + ("`SET SESSION lock_wait_timeout = 3`; `ALGORITHM=INPLACE, LOCK=NONE` "
                      "where the change allows it)." if ctx.mysql else
                      "`SET lock_timeout = '3s'`; `CREATE INDEX CONCURRENTLY`), after "
                      "checking for long transactions (`pg_stat_activity.xact_start`)."))
    if culprit.query.upper().startswith(("LOCK TABLE", "FLUSH TABLES")):
        out.append("It took explicit table locks: InnoDB needs none for a consistent copy "
                   "(`mysqldump --single-transaction`, `mariadb-backup`), and a manual fix "
                   "can lock just its rows inside a transaction.")
    metadata = ctx.mysql and ctx.signal(MYSQL_METADATA_WAITS).max() > 0
    out.append("Let the app's requests give up instead of piling up behind a holder: "
               + ("`lock_wait_timeout` (e.g. 10) for the app's sessions (the waits were for "
                  "a table's metadata lock, which waits a year by default and which "
                  "`innodb_lock_wait_timeout` does not bound)." if metadata else
                  "`innodb_lock_wait_timeout` (e.g. 5)." if ctx.mysql else
                  "`lock_timeout` (e.g. 5s) for the app's role."))
    return out


def _io_limit(f: Finding) -> list[str]:
    """The database held to a cgroup's disk I/O limit: the limit first (a faster disk
    or a bigger cache under the same limit still waits for it)."""
    limit = f.details.get("io_limit")
    if not limit:
        return []
    return [
        f"{limit['group']} is held to {limit['rate']} on device {limit['device']} by the I/O "
        f"limit of cgroup {limit['cgroup']} and used {limit['used'] * 100:.0f}% of it: raise "
        "the limit above what the database does at peak, or remove it (systemd: "
        "`systemctl set-property UNIT IOWriteIOPSMax='/dev/DISK 2000'`; Docker: "
        "`docker update` cannot change it, recreate with `--device-write-iops`; a cloud "
        "volume: provision more IOPS or throughput, or a volume type without burst "
        "credits).",
        "Alert on it: the cgroup's I/O (io.stat, blkio.throttle.io_serviced; cAdvisor's "
        "container_fs_*) over its limit above 80%, and on the volume's burst balance.",
    ]


def _db_io(f: Finding, ctx: Context) -> list[str]:
    limit = f.details.get("io_limit") or {}
    if f.details.get("write_path") or str(limit.get("limit", "")).startswith("write"):
        return _io_limit(f) + ([
            "Time the log flush where it happens: `SHOW VARIABLES LIKE "
            "'innodb_flush_log_at_trx_commit'` and `sync_binlog` (1 flushes at every "
            "commit), the redo log's disk (`fio --fsync=1` on its filesystem), a semi-sync "
            "replica's `rpl_semi_sync_master_timeout`."] if ctx.mysql else [
            "Time the WAL flush where it happens: `pg_test_fsync` on the WAL's filesystem; "
            "`SHOW synchronous_commit, synchronous_standby_names, commit_delay, "
            "commit_siblings` (a synchronous standby that is slow or gone holds every "
            "commit; a commit_delay adds itself to each), and the wait events of "
            "committing backends in pg_stat_activity (WALSync, WALWrite, SyncRep).",
        ]) + [
            "Put the log on a fast, dedicated disk with a write cache that survives power "
            "loss; relax durability only where losing the last commits is acceptable "
            "(`synchronous_commit = off` per transaction, `innodb_flush_log_at_trx_commit = "
            "2`).",
            "Batch writes that commit one row at a time into one transaction.",
        ]
    total = ctx.signal(MEM_TOTAL).max()
    ram = f"{total / GIB:.0f} GiB" if not math.isnan(total) else "RAM"
    memory = (f"InnoDB memory: innodb_buffer_pool_size about 50-70% of {ram} on a dedicated "
              "database host, so the hot working set is served from memory." if ctx.mysql else
              f"PostgreSQL memory: shared_buffers about 25% of {ram}, effective_cache_size "
              f"50-75% of {ram}, so the hot working set is served from memory.")
    out = [
        *_io_limit(f),
        memory,
        "Partition the biggest growing tables by date (eSPPD's travel orders by year) so "
        "current queries read only their partition; archive old years.",
        *([] if limit else ["Then faster storage (SSD/NVMe) for the data directory."]),
    ]
    if f.details.get("temp_blks_written"):
        out.insert(out.index(memory) + 1, "Sorts/hashes spill to disk: raise work_mem (per "
                                          "operation, so mind max_connections x work_mem).")
    return out


def _process_first(f: Finding, what: str) -> list[str]:
    """The named process first, when the collector saw who used the resource."""
    culprit = f.details.get("culprit")
    if not isinstance(culprit, ProcessCulprit):
        return []
    pids = ",".join(culprit.pids[:5])
    named = (f"Start with {culprit.command!r} ({culprit.where}, "
             f"pid{'s' if len(culprit.pids) > 1 else ''} {pids} on {culprit.target}): it {what}.")
    if culprit.inside_stack:
        return [f"{named} It is part of the stack: size it for the host (the settings below) "
                "or give it a host of its own."]
    return [f"{named} Find what runs it (`ps -o pid,ppid,user,lstart,args -p {pids}`, cron, "
            "systemd timers) and stop, reschedule or limit it (`nice`, `ionice`, a cgroup)."]


def _host_cpu(f: Finding, ctx: Context) -> list[str]:
    return [
        *_process_first(f, "used most of the CPU outside the stack"),
        "Move the processes outside the stack (backups, antivirus scans, other apps, cron jobs) "
        "off the eSPPD host or schedule them outside office hours.",
        "On a VM, check CPU steal and ask for dedicated vCPUs; cap neighbours with cgroups "
        "(`systemd-run -p CPUQuota=...`).",
    ]


def _host_memory(f: Finding, ctx: Context) -> list[str]:
    database = ("innodb_buffer_pool_size + per-connection buffers x connections" if ctx.mysql
                else "PostgreSQL shared_buffers + work_mem x active connections")
    killed = [
        "Find what the OOM killer took and whose limit it was: `journalctl -k | grep -iE "
        "'out of memory|oom-kill'` names the process and its cgroup (`memory.max` or "
        "`memory.limit_in_bytes` there, a service's MemoryMax, a container's limit); raise "
        "the limit to the measured peak or lower that service's workers to fit it.",
    ] if f.details.get("oom_kills", 0) >= 1 else []
    return [
        *killed,
        *_process_first(f, "held the most memory"),
        f"Fit the budget in RAM: PHP-FPM max_children x worker RSS + {database} + Redis "
        "maxmemory + the OS cache.",
        "Lower pm.max_children to what RAM holds (see the app workers row), set Redis "
        "`maxmemory` with `allkeys-lru`, and add RAM if the budget still does not fit.",
    ]


def _host_disk(f: Finding, ctx: Context) -> list[str]:
    if f.details.get("read_only"):
        mount, target = f.details.get("mount", "/"), f.details.get("target") or "the host"
        return [
            f"Find why {mount} went read-only on {target}: `dmesg -T | grep -iE "
            "'remount|I/O error|EXT4-fs error|XFS'` (a failing disk or volume, a full thin "
            "pool or snapshot under it); fix that first.",
            f"Then check and bring it back: `fsck` it unmounted, `mount -o remount,rw {mount}`; "
            "restart the queue workers, whose failed jobs can be retried with "
            "`php artisan queue:retry all`.",
            "Alert on read-only mounts (node_exporter's `node_filesystem_readonly`), and keep "
            "the database and the app's storage on volumes of their own.",
        ]
    if f.details.get("full"):
        mount = f.details.get("mount", "/")
        return [
            *_process_first(f, "wrote the most while it filled"),
            f"Free space on {mount} now: find what grew (`du -xh --max-depth=3 {mount} | "
            "sort -h | tail`): an unrotated storage/logs/laravel.log, file sessions or cache, "
            "old job documents and exports, PostgreSQL WAL kept by an unused replication "
            "slot, binary logs on MySQL/MariaDB.",
            "Keep it from filling again: `LOG_CHANNEL=daily` with `LOG_DAILY_DAYS` (or "
            "logrotate), a schedule that prunes old documents, `max_slot_wal_keep_size` "
            "(PostgreSQL) or `binlog_expire_logs_seconds` (MySQL).",
            "Put the database and the app's storage on volumes of their own, and alert at "
            "80% used, long before writes fail.",
        ]
    return [
        *_process_first(f, "read and wrote the most"),
        "Find the writer (`iotop`, pg_stat_io on PostgreSQL 16+): PostgreSQL data/WAL, Laravel "
        "logs or an outside process.",
        "Put PostgreSQL data and WAL on faster storage; spread checkpoints "
        "(`checkpoint_completion_target = 0.9`, larger `max_wal_size`).",
        "Log less on the hot path: `LOG_LEVEL=warning`, `LOG_CHANNEL=daily`.",
    ]


def _queue(f: Finding, ctx: Context) -> list[str]:
    name = f.details.get("queue", "default")
    workers = f.details.get("workers")
    if workers in ("gone", "stopped", "blocked"):
        return [
            "The workers finish nothing: " + (
                "start them again and keep them supervised (Supervisor `autorestart=true`, "
                "systemd `Restart=always`)." if workers == "gone" else
                "find why they make no progress (`ps -o stat,wchan -C php`: `T` is stopped; "
                "otherwise a lock, a remote call or a full disk they wait on) and restart "
                "them (`php artisan queue:restart`)."),
            f"Alert on a stalled queue, not only a long one: `php artisan queue:monitor "
            f"redis:{name} --max=100` and an alert when no job completes for minutes.",
            "Set a job `timeout` below `retry_after` so a hung job is killed and retried "
            "instead of holding its worker forever.",
        ]
    if workers == "failing":
        return [
            "Jobs fail for good: read `failed_jobs` (`php artisan queue:failed`), fix the "
            "cause, then `php artisan queue:retry all`.",
            f"Alert on failures and backlog: `php artisan queue:monitor redis:{name} --max=100`.",
        ]
    return [
        f"Run more queue workers for `{name}` (Supervisor `numprocs` or Horizon "
        "`maxProcesses`) until completions exceed arrivals at peak.",
        "Give heavy jobs (documents, month-end exports) their own queue so notifications are "
        "not stuck behind them: `->onQueue('exports')`.",
        f"Alert on backlog: `php artisan queue:monitor redis:{name} --max=100`.",
    ]


def _cache(f: Finding, ctx: Context) -> list[str]:
    how = f.details.get("keys_left", "")
    deleter = f.details.get("deleter", "")
    gone = {
        "deleted": [_stop_client(deleter, "deletes the cache's keys") + "; a deploy clears "
                    "the cache once (`php artisan cache:clear`), not in a loop."] if deleter else
                   ["Find who deletes the cache's keys: `redis-cli INFO commandstats` "
                    "(cmdstat_del, cmdstat_unlink, cmdstat_flushdb rising), then `CLIENT LIST` "
                    "for the client whose `cmd` is one of them, or `MONITOR` for a second. A "
                    "deploy clears the cache once (`php artisan cache:clear`), not in a loop."],
        "evicted": ["Redis evicts at `maxmemory`: compare `INFO memory` used_memory with "
                    "maxmemory, give it the memory the working set needs, or cache less for "
                    "shorter; with `maxmemory-policy volatile-lru` only keys with a TTL go."],
        "expired": ["Keys written together with one TTL expire together and are rebuilt "
                    "together: add jitter to the TTLs (`Cache::remember($key, 3600 + "
                    "random_int(0, 300), ...)`), or refresh them before they expire."],
    }.get(how, [])
    sessions = [
        "Users were signed out because their sessions lived with the cache's keys: whatever "
        "deleted or evicted those took the sessions too. Give sessions their own Redis "
        "database (a `session` connection in config/database.php with its own `database`, "
        "`SESSION_CONNECTION=session`), with `maxmemory-policy noeviction` or `volatile-*`.",
    ] if f.details.get("sessions_lost") else []
    if how:  # the cache works, something takes its keys away
        return [*gone, *sessions]
    return [*sessions,
        "Cache master data and dashboard statistics with tags: `Cache::tags(['master'])"
        "->remember('unit_kerja:all', 3600, fn () => UnitKerja::all())`, and flush the tag on "
        "writes (`Cache::tags(['sppd'])->flush()` in a model observer).",
        "Check `CACHE_STORE`/`CACHE_DRIVER=redis` in production (not `array` or `file`), key "
        "TTLs, and Redis `maxmemory`/evictions.",
    ]


# What a Redis that refuses commands needs, by the error's kind.
REDIS_REFUSALS = {
    "OOM": "Redis reached maxmemory under `maxmemory-policy noeviction` and refuses writes: "
           "give it room (maxmemory, the host's RAM), and keep the cache on a Redis of its own "
           "with `allkeys-lru`, sessions and queues on one with noeviction and headroom.",
    "MISCONF": "Redis cannot write its RDB snapshot (a full or read-only disk, a failed fork "
               "for lack of memory) and stops accepting writes: free the disk or memory "
               "(`vm.overcommit_memory = 1`), then check `INFO persistence`.",
    "READONLY": "The app writes to a read-only replica: point it at the primary (after a "
                "failover, through Sentinel or the managed service's primary endpoint).",
    "maxclients": "Redis turned connections away at its `maxclients` limit: find who holds "
                  "them (`CLIENT LIST`: many from one address or name, idle for long), make it "
                  "close or pool them (`timeout` in redis.conf ends idle clients), and give "
                  "maxclients (and the open files limit) room above the app's workers.",
}


def _errors(f: Finding, ctx: Context) -> list[str]:
    error = f.details.get("dominant_error") or "the dominant error"
    server = ([("The errors began when a server of the stack was stopped. "
                + _find_who_stopped("its processes")
                if _seen_stopped(f) else
                "The errors began when a server of the stack went away: find why in its log "
                "and `journalctl -k` (the OOM killer names its victim), start it again, and "
                "run it supervised (systemd `Restart=on-failure`, Supervisor `autorestart`).")]
              if f.details.get("culprit") else [])
    sessions = (["Users were signed out by the server: their sessions were gone from the "
                 "session store (flushed, evicted, the store restarted) or could no longer be "
                 "read (APP_KEY or the session cookie's name changed by a deploy). Check "
                 "SESSION_DRIVER's store first, and keep sessions apart from the cache."]
                if f.details.get("lost_sessions_dominate") else [])
    refused = f.details.get("refused_by", "")
    refusal = [REDIS_REFUSALS.get(refused, f"Redis refused the app's commands with {refused} "
                                  "errors: its log and `INFO errorstats` say why.")
               ] if refused else []
    logged = f.details.get("log_messages", [])
    return [*server, *refusal, *sessions,
        f"Fix the dominant error first: {error}. " + (
            f"The stack's log said at the onset: {logged[0]}." if logged else
            "Look in storage/logs/laravel.log at the onset time."),
        "Read the status: 419 = CSRF/session expiry, 429 = login throttling (seed more "
        "accounts), 500 = an exception, 502/504 = PHP-FPM down or timeouts.",
    ]


def _none(f: Finding, ctx: Context) -> list[str]:
    if f.details.get("ramp_only"):
        return [
            "Add users more gradually (a lower `spawn_rate`) or warm up (OPcache, caches, "
            "sessions) before the measured phase, so that a start-up burst is not read as the "
            "steady state.",
            "If real users do arrive together (the 08:00 logins), that burst is what they "
            "feel: logins are CPU-bound (the password hash), so stagger them or size the CPU "
            "for the burst.",
        ]
    if f.details.get("unexplained"):
        return [
            "Nothing measured explains the failed SLOs: add the collectors this run lacked "
            "(database, app status, the host of every tier) or look at what they do not see "
            "(an external API, DNS, the network between tiers), then re-run.",
        ]
    headroom = f.details.get("headroom_users", math.nan)
    out = (["Keep this configuration as the production baseline."] if ctx.run.complete else
           ["Run the campaign to its end before taking this configuration as a baseline: "
            "the load stopped early, so its heaviest phases may never have run."])
    if not math.isnan(headroom):
        out.insert(0, f"Estimated headroom: about {headroom:.0f} users before "
                      f"{f.details.get('headroom_resource')} reaches 80%; confirm with a "
                      "capacity-step campaign to that load.")
    return out


def _relation_name(table: str) -> str:
    """Laravel relation name for a table: unit_kerja -> unitKerja."""
    head, *rest = table.split("_")
    return head + "".join(part.title() for part in rest)


BY_CLASS: dict[str, Callable[[Finding, Context], list[str]]] = {
    "loadgen.cpu": _loadgen, "app.cpu": _app_cpu, "app.workers": _app_workers,
    "cache.latency": _cache_latency,
    "db.cpu": _db_cpu, "db.query": _db_query, "db.n_plus_one": _n_plus_one,
    "db.connections": _db_connections, "db.locks": _db_locks, "db.io": _db_io,
    "db.unavailable": _db_unavailable,
    "host.cpu": _host_cpu, "host.memory": _host_memory, "host.disk": _host_disk,
    "queue.backlog": _queue, "cache.misses": _cache, "app.errors": _errors, "none": _none,
}
