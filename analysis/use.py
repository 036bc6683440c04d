"""USE table: utilization, saturation and errors per resource, from measurements only.

Why a table: it is the checklist a performance engineer walks (Brendan Gregg's USE
method); the rules read the same signals, the report shows the table so a reader can
check the verdict against every resource, including the ones that were fine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.context import SUSTAIN_WINDOWS, Context
from analysis.signals import (
    APP_LISTEN_QUEUE,
    APP_MAX_CHILDREN,
    APP_POOL_WAITING,
    APP_WORKERS_BUSY,
    APP_WORKERS_TOTAL,
    CPU_UTIL,
    DB_ACTIVE,
    DB_DEADLOCKS,
    DB_MAX,
    DB_TOTAL,
    DB_WAIT,
    DISK_AWAIT,
    DISK_QUEUE,
    DISK_UTIL,
    LOADGEN_CPU,
    MEM_AVAILABLE,
    OOM_KILLS,
    QUEUE_DELAYED,
    QUEUE_FAILED,
    QUEUE_LENGTH,
    REDIS_EVICTED,
    REDIS_HIT_RATIO,
    RUNQUEUE,
    SWAP_IN,
    SWAP_OUT,
)

COLUMNS = ["resource", "target", "utilization_metric", "utilization_mean", "utilization_peak",
           "utilization_at_knee", "saturation_metric", "saturation_peak", "errors_metric",
           "errors_total"]
DB_WAIT_KINDS = ("Lock", "LWLock", "IO", "WAL", "IPC", "BufferPin")  # waits on the DB itself


MIN_FIT_WINDOWS = 6    # 30 s of windows with users, at two load levels at least
MIN_GROWTH_R = 0.5     # correlation of use with users below which use is not load-driven


@dataclass(frozen=True)
class _Row:
    resource: str
    target: str
    u_metric: str
    u: pd.Series | None
    s_metric: str
    s: pd.Series | None
    e_metric: str = "-"
    e: float = math.nan


@dataclass(frozen=True)
class Growth:
    """How a resource's utilization followed the users: util = base + per_user * users,
    least squares over the 5 s windows with users."""

    resource: str
    target: str
    base: float
    per_user: float
    r: float

    @property
    def load_driven(self) -> bool:
        return self.per_user > 0 and self.r >= MIN_GROWTH_R

    def users_at(self, utilization: float) -> float:
        return (utilization - self.base) / self.per_user


def use_growth(ctx: Context) -> list[Growth]:
    """Every measured utilization fitted against users: a headroom can only come from a
    resource whose use grows with load (a pre-opened pool sits at the same share at 0
    and at 500 users)."""
    users = ctx.w5["users"]
    out = []
    for row in _rows(ctx):
        if row.u is None:
            continue
        frame = pd.concat([users, row.u.reindex(ctx.w5.index)], axis=1, keys=["x", "y"])
        frame = frame[frame["x"] > 0].dropna()
        if len(frame) < MIN_FIT_WINDOWS or frame["x"].nunique() < 2 \
                or frame["y"].nunique() < 2:
            continue
        per_user, base = np.polyfit(frame["x"], frame["y"], 1)
        r = float(np.corrcoef(frame["x"], frame["y"])[0, 1])
        out.append(Growth(row.resource, row.target, float(base), float(per_user), r))
    return out


def _rows(ctx: Context) -> list[_Row]:
    return [*_cpu_rows(ctx), *_memory_rows(ctx), *_disk_rows(ctx), *_db_rows(ctx),
            *_queue_rows(ctx), *_app_rows(ctx), *_loadgen_rows(ctx)]


def use_table(ctx: Context) -> pd.DataFrame:
    """One row per resource and target; NaN where a signal was not measured."""
    rows = _rows(ctx)
    knee = ctx.capacity.knee
    records = []
    for row in rows:
        u = row.u.reindex(ctx.w5.index) if row.u is not None else None
        s = row.s.reindex(ctx.w5.index) if row.s is not None else None
        records.append({
            "resource": row.resource, "target": row.target,
            "utilization_metric": row.u_metric,
            "utilization_mean": _mean(u), "utilization_peak": _peak(u),
            "utilization_at_knee": _mean(u[(u.index >= knee.ts) & (u.index < knee.ts + 30)])
            if u is not None and knee else math.nan,
            "saturation_metric": row.s_metric, "saturation_peak": _peak(s),
            "errors_metric": row.e_metric, "errors_total": row.e,
        })
    return pd.DataFrame(records, columns=COLUMNS)


def _mean(series: pd.Series | None) -> float:
    if series is None or series.dropna().empty:
        return math.nan
    return float(series.mean())


def _peak(series: pd.Series | None) -> float:
    if series is None or series.dropna().empty:
        return math.nan
    values = series.dropna()
    if len(values) < SUSTAIN_WINDOWS:
        return float(values.max())
    return float(values.rolling(SUSTAIN_WINDOWS).median().max())


def _cpu_rows(ctx: Context) -> list[_Row]:
    rows = []
    util = ctx.per_target(CPU_UTIL)
    runqueue = ctx.per_target(RUNQUEUE)
    for target in util.columns:
        cpus = ctx.ncpu.get(str(target), math.nan)
        rows.append(_Row("host CPU", str(target), "cpu.util", util[target],
                         "load.runqueue / CPUs",
                         runqueue[target] / cpus if target in runqueue.columns else None))
    for group in ctx.groups():
        for target, cpus in ctx.ncpu.items():
            cores = ctx.signal_for(group, target)
            if cores.notna().any():
                rows.append(_Row(f"CPU {group}", target, f"proc.cpu{{{group}}} / CPUs",
                                 cores / cpus, "-", None))
    return rows


def _memory_rows(ctx: Context) -> list[_Row]:
    available = ctx.per_target(MEM_AVAILABLE)
    swap_in, swap_out = ctx.per_target(SWAP_IN), ctx.per_target(SWAP_OUT)
    ooms = ctx.per_target(OOM_KILLS)
    rows = []
    for target in available.columns:
        swap = None
        if target in swap_in.columns or target in swap_out.columns:
            swap = swap_in.get(target, 0.0) + swap_out.get(target, 0.0)
        rows.append(_Row("memory", str(target), "1 - mem.available_ratio", 1 - available[target],
                         "swap in+out (pages/s)", swap, "mem.oom_kills",
                         float(ooms[target].max()) if target in ooms.columns else math.nan))
    return rows


def _disk_rows(ctx: Context) -> list[_Row]:
    rows = []
    for device in ctx.labels(DISK_UTIL):
        await_ms = ctx.signal(DISK_AWAIT, device)
        queue = ctx.signal(DISK_QUEUE, device)
        saturation, name = (queue, "disk.queue (requests)") if queue.notna().any() else \
            (await_ms, "disk.await (ms)")
        rows.append(_Row(f"disk {device}", "-", f"disk.util{{{device}}}",
                         ctx.signal(DISK_UTIL, device), name, saturation))
    return rows


def _db_rows(ctx: Context) -> list[_Row]:
    if not (ctx.has(DB_TOTAL) or ctx.has(DB_ACTIVE)):
        return []
    total = ctx.signal(DB_TOTAL, how="sum")
    if total.isna().all():
        total = ctx.signal(DB_ACTIVE, how="sum")
    active = ctx.signal(DB_ACTIVE, how="sum")
    waits = sum((ctx.signal(DB_WAIT, kind, how="sum").fillna(0) for kind in ctx.labels(DB_WAIT)
                 if kind in DB_WAIT_KINDS),
                pd.Series(0.0, index=ctx.w5.index))
    pool = ctx.signal(APP_POOL_WAITING, how="sum")
    deadlocks = ctx.signal(DB_DEADLOCKS, how="sum")
    return [
        _Row("DB connections", "-", "db.connections.total / max",
             total / ctx.signal(DB_MAX).where(lambda v: v > 0), "app.db_pool.waiting",
             pool if pool.notna().any() else None),
        # Waiting backends are the DB's saturation, not a utilization: one active
        # backend reading a page is "100% waiting" at any load, so no headroom follows.
        _Row("DB wait events", "-", "-", None, f"waiting backends ({', '.join(DB_WAIT_KINDS)})",
             waits.where(active.notna()), "db.deadlocks",
             float(deadlocks.sum()) if deadlocks.notna().any() else math.nan),
    ]


def _queue_errors(ctx: Context, name: str) -> tuple[str, float]:
    failed = ctx.signal(QUEUE_FAILED, name, how="sum")
    if failed.notna().any():  # a running count: what the run added
        return f"queue.failed{{{name}}} (new)", float(failed.max() - failed.min())
    return f"queue.delayed{{{name}}}", float(ctx.signal(QUEUE_DELAYED, name, how="sum").max())


def _queue_rows(ctx: Context) -> list[_Row]:
    # Errors of a queue: its final failures (failed_jobs), else the jobs waiting to be
    # retried after a failure (:delayed) when failed_jobs is not read.
    rows = [_Row(f"queue {name}", "-", "-", None, f"queue.length{{{name}}} (jobs)",
                 ctx.signal(QUEUE_LENGTH, name, how="sum"), *_queue_errors(ctx, name))
            for name in ctx.labels(QUEUE_LENGTH)]
    if ctx.has(REDIS_HIT_RATIO):
        evicted = ctx.signal(REDIS_EVICTED, how="sum")
        rows.append(_Row("cache", "-", "-", None, "miss ratio (1 - redis.hit_ratio)",
                         1 - ctx.signal(REDIS_HIT_RATIO), "redis.evicted_keys",
                         float(evicted.sum()) if evicted.notna().any() else math.nan))
    return rows


def _app_rows(ctx: Context) -> list[_Row]:
    if not ctx.has(APP_WORKERS_BUSY):
        return []
    busy = ctx.signal(APP_WORKERS_BUSY, how="sum")
    total = ctx.signal(APP_WORKERS_TOTAL, how="sum")
    reached = ctx.signal(APP_MAX_CHILDREN, how="sum")
    return [_Row("app workers", "-", "app.workers.busy / total", busy / total.where(total > 0),
                 "app.listen_queue (requests)", ctx.signal(APP_LISTEN_QUEUE, how="sum"),
                 "app.max_children_reached",
                 float(reached.max()) if reached.notna().any() else math.nan)]


def _loadgen_rows(ctx: Context) -> list[_Row]:
    per_worker = ctx.per_target(LOADGEN_CPU)
    lost = float((ctx.events["kind"] == "worker_lost").sum()) if not ctx.events.empty else 0.0
    return [_Row("load generator", str(worker), "loadgen.cpu (cores of 1)", per_worker[worker],
                 "-", None, "worker_lost events", lost) for worker in per_worker.columns]
