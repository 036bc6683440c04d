"""CPU rules, attributed by process group: loadgen.cpu, app.cpu, db.cpu, host.cpu.

Why by group: on one host a CPU total says nothing about who is to blame; each rule
reads proc.cpu{group} of its role on the host where that role is busiest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.context import Context
from analysis.findings import Finding
from analysis.holders import outside_runner
from analysis.planner import TableStatistics, describe, stale_statistics
from analysis.rules.common import (
    RISE_FLOOR,
    RISE_FULL,
    LatencyChange,
    confidence,
    corr_text,
    knee_alignment,
    latency_change,
    onset_text,
    pct,
    severity,
    sustained_peak,
)
from analysis.rules.statements import statement_totals
from analysis.signals import (
    CGROUP_QUOTA,
    CGROUP_THROTTLED,
    CPU_UTIL,
    LOADGEN_CPU,
    PROC_COUNT,
    RUNQUEUE,
    role_of,
)
from analysis.sqltext import tables
from analysis.top_processes import process_culprit

CPU_SHARE_LIMIT = 0.80        # same as the CPU SLO: < 80% sustained
CPU_SHARE_FULL = 0.95
LOADGEN_CORES_LIMIT = 0.85    # a Locust process is single-threaded: ~1 core is its ceiling
LOADGEN_CORES_FULL = 0.97
PER_PROCESS_CORES_LIMIT = 0.90
OUTSIDE_SHARE_LIMIT = 0.25
# On a saturated shared host no single role reaches 80% of all CPUs; the role using at
# least this share of the busy CPU is the one to blame (app server and its queue workers
# on one app host, or PostgreSQL on the database host).
DOMINANT_SHARE = 0.5
STATEMENTS_READ = 3           # the costliest statements whose tables' statistics count
# A cgroup throttled in this share of its scheduler periods, held 30 s, works at its CPU
# quota (kube-prometheus alerts on CPUThrottlingHigh at 25%); full severity at 60%. A
# quota over a bursty server throttles its bursts and not the quiet periods between, so
# its onset is where a tenth of the periods were throttled for 30 s, and what the
# requests felt (their p95 at the same load from then on: full at 2x) counts as much.
THROTTLED_LIMIT = 0.25
THROTTLED_FULL = 0.6
THROTTLED_ONSET = 0.1
FULL_QUOTA = 0.8  # of the quota used on average: full; below, its bursts hit it


@dataclass(frozen=True)
class QuotaSaturation:
    """A process group held to a cgroup's CPU quota (systemd CPUQuota=, docker --cpus, a
    Kubernetes CPU limit): saturated at the quota while the host may idle."""

    group: str
    cgroup: str
    cores: float
    throttled: pd.Series
    peak: float
    change: LatencyChange | None  # the requests' latency from the throttling's onset on

    @property
    def strength(self) -> float:
        """Its severity: the throttling, or what the requests felt of it."""
        felt = self.change.p95_rise if self.change else math.nan
        return max(severity(self.peak, THROTTLED_LIMIT - 0.05, THROTTLED_FULL),
                   severity(felt, RISE_FLOOR, RISE_FULL))

    def describe(self, ctx: Context, target: str, since: float | None) -> list[str]:
        after = ctx.w5.index >= since if since is not None else slice(None)
        used = float(ctx.signal_for(self.group, target)[after].mean())
        util = float(ctx.per_target(CPU_UTIL).get(
            target, pd.Series(math.nan, index=ctx.w5.index))[after].mean())
        return [f"cgroup.throttled{{{self.group}:{self.cgroup}}}: throttled in "
                f"{pct(self.peak)} of its scheduler periods (highest 30 s median) under a "
                f"CPU quota of {self.cores:.3g} cores",
                f"{self.group} used {used:.2f} cores from then on, {pct(used / self.cores)} "
                f"of its quota, while the CPUs of {target} were {pct(util)} busy: "
                + ("the quota is full, not the host" if used >= FULL_QUOTA * self.cores else
                   "its bursts use the quota up within a period")
                + " (a throttled process waits for the next period, whatever the host has "
                  "free)",
                *([self.change.describe() + " from the throttling on"] if self.change else [])]

    def details(self) -> dict[str, Any]:
        return {"quota": {"group": self.group, "cgroup": self.cgroup, "cores": self.cores,
                          "throttled": self.peak}}


def loadgen_cpu(ctx: Context) -> Finding | None:
    """A load generator near one core measures its own queueing, not the server's."""
    per_worker = ctx.per_target(LOADGEN_CPU)
    if per_worker.shape[1] == 0:
        return None
    peaks = {str(w): sustained_peak(per_worker[w]) for w in per_worker.columns}
    worker = max(peaks, key=lambda w: -1 if math.isnan(peaks[w]) else peaks[w])
    peak = peaks[worker]
    if math.isnan(peak) or peak < LOADGEN_CORES_LIMIT:
        return None
    series = per_worker[worker]
    onset = ctx.onset(series, LOADGEN_CORES_LIMIT)
    rho = ctx.correlation(series)
    sev = severity(peak, LOADGEN_CORES_LIMIT - 0.05, LOADGEN_CORES_FULL)
    saturated = sum(1 for v in peaks.values() if v >= LOADGEN_CORES_LIMIT)
    return Finding(
        "loadgen.cpu", confidence(sev, rho, knee_alignment(ctx, onset)),
        f"The load generator was CPU-bound ({peak:.2f} cores on {worker}): latency and "
        "throughput above that load measure the generator, not eSPPD.",
        [f"loadgen.cpu on {worker}: {peak:.2f} cores (highest 30 s median; a Locust process "
         f"tops out near 1 core); {onset_text(onset)}",
         f"{saturated} of {len(peaks)} generator process(es) at >= {LOADGEN_CORES_LIMIT:.2f} cores",
         corr_text(rho)],
        onset.ts if onset else None, onset.users if onset else None,
        details={"worker": worker, "peak_cores": peak, "workers": len(peaks)},
        correlation=rho,
    )


