"""The tuning sheet: settings computed from this run's own measurements, each as a
snippet in its file's format with the measurement behind every number.

Why from measurements: a pool sized from defaults ("pm.max_children = 5") or from a
blog's rule of thumb fits nobody's app; the run measured the worker RSS, the RAM, the
CPU a busy worker uses, the connections held and the queue's busy workers, which is
what these settings trade against. A setting whose measurement is missing is left out
and said so, never filled with a default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from analysis.context import Context
from analysis.recommend import GIB, MIB, cpu_bound_children, php_fpm_max_children
from analysis.signals import (
    APP_WORKERS_BUSY,
    DB_MAX,
    DB_TOTAL,
    MEM_TOTAL,
    NGINX_ACTIVE,
    OUTSIDE_ROLE,
    PROC_COUNT,
    PROC_CPU,
    PROC_RSS,
    QUEUE_LENGTH,
    QUEUE_RESERVED,
    role_of,
)

HEADROOM = 1.25       # connections and pools: a quarter above what the run needed
QUEUE_UTILIZATION = 0.7  # queue workers busy at most 70% of the time at the peak


@dataclass(frozen=True)
class Snippet:
    file: str      # where it goes (php-fpm pool, postgresql.conf, ...)
    text: str      # in that file's own syntax, a comment on each measured number
    basis: list[str] = field(default_factory=list)  # the measurements, in words

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "text": self.text, "basis": self.basis}


@dataclass(frozen=True)
class TuningSheet:
    snippets: list[Snippet]
    missing: list[str]  # settings not computed, and the measurement that was missing

    def to_dict(self) -> dict[str, object]:
        return {"snippets": [s.to_dict() for s in self.snippets], "missing": self.missing}


def _measured(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def app_workers(ctx: Context) -> tuple[int, list[str]] | None:
    """Workers the memory and the CPUs both allow: the smaller of the two bounds. The
    CPU bound is never below two per CPU: a worker also waits (database, Redis), and
    a pool smaller than that queues requests while cores idle."""
    memory, cpu = php_fpm_max_children(ctx), _cpu_bound(ctx)
    if memory is None and cpu is None:
        return None
    basis, bounds = [], []
    if memory is not None:
        children, for_php_gib, per_worker_mib = memory
        bounds.append(children)
        basis.append(f"memory: {for_php_gib:.1f} GiB free for PHP at the tightest moment, "
                     f"{per_worker_mib:.0f} MiB per worker measured -> {children} at 80%")
    if cpu is not None:
        children, cores_per_busy, cpus = cpu
        bounds.append(children)
        basis.append(f"CPU: a busy worker used {cores_per_busy:.2f} cores, {cpus:.0f} CPUs -> "
                     f"{children} (80% busy, at least 2 per CPU)")
    else:
        basis.append("CPU: not bounded (no busy-worker count or worker CPU measured)")
    return max(1, min(bounds)), basis


def _cpu_bound(ctx: Context) -> tuple[int, float, float] | None:
    """cpu_bound_children, or at light load (never a whole worker busy per 5 s) the
    cores per busy worker as total worker CPU over total busy workers."""
    found = cpu_bound_children(ctx)
    group = ctx.worker_group()
    if found is None and group is not None:
        busy = ctx.signal(APP_WORKERS_BUSY, how="sum")
        cpu = ctx.signal(PROC_CPU, group, how="sum")
        both = (busy > 0) & cpu.notna()
        hosts = [t for t in ctx.per_target(PROC_CPU, group).columns if t in ctx.ncpu]
        if both.any() and busy[both].sum() > 0 and hosts:
            cpus = max(ctx.ncpu[t] for t in hosts)
            per_worker = float(cpu[both].sum() / busy[both].sum())
            found = (int(0.8 * cpus / per_worker), per_worker, cpus) if per_worker > 0 else None
    if found is None:
        return None
    children, per_worker, cpus = found
    return max(children, int(2 * cpus)), per_worker, cpus


def _php_fpm(workers: int, basis: list[str]) -> Snippet:
    spare_min, spare_max = max(1, workers // 4), max(2, workers * 3 // 4)
    text = "\n".join([
        "; php-fpm pool (e.g. /etc/php/8.2/fpm/pool.d/esppd.conf)",
        "pm = dynamic",
        f"pm.max_children = {workers}        ; the smaller of the bounds below",
        f"pm.start_servers = {max(spare_min, workers // 2)}",
        f"pm.min_spare_servers = {spare_min}",
        f"pm.max_spare_servers = {spare_max}",
        "pm.max_requests = 500             ; recycle children (leaks), not measured",
        *[f"; {line}" for line in basis]])
    return Snippet("php-fpm pool", text, basis)


def _database(ctx: Context, workers: int | None, queue_workers: int | None
              ) -> tuple[Snippet | None, str | None]:
    peak = _measured(float(ctx.signal(DB_TOTAL, how="sum").max()))
    limit = _measured(float(ctx.signal(DB_MAX).max()))
    total = _measured(float(ctx.signal(MEM_TOTAL).max()))
    if peak is None or total is None:
        return None, "database settings: no connection count or RAM was measured"
    holders = (workers or 0) + (queue_workers or 0)
    connections = max(math.ceil(peak * HEADROOM), holders + 5)
    basis = [f"connections: {peak:.0f} held at the peak (limit {limit:.0f})" if limit else
             f"connections: {peak:.0f} held at the peak",
             f"app processes that each hold one: {workers or '?'} PHP/app workers + "
             f"{queue_workers or '?'} queue workers",
             f"RAM: {total / GIB:.1f} GiB on the database host"]
    others = _stack_rss(ctx, besides="db")
    for_db = max(total * 0.25, total - others - total * 0.2)  # 20% for the OS and cache
    basis.append(f"other processes of the stack held {others / GIB:.2f} GiB at their peak")
    if ctx.mysql:
        pool = int(for_db * 0.75 // MIB)
        text = "\n".join([
            "# my.cnf [mysqld]",
            f"max_connections = {connections}   # peak {peak:.0f} x {HEADROOM}, at least "
            f"every holder ({holders}) + 5",
            f"innodb_buffer_pool_size = {pool}M   # 75% of the "
            f"{for_db / GIB:.1f} GiB the rest of the stack leaves",
            *[f"# {line}" for line in basis]])
        return Snippet("my.cnf", text, basis), None
    shared = int(min(for_db * 0.4, total * 0.25) // MIB)
    effective = int(for_db // MIB)
    work_mem = max(4, int((for_db - shared * MIB) / max(1, connections) / 4 // MIB))
    text = "\n".join([
        "# postgresql.conf",
        f"max_connections = {connections}      # peak {peak:.0f} x {HEADROOM}, at least every "
        f"holder ({holders}) + 5",
        f"shared_buffers = {shared}MB          # 25% of RAM, at most 40% of what the stack "
        "leaves",
        f"effective_cache_size = {effective}MB  # what the stack leaves the database and "
        "its page cache",
        f"work_mem = {work_mem}MB               # the rest over connections x 4 sorts",
        *[f"# {line}" for line in basis]])
    return Snippet("postgresql.conf", text, basis), None


def _stack_rss(ctx: Context, besides: str) -> float:
    """Peak resident memory of the stack's process groups other than role `besides`
    (the load generator, the collectors and processes outside the stack left out)."""
    total = 0.0
    for group in ctx.groups():
        if role_of(group) in (besides, "loadgen", "collector", OUTSIDE_ROLE):
            continue
        peak = float(ctx.signal(PROC_RSS, group, how="sum").max())
        total += 0.0 if math.isnan(peak) else peak
    return total


def queue_workers(ctx: Context) -> tuple[int, list[str]] | None:
    """Little's law: the busy workers at the peak over the target utilization; more
    when jobs waited (the queue grew while every worker was busy)."""
    reserved = ctx.signal(QUEUE_RESERVED, how="sum")
    current = float(ctx.signal(PROC_COUNT, "queue", how="sum").max())
    if reserved.dropna().empty or math.isnan(current) or current <= 0:
        return None
    busy = float(reserved.quantile(0.95))
    waiting = float(ctx.signal(QUEUE_LENGTH, how="sum").quantile(0.95))
    needed = math.ceil(max(busy, 0.1) / QUEUE_UTILIZATION)
    basis = [f"busy workers (jobs reserved): p95 {busy:.2f} of {current:.0f} running",
             f"jobs waiting: p95 {0 if math.isnan(waiting) else waiting:.0f}"]
    if not math.isnan(waiting) and waiting >= 1 and busy >= 0.9 * current:
        needed = max(needed, math.ceil(current * (1 + waiting / max(busy, 1.0))))
        basis.append("jobs queued while every worker was busy: more than busy/0.7 needed")
    return max(1, needed), basis


def _supervisor(workers: int, basis: list[str]) -> Snippet:
    text = "\n".join([
        "; supervisor program (e.g. /etc/supervisor/conf.d/esppd-queue.conf)",
        "[program:esppd-queue]",
        "command=php /srv/esppd/artisan queue:work redis --sleep=1 --tries=3 --backoff=10",
        f"numprocs={workers}            ; Little's law: busy workers / {QUEUE_UTILIZATION}",
        "process_name=%(program_name)s_%(process_num)02d",
        "autorestart=true",
        *[f"; {line}" for line in basis]])
    return Snippet("supervisor program", text, basis)


def _nginx(ctx: Context) -> Snippet | None:
    active = _measured(float(ctx.signal(NGINX_ACTIVE, how="sum").max()))
    if active is None:
        return None
    connections = max(512, 2 ** math.ceil(math.log2(active * HEADROOM * 2)))
    basis = [f"active client connections: {active:.0f} at the peak (each proxied request "
             "holds two)"]
    text = "\n".join([
        "# nginx.conf",
        "events {",
        f"    worker_connections {connections};  # peak {active:.0f} x 2 x {HEADROOM}, "
        "a power of two, at least 512",
        "}",
        *[f"# {line}" for line in basis]])
    return Snippet("nginx.conf", text, basis)


def tuning_sheet(ctx: Context) -> TuningSheet:
    snippets: list[Snippet] = []
    missing: list[str] = []
    workers = app_workers(ctx)
    if workers is None:
        missing.append("app workers: no worker RSS, RAM or busy-worker CPU was measured")
    elif "php-fpm" in ctx.groups():
        snippets.append(_php_fpm(*workers))
    else:
        snippets.append(Snippet("app workers", f"# app worker processes: {workers[0]}\n"
                                + "\n".join(f"# {line}" for line in workers[1]), workers[1]))
    queue = queue_workers(ctx)
    if queue is None:
        missing.append("queue workers: no reserved-job count or queue worker processes measured")
    else:
        snippets.append(_supervisor(*queue))
    database, why = _database(ctx, workers[0] if workers else None, queue[0] if queue else None)
    if database is not None:
        snippets.append(database)
    if why:
        missing.append(why)
    nginx = _nginx(ctx)
    if nginx is not None:
        snippets.append(nginx)
    if "php-fpm" in ctx.groups():
        missing.append("opcache ini: OPcache's own status (memory used, scripts cached) is not "
                       "collected")
    return TuningSheet(snippets, missing)
