"""Outage rules: db.unavailable and cache.latency, the database or Redis stopped
answering, or answered slowly.

Why a class of their own: a database that answers nothing leaves every resource idle
(its CPU, its locks, its I/O), so no saturation rule fires, and what users see comes
later and from elsewhere (workers all busy, then timeouts and 5xx). What came first is
the outage its collector met; the culprit is what the host shows of the server then:
processes stopped, or gone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.context import WINDOW_S, Context, Onset
from analysis.dependencies import (
    PROBES,
    Outage,
    Stall,
    outages,
    stall_severity,
    stalled_dependency,
)
from analysis.findings import Finding
from analysis.rules.common import (
    caught_client,
    confidence,
    corr_text,
    first_above,
    onset_text,
    pct,
)
from analysis.signals import PROC_COUNT, PROC_STOPPED
from analysis.timefmt import clock

FULL_OUTAGE_S = 30.0   # an outage this long is certain (a restart takes seconds)
# A stall while the host showed the server's processes stopped (state T) is as sure as
# its cause is seen: a server paused 200 ms in every 500 adds tens of milliseconds to a
# round trip on average, below the probe's full mark, yet nothing else explains it.
SEEN_PAUSE_SEVERITY = 0.7
# Causes of a stall that were seen: the server's processes stopped (state T), or a client
# caught at a command that stops every other one.
SEEN_CAUSES = ("stopped", "client")


def db_unavailable(ctx: Context) -> Finding | None:
    """The database answered nothing (an outage), or answered slowly: its round trip
    stalled while its statements' own work did not explain it."""
    found = outages(ctx, "database")
    if found:
        return outage_finding(ctx, "db.unavailable", found[0], ctx.db_server)
    stall = stalled_dependency(ctx, None, None, ("database",))
    return stall_finding(ctx, "db.unavailable", stall, ctx.db_server) if stall else None


def cache_latency(ctx: Context) -> Finding | None:
    """Redis answered slowly, or not at all: every request that touches its session or
    cache waits or fails, whether or not the workers fill up meanwhile (see
    analysis/dependencies.py)."""
    stall = stalled_dependency(ctx, None, None, ("redis",))
    if stall:
        return stall_finding(ctx, "cache.latency", stall, "Redis")
    down = outages(ctx, "redis")
    return outage_finding(ctx, "cache.latency", down[0], "Redis") if down else None


def stall_finding(ctx: Context, bottleneck: str, stall: Stall, server: str) -> Finding:
    """A dependency whose round trip took tens of milliseconds for 30 s or more: paused (a
    stopped process, a throttled cgroup or VM), starved, busy with others, or behind a
    slow network path. The culprit is what the host showed of its processes meanwhile."""
    latency = ctx.per_target(stall.probe.signal)[stall.target]
    # A pause cycle aliasing with the probe can keep it from 30 s in a row over the mark:
    # then the stall begins at its first slow window.
    onset = ctx.onset(latency, stall.mark_ms) or Onset(stall.first, ctx.users_at(stall.first))
    rho = ctx.correlation(latency)
    cause, culprit = process_change(ctx, stall.probe.server_groups,
                                    stall.first - WINDOW_S, float(ctx.w5.index.max()), server)
    details = {"target": stall.target, "stall_ms": stall.peak_ms}
    if not cause and stall.probe.stallers and (client := caught_client(
            ctx, stall.probe.stallers, onset.ts - WINDOW_S)):
        cause, details["stalling_client"] = "client", client[0]
        culprit = (f"culprit: the {server} client {client[0]}, caught at that command in "
                   f"{pct(client[1])} of the samples from {clock(onset.ts - WINDOW_S)} on "
                   "(CLIENT LIST): a command that stops every other client")
    # What users felt, from its onset: a noisy probe can cross the mark once before the
    # stall begins.
    sev, change = stall_severity(ctx, stall, onset.ts)
    seen = cause in SEEN_CAUSES  # the pause was seen, not inferred from the probe alone
    if seen:
        sev = max(sev, SEEN_PAUSE_SEVERITY)
    felt = (f"p95 {change.p95_before:.0f} -> {change.p95_after:.0f} ms at the same load"
            if change else stall.probe.cost)
    return Finding(
        # A seen pause is as sure as an outage: its severity alone. Whether p95 follows a
        # pause cycle window by window is chance (the probe samples it), not evidence.
        bottleneck, confidence(sev, None if seen else rho),
        f"{server} on {stall.target} answered slowly ({stall.probe.request} took "
        f"{stall.peak_ms:.0f} ms): {felt}.",
        [f"{stall.describe()}; {onset_text(onset)}", *([culprit] if culprit else []),
         *([change.describe() + " once it answered slowly"] if change else []),
         stall.probe.slow_means, corr_text(rho)],
        onset.ts, onset.users, ctx.affected_requests(onset.ts), correlation=rho,
        details={**details, "server_cause": cause},
    )