def app_cpu(ctx: Context) -> Finding | None:
    return _role_cpu(ctx, ("app", "queue_worker"), "app.cpu",
                     "the application (app server workers and queue workers)")


def db_cpu(ctx: Context) -> Finding | None:
    return _role_cpu(ctx, ("db",), "db.cpu", ctx.db_server)


def _stale_statistics(ctx: Context) -> list[TableStatistics]:
    """Missing or stale planner statistics of the tables the costliest statements read."""
    totals = statement_totals(ctx)
    if totals.empty:
        return []
    top = totals[totals.index != "other"].head(STATEMENTS_READ)
    return stale_statistics(ctx, (t for q in top["query"] for t in tables(str(q))))


def _role_cpu(ctx: Context, roles: tuple[str, ...], bottleneck: str,
              who: str) -> Finding | None:
    share, target = _roles_share(ctx, roles)
    if target is None:
        return None
    peak = sustained_peak(share)
    per_process = _cores_per_process(ctx, roles[0], target)
    process_peak = sustained_peak(per_process) if per_process is not None else math.nan
    util = ctx.per_target(CPU_UTIL).get(target, pd.Series(math.nan, index=ctx.w5.index))
    dominance = (share / util).where(util >= CPU_SHARE_LIMIT)
    util_peak, dominance_peak = sustained_peak(util), sustained_peak(dominance)
    quota = _quota_saturation(ctx, roles)
    by_share = peak >= CPU_SHARE_LIMIT
    by_process = not math.isnan(process_peak) and process_peak >= PER_PROCESS_CORES_LIMIT
    by_dominance = (util_peak >= CPU_SHARE_LIMIT and not math.isnan(dominance_peak)
                    and dominance_peak >= DOMINANT_SHARE)
    if not (quota or by_share or by_process or by_dominance):
        return None
    series, limit = ((quota.throttled, THROTTLED_ONSET) if quota is not None else
                     (share, CPU_SHARE_LIMIT) if by_share else
                     (util, CPU_SHARE_LIMIT) if by_dominance else
                     (per_process, PER_PROCESS_CORES_LIMIT))
    assert series is not None
    # The saturation began at the first of its signs: a busy host where this role is the
    # main consumer often comes well before the role alone reaches 80% of all CPUs.
    onsets = [ctx.onset(series, limit)]
    if by_dominance:
        onsets.append(ctx.onset(util.where(dominance >= DOMINANT_SHARE), CPU_SHARE_LIMIT))
    if by_share and quota is not None:
        onsets.append(ctx.onset(share, CPU_SHARE_LIMIT))
    onset = min((o for o in onsets if o is not None), key=lambda o: o.ts, default=None)
    rho = ctx.correlation(series)
    sev = max(severity(peak, CPU_SHARE_LIMIT - 0.05, CPU_SHARE_FULL),
              severity(process_peak, PER_PROCESS_CORES_LIMIT - 0.05, 1.0),
              min(severity(util_peak, CPU_SHARE_LIMIT - 0.05, CPU_SHARE_FULL),
                  severity(dominance_peak, DOMINANT_SHARE - 0.1, 0.8)),
              quota.strength if quota else 0.0)
    cpus = ctx.ncpu.get(target, math.nan)
    groups = [g for g in ctx.groups() if role_of(g) in roles]
    evidence = [
        f"proc.cpu{{{','.join(groups)}}} on {target}: {peak * cpus:.2f} cores = {pct(peak)} of "
        f"{cpus:.0f} CPUs (highest 30 s median)"
        + ("" if quota is not None and not by_share else f"; {onset_text(onset)}"),
        corr_text(rho),
    ]
    if by_dominance:
        evidence.insert(1, f"cpu.util on {target}: {pct(util_peak)} (highest 30 s median), "
                           f"{pct(dominance_peak)} of the busy CPU used by {who}")
    if quota is not None:
        evidence[0:0] = quota.describe(ctx, target, onset.ts if onset else None)
        evidence[0] += f"; {onset_text(onset)}"
    if not math.isnan(process_peak):
        evidence.append(f"{process_peak:.2f} cores per process (1.0 = a process is CPU-bound)")
    evidence.extend(_runqueue_line(ctx, target))
    evidence.append(_group_breakdown(ctx, target, onset.ts if onset else None))
    runner = outside_runner(ctx, onset.ts if onset else None) if "db" in roles else None
    if runner:
        evidence.insert(1, runner.describe())
    stale = _stale_statistics(ctx) if "db" in roles else []
    evidence[1:1] = describe(stale)
    summary = (f"CPU of {who} saturated at a cgroup's CPU quota: {quota.group} held to "
               f"{quota.cores:.3g} cores by {quota.cgroup}, throttled in {pct(quota.peak)} of "
               "its scheduler periods." if quota is not None else
               f"CPU of {who} saturated: {pct(peak)} of {cpus:.0f} CPUs on {target}.")
    return Finding(
        bottleneck, confidence(sev, rho, knee_alignment(ctx, onset)), summary,
        evidence, onset.ts if onset else None, onset.users if onset else None,
        ctx.affected_requests(onset.ts if onset else None), correlation=rho,
        details={"target": target, "share": peak, "cpus": cpus,
                 "stale_statistics": [(t.table, t.auto == 0) for t in stale],
                 **(runner.details() if runner else {}), **(quota.details() if quota else {})},
    )


