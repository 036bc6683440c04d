"""App rules: app.workers (process-manager concurrency exhausted) and app.errors.

Why separate from CPU: busy workers with idle CPUs mean the pool is too small (or
blocked downstream), while errors are a failure mode of their own, not slowness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from analysis.context import SUSTAIN_WINDOWS, WINDOW_S, Context
from analysis.dependencies import Outage, outages, refusing_dependency, stalled_dependency
from analysis.findings import Finding
from analysis.latency import ALL
from analysis.rules.common import (
    confidence,
    corr_text,
    first_above,
    knee_alignment,
    onset_text,
    pct,
    severity,
    sustained_peak,
)
from analysis.rules.outage import process_change
from analysis.signals import (
    APP_LISTEN_QUEUE,
    APP_REQUEST_RUNNING,
    APP_WORKERS_BUSY,
    APP_WORKERS_TOTAL,
    GROUP_ROLES,
    LISTEN_BACKLOG,
    NGINX_ACTIVE,
    PROC_COUNT,
    PROC_STOPPED,
)
from analysis.timefmt import clock
from scenarios.aggregate import SESSION_LOST

WORKERS_BUSY_LIMIT = 0.95
# Half the pool's slots held by stopped processes is a fault before any queue forms: the
# capacity is gone (full severity at 3/4 lost, capped at LOST_SEVERITY while the workers
# left keep up).
LOST_SHARE_LIMIT = 0.5
LOST_SEVERITY = 0.8
LISTEN_QUEUE_LIMIT = 1.0
ERROR_RATE_LIMIT = 0.01       # the errors SLO
ERROR_RATE_FULL = 0.05
ERROR_WINDOW_LIMIT = 0.05     # a 5 s window this bad, sustained 30 s, is an error episode
STALL_LEAD_S = 60.0           # a dependency's stall may begin this long before the workers fill
STALL_LAG_S = 30.0            # or this long after (the onset is the first of 30 s sustained)
SESSION_LOST_SHARE = 0.5      # this share of the failures lost sessions: a session store fault
# A server of the stack stopped or gone this long before errors became sustained, or
# after (their onset is the first window of 30 s), is what they came from.
ERRORS_LEAD_S = 30.0
ERRORS_LAG_S = 30.0
# The groups whose servers answer or back a request: the web tier, the database, Redis.
SERVING_GROUPS = (*GROUP_ROLES["app"], *GROUP_ROLES["db"], *GROUP_ROLES["cache"])
# A request in flight this long, held 30 s, is stuck, not slow: pages answer in well under
# a second, and a worker that holds one is lost to the pool until it ends.
STUCK_REQUEST_S = 10.0
# A request's hold on a worker at low load: the lower quartile of the windows before the
# pool filled (the quiet ones, where nothing queues in front of the work itself).
LOW_LOAD_QUANTILE = 0.25
# Requests that held their workers this much longer than at low load: the slowdown, not
# the arrivals, filled the pool.
HOLD_GROWTH_SLOWED = 1.5


@dataclass(frozen=True)
class Holding:
    """How long a request held a worker (Little's law: busy workers over requests
    completed per second), at low load and once the pool was full.

    Why: a pool fills either because each request holds its worker longer (a slower
    database, a saturated CPU: the pool is their symptom) or because more requests
    arrive than its workers serve at their usual pace (the pool is the limit itself)."""

    low_ms: float
    full_ms: float
    workers: float
    quiet_until: float  # the last window of the low-load pace: what began later is not in it

    @property
    def growth(self) -> float:
        return self.full_ms / self.low_ms

    def describe(self) -> str:
        pace = self.workers / self.low_ms * 1000
        why = ("each request held its worker longer: what slowed the requests filled the pool"
               if self.growth >= HOLD_GROWTH_SLOWED else
               f"more requests arrived than {self.workers:.0f} workers at that pace serve "
               f"(about {pace:.0f}/s): the pool itself is the limit")
        return (f"a request held a worker {self.full_ms:.1f} ms once the pool was full, "
                f"{self.low_ms:.1f} ms at low load ({self.growth:.1f}x; busy workers over "
                f"requests completed per second): {why}")


def workers_run(finding: Finding) -> bool:
    """The pool's workers could run: its capacity was not lost to stopped processes. A
    slow database or a busy CPU fills a pool by slowing its requests; it stops no process,
    so a pool that lost half its slots to stopped ones is a cause of its own."""
    return finding.details.get("lost", 0.0) < LOST_SHARE_LIMIT


def app_workers(ctx: Context) -> Finding | None:
    busy = ctx.signal(APP_WORKERS_BUSY, how="sum")
    # The pool's size holds when its status page goes silent (PHP-FPM answers it from the
    # same children: with every child stopped, nothing answers it).
    total = ctx.signal(APP_WORKERS_TOTAL, how="sum").ffill()
    backlog = ctx.signal(APP_LISTEN_QUEUE, how="sum")
    backlog_source = "app.listen_queue"
    if backlog.isna().all():
        # No status page counts the queue: the kernel's accept queue of the app's ports
        # (PHP-FPM on a TCP port, the app server behind nginx) says the same.
        backlog, backlog_source = ctx.signal(LISTEN_BACKLOG), "listen.backlog"
    group = ctx.worker_group()
    working, stopped = _working_slots(ctx, total, group)
    ratio = (busy / working.where(working > 0)).clip(upper=1.0)
    ratio = ratio.mask((working <= 0) & (total > 0), 1.0)
    # PHP-FPM's status request occupies a worker and is not counted busy, so a pool of
    # two shows 50% at most; requests waiting for a worker mean the pool was full.
    ratio = ratio.mask(ratio.notna() & (backlog >= LISTEN_QUEUE_LIMIT), 1.0)
    ratio_peak = sustained_peak(ratio)
    backlog_peak = sustained_peak(backlog)
    # Worker slots whose processes are stopped: capacity lost, whether or not the load
    # is high enough to miss it yet.
    lost = (1 - working / total.where(total > 0)).clip(lower=0.0)
    lost_peak = sustained_peak(lost)
    by_ratio = not math.isnan(ratio_peak) and ratio_peak >= WORKERS_BUSY_LIMIT
    by_backlog = not math.isnan(backlog_peak) and backlog_peak >= LISTEN_QUEUE_LIMIT
    by_lost = not math.isnan(lost_peak) and lost_peak >= LOST_SHARE_LIMIT
    if not (by_ratio or by_backlog or by_lost):
        return None
    saturated = by_ratio or by_backlog
    series, limit = ((ratio, WORKERS_BUSY_LIMIT) if by_ratio else
                     (backlog, LISTEN_QUEUE_LIMIT) if by_backlog else (lost, LOST_SHARE_LIMIT))
    onset = ctx.onset(series, limit)
    rho = ctx.correlation(backlog if by_backlog else ratio if by_ratio else lost)
    sev = max(severity(ratio_peak, 0.85, 1.0),
              severity(backlog_peak, 0.0, 10.0) if by_backlog else 0.0,
              LOST_SEVERITY * severity(lost_peak, 0.25, 0.75) if by_lost else 0.0)
    workers = float(total.max()) if total.notna().any() else math.nan
    stopped_peak = float(stopped.max()) if stopped.notna().any() else 0.0
    working_low = float(working.min()) if stopped_peak > 0 else workers
    silent = busy.isna() & (stopped > 0)  # the status page stopped with the children
    pool_says = (f"its status page, served by the same children, answered nothing from "
                 f"{clock(float(silent[silent].index[0]))}" if silent.any() else
                 "the pool lists them idle, but they serve nothing")
    evidence = [
        f"app.workers.busy / app.workers.total: {pct(ratio_peak)} of {workers:.0f} workers "
        f"(highest 30 s median); {onset_text(onset)}" if stopped_peak <= 0 else
        f"app.workers.busy / working workers: {pct(ratio_peak)} of {working_low:.0f} working "
        f"(highest 30 s median); {onset_text(onset)}",
        *([f"proc.stopped{{{group}}}: {stopped_peak:.0f} worker processes "
           f"stopped (state T: a signal or a debugger) from {clock(first_above(stopped, 0))}; "
           f"{pool_says}, so {working_low:.0f} of "
           f"{workers:.0f} workers did the work"] if stopped_peak > 0 else []),
        f"{backlog_source}: {backlog_peak:.1f} requests waiting for a worker (30 s sustained "
        "peak)" if not math.isnan(backlog_peak) else "app.listen_queue: not measured",
        corr_text(rho),
    ]
    since = onset.ts - STALL_LEAD_S if onset else None
    until = onset.ts + STALL_LAG_S if onset else None
    stall = stalled_dependency(ctx, since, until)
    outage = None if stall else _outage_between(ctx, since, until)
    if stall is not None:
        evidence.insert(1, stall.describe())
    elif outage is not None:
        evidence.insert(1, outage.describe())
    nginx = ctx.signal(NGINX_ACTIVE, how="sum")
    if nginx.notna().any():
        evidence.append(f"nginx.connections.active: {sustained_peak(nginx):.0f} client "
                        "connections held by nginx (highest 30 s median)")
    holding = _holding(ctx, busy, workers, onset.ts) if onset and stopped_peak <= 0 else None
    if holding is not None:
        evidence.insert(2, holding.describe())
    waited_on = stall.dependency if stall else outage.dependency if outage else ""
    waiting = {"database": " waiting on the database", "redis": " waiting on Redis",
               "": ""}[waited_on]
    stuck = "" if waited_on or stopped_peak > 0 else _stuck_requests(
        ctx, onset.ts if onset else None)
    if stuck:
        evidence.insert(1, stuck)
        waiting = ", held by requests that did not finish,"
    summary = (f"All {workers:.0f} app workers were busy{waiting} and requests queued for a "
               "free worker." if stopped_peak <= 0 else
               f"Only {working_low:.0f} of {workers:.0f} app workers served requests "
               f"({stopped_peak:.0f} stopped), and requests queued for them." if saturated else
               f"{pct(lost_peak)} of the {workers:.0f} app worker slots were held by stopped "
               f"processes (state T; up to {stopped_peak:.0f} stopped): the pool lost that "
               "much of its capacity; at this load the rest kept up, a peak would not.")
    return Finding(
        # Stopped workers are a fact, not a trend: while the rest keep up, latency has
        # nothing to follow, so only the capacity lost counts.
        "app.workers", confidence(sev, rho, knee_alignment(ctx, onset)) if saturated else
        confidence(sev),
        summary, evidence, onset.ts if onset else None, onset.users if onset else None,
        ctx.affected_requests(onset.ts if onset else None), correlation=rho,
        details={"workers": workers, "busy_ratio": ratio_peak, "listen_queue": backlog_peak,
                 "stopped": stopped_peak, "lost": 0.0 if math.isnan(lost_peak) else lost_peak,
                 "stuck": bool(stuck),
                 **({"hold_growth": round(holding.growth, 2),
                     "hold_quiet_until": holding.quiet_until} if holding else {}),
                 **({"waited_on": stall.dependency, "stall_ms": stall.peak_ms} if stall else
                    {"waited_on": outage.dependency, "outage_s": outage.seconds} if outage
                    else {})},
    )


def _holding(ctx: Context, busy: pd.Series, workers: float, onset_ts: float
             ) -> Holding | None:
    """The hold per request before the pool filled (its quiet windows) and in the 30 s
    from the fill; None without busy counts or traffic on both sides."""
    served = ctx.w5["count"] / WINDOW_S
    hold = (busy / served.where(served > 0)).where(busy > 0) * 1000
    at = hold.index.astype(float)
    before = hold[at < onset_ts].dropna()
    full = hold[(at >= onset_ts) & (at < onset_ts + SUSTAIN_WINDOWS * WINDOW_S)].dropna()
    if len(before) < SUSTAIN_WINDOWS or full.empty:
        return None
    low = float(before.quantile(LOW_LOAD_QUANTILE))
    if not (low > 0 and workers > 0):
        return None
    return Holding(low, float(full.median()), workers, float(before[before <= low].index[-1]))


def _stuck_requests(ctx: Context, since: float | None) -> str:
    """Evidence that workers are held by requests that do not finish (PHP-FPM's `?full`
    status: the longest request in flight), or "" when none stayed in flight that long."""
    running = ctx.signal(APP_REQUEST_RUNNING)
    if since is not None:
        running = running[running.index >= since - STALL_LEAD_S]
    peak = sustained_peak(running)
    if math.isnan(peak) or peak < STUCK_REQUEST_S:
        return ""
    first = first_above(running, STUCK_REQUEST_S, inclusive=True)
    return (f"app.request_running_max_s: the longest request in flight had run {peak:.0f} s "
            f"(highest 30 s median) from {clock(first)}: workers held by requests that do not "
            "finish, blocked on something no collector here measures (an external API, a "
            "mail server, a file lock, DNS) rather than busy")


def _outage_between(ctx: Context, since: float | None, until: float | None
                    ) -> Outage | None:
    """The longest outage of a dependency (database first) that began in the window."""
    for dependency in ("database", "redis"):
        for outage in outages(ctx, dependency):
            if (since is None or outage.end >= since) and (until is None or
                                                           outage.start <= until):
                return outage
    return None


def _working_slots(ctx: Context, total: pd.Series, group: str | None
                   ) -> tuple[pd.Series, pd.Series]:
    """Worker slots whose processes can run, and the stopped worker processes.

    A process stopped by a signal or a debugger stays in its pool: PHP-FPM lists it idle,
    so busy / total reads low while the few left do all the work. A pool with more
    processes than slots has a master that serves nothing (PHP-FPM, pre-fork servers).
    """
    if group is None:
        return total, pd.Series(math.nan, index=ctx.w5.index)
    stopped = ctx.signal(PROC_STOPPED, group, how="sum")
    if not (stopped > 0).any():
        return total, stopped
    count = ctx.signal(PROC_COUNT, group, how="sum")
    serving = count.where(count <= total, count - 1).clip(lower=1)
    return (total - stopped.fillna(0) * total / serving).clip(lower=0), stopped


def app_errors(ctx: Context) -> Finding | None:
    """Errors, not slowness: the dominant error message and when it began."""
    w5 = ctx.w5
    requests = float(w5["count"].sum())
    failures = float(w5["failures"].sum())
    if requests <= 0:
        return None
    overall = failures / requests
    rate = w5["failures"] / w5["count"].where(w5["count"] > 0)
    phase_rates = ctx.phase_stats[ctx.phase_stats["name"] == ALL].set_index("label")["error_rate"]
    worst_phase = phase_rates.idxmax() if phase_rates.notna().any() else None
    worst = float(phase_rates.max()) if worst_phase is not None else overall
    episode = ctx.onset(rate, ERROR_WINDOW_LIMIT)
    if overall < ERROR_RATE_LIMIT and worst < ERROR_RATE_LIMIT and episode is None:
        return None
    onset = ctx.onset(rate, ERROR_RATE_LIMIT) or episode
    dominant, share, first_seen = _dominant_error(ctx)
    by_name = ctx.w5_names[ctx.w5_names["name"] != ALL].groupby("name")["failures"].sum()
    affected = [str(n) for n, v in by_name.sort_values(ascending=False).items() if v > 0][:5]
    sev = max(severity(max(overall, worst), ERROR_RATE_LIMIT * 0.5, ERROR_RATE_FULL),
              0.6 if episode else 0.0)
    rho = ctx.correlation(rate)
    evidence = [
        f"error rate {pct(overall)} overall ({int(failures)} of {int(requests)} requests); "
        f"worst phase {worst_phase}: {worst * 100:.1f}%",
        f"error rate >= 1% {onset_text(onset)}",
    ]
    if dominant:
        evidence.append(f"dominant error ({pct(share)} of failures, first at "
                        f"{clock(first_seen)}): {dominant}")
    evidence.append("failures by request: " + ", ".join(
        f"{n} {int(by_name[n])}" for n in affected))
    lost = session_losses(ctx)
    lost_share = lost / float(ctx.errors["count"].sum()) if lost else 0.0
    if lost:
        evidence.append(f"{lost} of the failures ({pct(lost_share)}) were users the server "
                        "had signed out (their sessions lost)")
    began = onset.ts if onset else first_seen
    cause, culprit = ("", "") if math.isnan(began) else process_change(
        ctx, SERVING_GROUPS, began - ERRORS_LEAD_S, began + ERRORS_LAG_S)
    # A server that is up and answers, refusing the app's commands (a Redis at maxmemory
    # under noeviction, unable to write its snapshot, or a replica): every call fails fast.
    refusal = None if culprit or math.isnan(began) else refusing_dependency(
        ctx, began - ERRORS_LEAD_S, began + ERRORS_LAG_S)
    named = culprit or (refusal.describe() if refusal else "")
    if named:
        evidence.insert(1, named)
    return Finding(
        "app.errors", confidence(sev, None, None),
        f"{pct(overall)} of requests failed; the dominant error is: {dominant or 'unknown'}.",
        evidence, onset.ts if onset else None, onset.users if onset else None, affected,
        correlation=rho,
        details={"error_rate": overall, "dominant_error": dominant, "dominant_share": share,
                 "server_cause": cause, "culprit": culprit,
                 "refused_by": refusal.kind if refusal else "",
                 "session_lost_share": lost_share,
                 "lost_sessions_dominate": lost_share >= SESSION_LOST_SHARE},
    )


def session_losses(ctx: Context, since: float = -math.inf) -> int:
    """Requests failed because the server no longer knew the user's session."""
    errors = ctx.errors
    if errors.empty:
        return 0
    lost = errors[(errors["error"] == SESSION_LOST) & (errors["ts"] >= since)]
    return int(lost["count"].sum())


def sessions_lost(finding: Finding) -> bool:
    """Most of the errors were users signed out by the server: a session store's fault."""
    return bool(finding.details.get("lost_sessions_dominate"))


def _dominant_error(ctx: Context) -> tuple[str | None, float, float]:
    errors = ctx.errors
    if errors.empty:
        return None, math.nan, math.nan
    totals = errors.groupby("error")["count"].sum().sort_values(ascending=False)
    message = str(totals.index[0])
    first = float(errors.loc[errors["error"] == message, "ts"].min())
    return message[:200], float(totals.iloc[0] / totals.sum()), first