def server_runs(finding: Finding) -> bool:
    """False when the server was seen stopped or stalled by a client: load, CPU or memory
    starve a process, they neither stop it nor pause it, so such a stall is nobody's
    symptom."""
    return finding.details.get("server_cause") not in SEEN_CAUSES


def outage_finding(ctx: Context, bottleneck: str, outage: Outage, server: str) -> Finding:
    """The finding of one outage: when, how long, the culprit the host shows, and what
    users met meanwhile."""
    onset = Onset(outage.start, ctx.users_at(outage.start))
    during = _outage_mask(ctx, outage)
    cause, culprit = server_culprit(ctx, outage, server)
    evidence = [outage.describe(), *([culprit] if culprit else []), *_users_met(ctx, during)]
    sev = min(1.0, outage.seconds / FULL_OUTAGE_S)
    how = "refused connections" if outage.refused else "answered nothing"
    return Finding(
        bottleneck, confidence(sev),
        f"{server} on {outage.target} {how} for {outage.seconds:.0f} s from "
        f"{clock(outage.start)}: requests that needed it waited or failed.",
        evidence, onset.ts, onset.users, ctx.affected_requests(onset.ts),
        details={"target": outage.target, "refused": outage.refused,
                 "outage_s": outage.seconds, "server_cause": cause},
    )


def server_culprit(ctx: Context, outage: Outage, server: str) -> tuple[str, str]:
    """What the host collector saw of the server's processes during the outage: "stopped"
    or "gone" with its evidence line, or ("", "") when they looked as before. Servers of
    one kind may share the host (a cache and a queue Redis): one gone shows as fewer
    processes, not none."""
    return process_change(ctx, PROBES[outage.dependency].server_groups,
                          outage.start - WINDOW_S, outage.end, server, any_drop=True)


def process_change(ctx: Context, groups: tuple[str, ...], start: float, end: float,
                   server: str = "", any_drop: bool = False) -> tuple[str, str]:
    """The first of `groups` whose processes were stopped (state T) between start and end,
    or gone (none left; with `any_drop`, fewer than just before): ("stopped" | "gone",
    the evidence line), else ("", ""). Without `any_drop` a pool that shrinks on its own
    (PHP-FPM's dynamic children) is not taken for a crash."""
    sampled = ctx.signal(PROC_COUNT, how="sum")  # windows the host collector sampled
    for group in groups:
        name = server or group
        stopped = _between(ctx.signal(PROC_STOPPED, group, how="sum"), start, end)
        if stopped.notna().any() and stopped.max() > 0:
            return "stopped", (
                f"culprit: proc.stopped{{{group}}}: {stopped.max():.0f} {name} processes "
                f"stopped (state T: a signal, a debugger, a frozen cgroup or VM) from "
                f"{clock(first_above(stopped, 0))}; they keep their connections open and "
                "answer nothing")
        count = ctx.signal(PROC_COUNT, group, how="sum")
        # A group the host collector stopped listing has no process left; a window it did
        # not sample at all says nothing.
        inside = _between(count.fillna(0).where(sampled.notna()), start, end).dropna()
        if inside.empty:
            continue
        left = inside.min()
        gone = float(inside[inside == left].index[0])
        # Counts are 5 s means: the window a process died in is a fraction, so "before"
        # is the most of the half minute before.
        earlier = count[(count.index < gone) & (count.index >= gone - 30.0)].dropna()
        if earlier.empty or earlier.max() <= left or not (left == 0 or any_drop):
            continue
        return "gone", (
            f"culprit: proc.count{{{group}}}: {left:.0f} {name} processes from "
            f"{clock(gone)}, {earlier.max():.0f} before: a server is gone (exited, "
            "crashed or killed)")
    return "", ""


def _between(series: pd.Series, start: float, end: float) -> pd.Series:
    return series[(series.index >= start) & (series.index <= end)]


def _outage_mask(ctx: Context, outage: Outage) -> pd.Series:
    index = ctx.w5.index.to_numpy(dtype=float)
    return pd.Series((index + WINDOW_S > outage.start) & (index < outage.end),
                     index=ctx.w5.index)


def _users_met(ctx: Context, during: pd.Series) -> list[str]:
    """Errors and p95 of the windows with requests during the outage, and before it."""
    w5 = ctx.w5
    served = w5["count"] > 0
    lines = []
    for label, mask in (("during it", during & served), ("before it", ~during & served
                                                          & (np.cumsum(during) == 0))):
        rows = w5[mask]
        if rows.empty:
            lines.append(f"{label}: no request completed")
            continue
        errors = float(rows["failures"].sum() / rows["count"].sum())
        lines.append(f"{label}: {rows['count'].sum():.0f} requests completed, "
                     f"{pct(errors)} failed, p95 of 5 s windows up to {rows['p95'].max():.0f} ms")
    return lines