def _quota_saturation(ctx: Context, roles: tuple[str, ...]) -> QuotaSaturation | None:
    """The most throttled cgroup quota over a group of these roles, when it binds."""
    best: QuotaSaturation | None = None
    for label in ctx.labels(CGROUP_THROTTLED):
        group, _, cgroup = label.partition(":")
        if role_of(group) not in roles:
            continue
        throttled = ctx.signal(CGROUP_THROTTLED, label)
        peak = sustained_peak(throttled)
        if math.isnan(peak) or peak < THROTTLED_LIMIT or (best and peak <= best.peak):
            continue
        cores = ctx.signal(CGROUP_QUOTA, label)[throttled >= THROTTLED_ONSET].median()
        onset = ctx.onset(throttled, THROTTLED_ONSET)
        best = QuotaSaturation(group, cgroup, float(cores), throttled, peak,
                               latency_change(ctx, onset.ts) if onset else None)
    return best


def host_cpu(ctx: Context) -> Finding | None:
    """CPU taken by processes outside the stack (or unattributed) while the host is busy."""
    util_by_target = ctx.per_target(CPU_UTIL)
    best: tuple[float, str, pd.Series, pd.Series] | None = None
    for target in util_by_target.columns:
        cpus = ctx.ncpu.get(str(target))
        if not cpus:
            continue
        util = util_by_target[target]
        stack = sum((ctx.role_cores(r).get(target, 0.0) for r in
                     ("db", "app", "queue_worker", "cache", "loadgen", "collector")),
                    pd.Series(0.0, index=ctx.w5.index))
        outside = (util * cpus - stack).clip(lower=0) / cpus
        busy_outside = outside.where(util >= CPU_SHARE_LIMIT)
        score = sustained_peak(busy_outside)
        if not math.isnan(score) and (best is None or score > best[0]):
            best = (score, str(target), util, outside)
    if best is None or best[0] < OUTSIDE_SHARE_LIMIT:
        return None
    score, target, util, outside = best
    onset = ctx.onset(util, CPU_SHARE_LIMIT)
    rho = ctx.correlation(util)
    sev = min(severity(sustained_peak(util), CPU_SHARE_LIMIT - 0.05, CPU_SHARE_FULL),
              severity(score, OUTSIDE_SHARE_LIMIT - 0.1, 0.5))
    culprit = process_culprit(ctx, "cpu", onset.ts if onset else None, target,
                              outside_only=True)
    return Finding(
        "host.cpu", confidence(sev, rho, knee_alignment(ctx, onset)),
        f"Host {target} CPU is saturated by processes outside the eSPPD stack "
        f"({pct(score)} of its CPUs).",
        [f"cpu.util on {target}: {pct(sustained_peak(util))} (highest 30 s median); "
         f"{onset_text(onset)}",
         *([culprit.describe()] if culprit else []),
         f"outside the stack (groups outside postgres/app/worker/redis/locust, or unattributed): "
         f"{pct(score)} of {ctx.ncpu[target]:.0f} CPUs while the host was >= 80% busy",
         corr_text(rho), *_runqueue_line(ctx, target),
         _group_breakdown(ctx, target, onset.ts if onset else None)],
        onset.ts if onset else None, onset.users if onset else None,
        ctx.affected_requests(onset.ts if onset else None), correlation=rho,
        details={"target": target, "outside_share": score, "culprit": culprit},
    )


