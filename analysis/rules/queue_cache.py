"""Queue and cache rules: queue.backlog (jobs arrive faster than workers finish) and
cache.misses (the cache stops absorbing reads, so they reach the database).

Why not latency-driven: a growing queue hurts users minutes later (documents and
exports arrive late) even when every HTTP request stays fast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.context import Context, Onset
from analysis.findings import Finding
from analysis.rules.app import session_losses
from analysis.rules.common import (
    caught_client,
    confidence,
    corr_text,
    onset_text,
    pct,
    severity,
    sustained_peak,
)
from analysis.signals import (
    PROC_COUNT,
    PROC_CPU,
    PROC_STOPPED,
    QUEUE_FAILED,
    QUEUE_LENGTH,
    REDIS_DELETES,
    REDIS_DELETING_CLIENT,
    REDIS_EVICTED,
    REDIS_EXPIRED,
    REDIS_HIT_RATIO,
    REDIS_KEYS,
    Signal,
)
from analysis.timefmt import clock

QUEUE_LENGTH_LIMIT = 100.0    # the queue SLO
QUEUE_GROWTH_LIMIT = 0.2      # jobs/s of sustained growth over the second half
HIT_RATIO_LIMIT = 0.80        # the cache SLO
HIT_RATIO_FULL = 0.50         # at or below: certainly a cache problem
FLAT_RATIO_STD = 0.03
KEYS_FELL_SHARE = 0.5         # the key count fell by this much: the keys went somewhere
MIN_EVICTIONS = 1.0           # keys/s: Redis is evicting (or expiring) in earnest
SESSIONS_LEAD_S = 30.0        # lost sessions this long before the misses' onset count with them
# A queue that only grows for this long, by this many jobs, finishes nothing: a stall,
# whatever its length (workers that keep up make it fall now and then).
STALL_MIN_S = 30.0
STALL_FULL_S = 90.0
STALL_MIN_JOBS = 10.0
STALL_TOLERANCE = 0.5         # jobs a 5 s mean may fall and still count as not falling
JOB_FAILURE_LIMIT = 0.05      # of the turnarounds users waited for
JOB_FAILURE_FULL = 0.5
IDLE_WORKER_CORES = 0.02      # per worker process: not running at all
BUSY_WORKER_CORES = 0.8       # per worker process: computing all the time


@dataclass(frozen=True)
class Stall:
    """The longest stretch in which a queue only grew."""

    start: float
    end: float
    rise: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def queue_backlog(ctx: Context) -> Finding | None:
    """A queue that backs up: long, growing, stalled, or failing the users who wait on it.

    Why not from latency: a stalled queue hurts users minutes later (documents and
    exports never arrive) while every page stays fast."""
    best: tuple[float, str, pd.Series, float, float, Stall | None] | None = None
    for name in ctx.labels(QUEUE_LENGTH):
        series = ctx.signal(QUEUE_LENGTH, name, how="sum")
        peak, growth, stall = sustained_peak(series), _growth(series), _longest_stall(series)
        score = max(severity(peak, QUEUE_LENGTH_LIMIT * 0.5, QUEUE_LENGTH_LIMIT * 5),
                    severity(growth, QUEUE_GROWTH_LIMIT * 0.5, QUEUE_GROWTH_LIMIT * 10),
                    _stall_severity(stall))
        if best is None or score > best[0]:
            best = (score, name, series, peak, growth, stall)
    if best is None:
        return None
    score, name, series, peak, growth, stall = best
    jobs_failed, jobs_ended = ctx.job_waits()
    job_failure = jobs_failed / jobs_ended if jobs_ended else 0.0
    users_failed = jobs_failed >= 3 and job_failure >= JOB_FAILURE_LIMIT
    stalled = stall if stall is not None and stall.seconds >= STALL_MIN_S else None
    if not (peak >= QUEUE_LENGTH_LIMIT or (growth >= QUEUE_GROWTH_LIMIT and peak >= 20)
            or stalled or (users_failed and peak >= 1)):
        return None
    if users_failed:
        score = max(score, severity(job_failure, JOB_FAILURE_LIMIT * 0.5, JOB_FAILURE_FULL))
    onset = ctx.onset(series, QUEUE_LENGTH_LIMIT) or ctx.onset(series, 20.0)
    if stalled and (onset is None or stalled.start < onset.ts):
        onset = Onset(stalled.start, ctx.users_at(stalled.start))
    rho = ctx.correlation(series)
    last = float(series.dropna().iloc[-1]) if series.notna().any() else math.nan
    evidence = [
        f"queue.length{{{name}}}: {peak:.0f} jobs (highest 30 s median), {last:.0f} at the end; "
        f"{onset_text(onset)}",
        f"growth over the second half of the run: {growth:+.2f} jobs/s (arrivals exceed what "
        "the workers finish)"]
    if stalled:
        evidence.append(
            f"it only grew for {stalled.seconds:.0f} s from {clock(stalled.start)} "
            f"(+{stalled.rise:.0f} jobs): the workers finished nothing while jobs kept arriving")
    if jobs_ended:
        evidence.append(f"{int(jobs_failed)} of {int(jobs_ended)} waits for queued work failed "
                        f"({pct(job_failure)}): users polled for a result that never came")
    state, doing = _worker_state(ctx, stalled.start if stalled else
                                 onset.ts if onset else None)
    if doing:
        evidence.append(doing)
    evidence.append(corr_text(rho))
    return Finding(
        "queue.backlog", confidence(score, None, None),
        (f"Queue {name} stalled: it only grew for {stalled.seconds:.0f} s, {last:.0f} jobs "
         "waiting at the end." if stalled else
         f"Queue {name} backs up: {growth:+.1f} jobs/s, {last:.0f} jobs waiting at the end."),
        evidence, onset.ts if onset else None, onset.users if onset else None, [],
        correlation=rho,
        details={"queue": name, "peak": peak, "growth": growth, "last": last,
                 "stall_s": stall.seconds if stall else 0.0, "job_failure_rate": job_failure,
                 "workers": state},
    )


def _longest_stall(series: pd.Series) -> Stall | None:
    """The longest stretch of 5 s means that never fell (beyond a tolerance) and rose by
    at least STALL_MIN_JOBS."""
    values = series.dropna()
    best: Stall | None = None
    start = 0
    for i in range(1, len(values) + 1):
        if i < len(values) and values.iloc[i] >= values.iloc[i - 1] - STALL_TOLERANCE:
            continue
        # A flat stretch before the growth is an idle queue, not a stall: begin where
        # the queue last stood at its starting level.
        stretch = values.iloc[start:i]
        level = stretch <= stretch.iloc[0] + STALL_TOLERANCE
        first = start + int(np.flatnonzero(level.to_numpy())[-1])
        rise = float(values.iloc[i - 1] - values.iloc[first])
        span = Stall(float(values.index[first]), float(values.index[i - 1]), rise)
        if rise >= STALL_MIN_JOBS and (best is None or span.seconds > best.seconds):
            best = span
        start = i
    return best


def _stall_severity(stall: Stall | None) -> float:
    return 0.0 if stall is None else severity(stall.seconds, STALL_MIN_S * 0.5, STALL_FULL_S)


def _worker_state(ctx: Context, since: float | None) -> tuple[str, str]:
    """(kind, what the queue workers did while the queue grew): gone, stopped, blocked
    (idle and not stopped), busy, waiting, or unknown; plus the jobs that failed for good
    meanwhile."""
    if since is None:
        return "unknown", ""
    count = ctx.after(ctx.signal(PROC_COUNT, "queue", how="sum"), since).dropna()
    cores = ctx.after(ctx.signal(PROC_CPU, "queue", how="sum"), since).dropna()
    failed = ctx.after(ctx.signal(QUEUE_FAILED, how="sum"), since).dropna()
    new_failures = float(failed.iloc[-1] - failed.iloc[0]) if len(failed) >= 2 else 0.0
    kind, text = "unknown", ""
    if len(count) and float(count.median()) == 0:
        kind, text = "gone", ("no queue worker process was running (gone: exited, killed or "
                              "never started)")
    elif len(count) and len(cores):
        workers, used = float(count.median()), float(cores.mean())
        stopped = ctx.after(ctx.signal(PROC_STOPPED, "queue", how="sum"), since).dropna()
        if len(stopped) and float(stopped.median()) > 0:
            kind, text = "stopped", (
                f"{float(stopped.median()):.0f} of the {workers:.0f} queue worker processes "
                f"were stopped (state T: a signal or a debugger) and used {used:.2f} cores")
        elif used <= IDLE_WORKER_CORES * workers:
            # None in state T where the host collector counts it: they wait on something.
            kind, text = ("blocked", (
                f"the {workers:.0f} queue worker processes used {used:.2f} cores and none was "
                "stopped (state T): blocked waiting (the database, a lock, a remote call, a "
                "full disk)")) if len(stopped) else ("stopped", (
                    f"the {workers:.0f} queue worker processes used {used:.2f} cores: stopped "
                    "(a signal, a debugger) or blocked waiting (a lock, a remote call, a full "
                    "disk)"))
        elif used >= BUSY_WORKER_CORES * workers:
            kind, text = "busy", (f"the {workers:.0f} queue worker processes were busy "
                                  f"computing ({used:.2f} cores): too few workers for the "
                                  "jobs' cost")
        else:
            kind, text = "waiting", (
                f"the {workers:.0f} queue worker processes used {used:.2f} cores: they spend "
                "their time waiting on something (a database, a remote call), or on one long "
                "job")
    if new_failures > 0:
        kind = "failing" if kind in ("unknown", "waiting") else kind
        text = "; ".join(part for part in (
            text, f"{new_failures:.0f} jobs failed for good meanwhile (queue.failed)") if part)
    return kind, text


def workers_wait(finding: Finding) -> bool:
    """The queue's workers were running but made little or no progress: what they wait on
    (the database) can explain the backlog; stopped or gone workers wait on nothing."""
    return finding.details.get("workers") in ("blocked", "waiting")


def cache_misses(ctx: Context) -> Finding | None:
    ratio = ctx.signal(REDIS_HIT_RATIO, how="max")
    if ratio.isna().all():
        return None
    traffic = ratio[ctx.w5["count"] > 0].dropna()
    mean = float(traffic.mean()) if len(traffic) else math.nan
    floor = -sustained_peak(-ratio)
    if math.isnan(floor) or floor >= HIT_RATIO_LIMIT:
        return None
    onset = ctx.onset(ratio, HIT_RATIO_LIMIT, above=False)
    # A cache that misses all along (off, or keys that never repeat) is flat: there is
    # nothing for latency to correlate with, which is no evidence against it.
    rho = ctx.correlation(-ratio) if traffic.std() >= FLAT_RATIO_STD else None
    sev = severity(-floor, -HIT_RATIO_LIMIT, -HIT_RATIO_FULL)
    evidence = [f"redis.hit_ratio: {pct(mean)} mean, lowest 30 s level {pct(floor)} (SLO > "
                f"80%); {onset_text(onset)}", corr_text(rho)]
    how, gone = _how_keys_left(ctx, onset.ts if onset else None)
    if gone:
        evidence.append(gone)
    deleter = None
    if how == "deleted" and onset and (deleter := caught_client(ctx, REDIS_DELETING_CLIENT,
                                                                        onset.ts)):
        evidence.append(f"culprit: the Redis client {deleter[0]}, whose last command deleted "
                        f"keys in {pct(deleter[1])} of the samples from {clock(onset.ts)} on "
                        "(CLIENT LIST)")
    # Sessions kept in the same Redis go with the cache's keys (a flush, evictions).
    lost = session_losses(ctx, onset.ts - SESSIONS_LEAD_S if onset else -math.inf)
    if lost:
        evidence.append(f"{lost} requests found their user signed out by the server meanwhile: "
                        "the sessions were lost with the cache's keys")
    return Finding(
        "cache.misses", confidence(sev, rho, None),
        f"The cache hit ratio was {pct(mean)}: reads that should be cached reach "
        f"{ctx.db_server}" + (", and users lost their sessions with it." if lost else "."),
        evidence, onset.ts if onset else None, onset.users if onset else None,
        ctx.affected_requests(onset.ts if onset else None), correlation=rho,
        details={"hit_ratio": mean, "sessions_lost": lost, "keys_left": how,
                 "deleter": deleter[0] if deleter else ""},
    )


def _how_keys_left(ctx: Context, since: float | None) -> tuple[str, str]:
    """How the cache's keys went once it missed: 'evicted' (Redis at maxmemory),
    'deleted' (a client: DEL, UNLINK, FLUSHDB), 'expired' (TTLs ran out together), or ''
    when the key count held; with the evidence line."""
    keys = ctx.signal(REDIS_KEYS, how="sum")
    if since is None or keys.isna().all():
        return "", ""
    before, after = keys[keys.index < since].dropna(), ctx.after(keys, since).dropna()

    def rates(signal: Signal) -> tuple[float, float]:
        """Mean per second before and after `since` (0 when not collected)."""
        series = ctx.signal(signal, how="sum").fillna(0.0)
        return (float(series[series.index < since].mean()) if (series.index < since).any()
                else 0.0, float(ctx.after(series, since).mean()))

    evicted, expired, deletes = rates(REDIS_EVICTED), rates(REDIS_EXPIRED), rates(REDIS_DELETES)
    if evicted[1] >= MIN_EVICTIONS:
        return "evicted", (f"redis.evicted_keys: {evicted[1]:.0f} keys/s from {clock(since)}: "
                           "Redis reached maxmemory and evicts what the app reads back")
    if before.empty or after.empty or \
            float(after.median()) > (1 - KEYS_FELL_SHARE) * float(before.median()):
        return "", ""
    fell = f"redis.keys: {before.median():.0f} -> {after.median():.0f} (medians) with no evictions"
    if expired[1] > 2 * expired[0] + MIN_EVICTIONS and deletes[1] <= 2 * deletes[0]:
        return "expired", (f"{fell}; {expired[0]:.1f} -> {expired[1]:.1f} keys/s expired: "
                           "keys written together with one TTL ran out together")
    return "deleted", (f"{fell}: a client deleted them (DEL, UNLINK, FLUSHDB calls "
                       f"{deletes[0]:.1f} -> {deletes[1]:.1f}/s)")


def _growth(series: pd.Series) -> float:
    """Least-squares slope (jobs/s) over the second half of the run."""
    values = series.dropna()
    half = values.iloc[len(values) // 2:]
    if len(half) < 4:
        return 0.0
    x = half.index.to_numpy(dtype=float)
    return float(np.polyfit(x - x[0], half.to_numpy(dtype=float), 1)[0])