def _roles_share(ctx: Context, roles: tuple[str, ...]) -> tuple[pd.Series, str | None]:
    """Share of its host's CPUs used by these roles together, on the host where highest."""
    if len(roles) == 1:
        return ctx.role_share(roles[0])
    frames = [ctx.role_cores(role) for role in roles]
    targets = sorted({str(t) for frame in frames for t in frame.columns})
    best: tuple[pd.Series, str | None] = (pd.Series(math.nan, index=ctx.w5.index), None)
    for target in targets:
        cpus = ctx.ncpu.get(target)
        if not cpus:
            continue
        cores = sum((frame[target].fillna(0.0) for frame in frames if target in frame.columns),
                    pd.Series(0.0, index=ctx.w5.index))
        share = (cores / cpus).rename(f"{'+'.join(roles)} CPU share")
        if best[1] is None or share.mean() > best[0].mean():
            best = (share, target)
    return best


def _cores_per_process(ctx: Context, role: str, target: str) -> pd.Series | None:
    """Cores per process of a role: one at ~1 core is a single-threaded server at its
    limit. None for MySQL/MariaDB, one process whose threads serve every connection: at
    one core it uses half of two CPUs, and nothing says a thread of it is at its limit."""
    if role == "db" and ctx.mysql:
        return None
    counts = []
    for group in ctx.groups():
        if role_of(group) == role:
            count = ctx.per_target(PROC_COUNT, group)
            if target in count.columns:
                counts.append(count[target])
    if not counts:
        return None
    processes = sum(counts[1:], counts[0])
    return ctx.role_cores(role)[target] / processes.where(processes > 0)


def _runqueue_line(ctx: Context, target: str) -> list[str]:
    runqueue = ctx.per_target(RUNQUEUE)
    if target not in runqueue.columns:
        return []
    peak = sustained_peak(runqueue[target])
    cpus = ctx.ncpu.get(target, math.nan)
    state = "saturated: runnable tasks exceed CPUs" if peak > cpus else "no run-queue saturation"
    return [f"load.runqueue on {target}: {peak:.1f} runnable tasks for {cpus:.0f} CPUs ({state})"]


def _group_breakdown(ctx: Context, target: str, since: float | None) -> str:
    """Mean cores per process group after the onset: who used the CPU."""
    parts = []
    for group in ctx.groups():
        cores = ctx.signal_for(group, target)
        if since is not None:
            cores = cores[cores.index >= since]
        parts.append((float(cores.mean()), group))
    parts.sort(reverse=True)
    listing = ", ".join(f"{g} {c:.2f}" for c, g in parts if not math.isnan(c))
    return f"CPU by process group on {target} (mean cores{' after onset' if since else ''}): " \
           f"{listing}"
