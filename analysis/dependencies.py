"""What the app waited on outside itself: a dependency that slowed down or stopped.

Why: workers that are all busy while their CPUs idle are blocked on something, and
"raise pm.max_children" is the wrong advice when that something is a stalled Redis
(Laravel reads its session and cache there on every request), or a database paused,
starved or far away. The Redis collector times one PING per sample and the database
collectors one SELECT 1, what each of the app's calls pays at least; a round trip of
tens of milliseconds, held while the workers filled, names the dependency.

A dependency can also stop answering altogether: down (connections refused), or frozen
(a stopped process, a paused VM, a hung storage or network path keep the connection
open and answer nothing, so no client timeout fires). Its collector meets the same
thing the app meets: an error, or a sample that waits (the sampler's watchdog writes
`collector_stalled` and `collector.waiting_s`). Those are the outages read here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from analysis.context import WINDOW_S, Context
from analysis.rules.common import (
    RISE_FLOOR,
    RISE_FULL,
    LatencyChange,
    latency_change,
    severity,
    sustained_peak,
)
from analysis.signals import (
    DB_LATENCY,
    GROUP_ROLES,
    PROC_STOPPED,
    REDIS_ERRORS,
    REDIS_LATENCY,
    REDIS_STALLING_CLIENT,
    Signal,
)
from analysis.timefmt import clock
from collectors.base import SERVER_FULL

# A round trip this slow, held 30 s, makes every request wait: Redis answers a PING in
# well under 1 ms on a LAN, and a request makes several calls; a SELECT 1 takes about as
# long, and a page sends a dozen statements or more, each a round trip that may pay it.
STALL_MS = 50.0
DB_STALL_MS = 20.0
# Held this slow, certainly every request waits: a page makes several Redis calls, and
# sends a dozen statements or more.
STALL_FULL_MS = 250.0
DB_STALL_FULL_MS = 200.0
STALL_RISE = 3.0  # times the probe's own best 30 s median
# A pause cycle sampled once a second reads low (each probe lands in a pause or between
# two), while users cross it many times a second: a probe at half its mark, risen
# STALL_RISE x its best, is a stall when the requests' p95 rose FELT_RISE x with it.
FELT_SHARE = 0.5
FELT_RISE = 1.5


@dataclass(frozen=True)
class Probe:
    """How a collector times one dependency's round trip, and what a slow one costs."""

    dependency: str      # "redis" or "database"
    signal: Signal
    stall_ms: float
    full_ms: float
    request: str         # what the collector sends
    cost: str            # who waits when it is slow
    slow_means: str      # where a slow answer's time went
    server_groups: tuple[str, ...]  # the process groups that run it (as the host groups them)
    stallers: Signal | None  # its clients caught at a command that stalls every other one


PROBES = {
    "redis": Probe("redis", REDIS_LATENCY, STALL_MS, STALL_FULL_MS, "a PING",
                   "every request that reads its session or cache there waited",
                   "a PING does no work: the time went to a server that served others first "
                   "(a long command or Lua script, CLIENT PAUSE), could not run (stopped, "
                   "throttled, starved of CPU) or was far (the network path)",
                   GROUP_ROLES["cache"], REDIS_STALLING_CLIENT),
    "database": Probe("database", DB_LATENCY, DB_STALL_MS, DB_STALL_FULL_MS, "a SELECT 1",
                      "any statement the app sent there could wait as long on top of its "
                      "own work",
                      "a round trip, not the statements' own work: the time went to reaching "
                      "the server (a stopped or throttled process, a starved host, the "
                      "network path)", GROUP_ROLES["db"], None),
}


@dataclass(frozen=True)
class Stall:
    """A dependency that answered slowly for 30 s or more."""

    probe: Probe
    target: str
    peak_ms: float       # highest 30 s median of its round trip
    best_ms: float       # its lowest 30 s median over the run
    first: float         # the first 5 s window over `mark_ms`
    mark_ms: float       # the probe's stall_ms, or FELT_SHARE of it when users felt it

    @property
    def dependency(self) -> str:
        return self.probe.dependency

    def describe(self) -> str:
        return (f"{self.probe.signal.name} on {self.target}: {self.probe.request} took "
                f"{self.peak_ms:.0f} ms (highest 30 s median) from {clock(self.first)}, "
                f"{self.best_ms:.1f} ms at its best: {self.probe.cost}")


def stalled_dependency(ctx: Context, since: float | None, until: float | None,
                       dependencies: tuple[str, ...] = tuple(PROBES)) -> Stall | None:
    """The dependency whose round trip stalled from `since` on, the stall beginning by
    `until` (a stall that began after the workers were full did not fill them); the worst
    (most times its stall threshold) if several; None when every one answered as usual."""
    worst: Stall | None = None
    for probe in (PROBES[name] for name in dependencies):
        for target, latency in ctx.per_target(probe.signal).items():
            values = latency.dropna()
            if values.empty:
                continue
            window = values if since is None else values[values.index >= since]
            peak, best = sustained_peak(window), -sustained_peak(-values)
            # Slow, and slower than itself or slow all along: a host whose CPUs idle (every
            # worker waiting on a lock) wakes a sleeping process in milliseconds on some
            # VMs, and the probe pays that; a stalled server multiplies its round trip, a
            # far one never answers fast.
            mark = probe.stall_ms if peak >= probe.stall_ms else probe.stall_ms * FELT_SHARE
            if math.isnan(peak) or peak < mark or \
                    (peak < STALL_RISE * best and best < probe.stall_ms):
                continue
            first = _felt_from(ctx, probe, window, mark) if mark < probe.stall_ms else \
                float(window[window >= mark].index.min())
            if first is None or (until is not None and first > until):
                continue
            if worst is None or peak / probe.stall_ms > worst.peak_ms / worst.probe.stall_ms:
                worst = Stall(probe, str(target), peak, best, first, mark)
    return worst


def _felt_from(ctx: Context, probe: Probe, window: pd.Series, mark: float) -> float | None:
    """The first window over `mark` from which the requests' p95 at the same load rose
    FELT_RISE x, or in which the host saw the server's processes stopped (the pause is
    then measured, whatever the requests did), or None: a wake-up spike before either is
    no onset."""
    stopped = pd.concat([ctx.signal(PROC_STOPPED, group, how="sum")
                         for group in probe.server_groups], axis=1).max(axis=1)
    for ts in window[window >= mark].index:
        if stopped.get(ts, 0.0) > 0:
            return float(ts)
        change = latency_change(ctx, float(ts))
        if change is not None and change.p95_rise >= FELT_RISE:
            return float(ts)
    return None


def stall_severity(ctx: Context, stall: Stall,
                   since: float) -> tuple[float, LatencyChange | None]:
    """The larger of the round trip's severity (none at its stall mark, full at its full mark)
    and the requests' p95 rise at the same load from `since` (none at 1.2x, full at 2x):
    the probe samples a pause or not, while every request crosses many. With that change."""
    change = latency_change(ctx, since)
    return max(severity(stall.peak_ms, stall.probe.stall_ms, stall.probe.full_ms),
               severity(change.p95_rise, RISE_FLOOR, RISE_FULL) if change else 0.0), change


# The collectors that talk to one of the app's dependencies, and what that dependency is.
DEPENDENCY_OF = {"postgres": "database", "mysql": "database", "redis": "redis"}
# An error that says the server could not be reached or dropped the connection (not
# one of the collector's own statements running too long: the server answered that).
UNREACHABLE = re.compile(
    r"refused|could not connect|can't connect|connection (failed|timed out|reset|lost|"
    r"closed)|timeout expired|timed out|server closed|terminating connection|lost "
    r"connection|gone away|broken pipe|no route to host|unreachable|error 11[01]\b|"
    r"TimeoutError|timeout (reading|writing|connecting)|"
    # Its name no longer resolves (libpq, MySQL clients, getaddrinfo, redis-py's -2/-3).
    r"could not translate host name|unknown (MySQL server )?host|name or service not known|"
    r"temporary failure in name resolution|getaddrinfo|error -[23] connecting", re.I)
# The server answered, with a refusal of its own: full (db.connections), or it does not
# let this client in. Up, so not an outage.
ANSWERED = re.compile(rf"{SERVER_FULL}|canceling statement|statement timeout|"
                      r"max_execution_time|authentication|access denied|permission denied|"
                      r"does not exist", re.I)
MIN_OUTAGE_S = 5.0


@dataclass(frozen=True)
class Outage:
    """A dependency that answered nothing from `start` to `end`."""

    dependency: str     # "database" or "redis"
    collector: str
    target: str
    start: float
    end: float
    refused: bool       # errors (down, unreachable) rather than silence (frozen)
    message: str        # the collector's error, or what its watchdog said
    until_end: bool     # still out when the run ended

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def server(self) -> str:
        return "Redis" if self.dependency == "redis" else "the database"

    def describe(self) -> str:
        lasted = ("until the end of the run" if self.until_end else
                  f"until {clock(self.end)}")
        if self.refused:
            return (f"{self.server} on {self.target} could not be reached from "
                    f"{clock(self.start)} {lasted} ({self.seconds:.0f} s); the {self.collector} "
                    f"collector's error: {self.message}")
        return (f"collector.waiting_s{{{self.collector}}}: {self.server} on "
                f"{self.target} answered nothing from {clock(self.start)} {lasted} "
                f"({self.seconds:.0f} s): its connection stayed open, and no answer came")


def outages(ctx: Context, dependency: str) -> list[Outage]:
    """Every outage of at least MIN_OUTAGE_S of one kind of dependency, longest first."""
    events = ctx.events
    if events.empty:
        return []
    end_of_run = float(ctx.w5.index.max()) + WINDOW_S if len(ctx.w5) else math.inf
    found: list[Outage] = []
    rows = events[events["kind"].isin(("collector_error", "collector_stalled",
                                        "collector_gap"))]
    keys = {(str(d.get("collector", "")), str(d.get("target", ""))) for d in rows["data"]}
    for collector, target in sorted(keys):
        if DEPENDENCY_OF.get(collector) != dependency:
            continue
        mine = rows[[d.get("collector") == collector and str(d.get("target")) == target
                     for d in rows["data"]]]
        found.extend(_collector_outages(ctx, dependency, collector, target, mine, end_of_run))
    return sorted((o for o in found if o.seconds >= MIN_OUTAGE_S),
                  key=lambda o: -o.seconds)


def _collector_outages(ctx: Context, dependency: str, collector: str, target: str,
                       events: pd.DataFrame, end_of_run: float) -> list[Outage]:
    """Outages from one collector's events: an unreachable error until it recovered, a
    stall until its sample returned (or the run ended)."""
    found = []
    open_at: float | None = None
    refused, message = False, ""
    for ts, kind, data in events[["ts", "kind", "data"]].itertuples(index=False):
        text = str(data.get("message", ""))
        if open_at is None:
            if kind == "collector_error" and UNREACHABLE.search(text) \
                    and not ANSWERED.search(text):
                open_at, refused, message = float(ts), True, text
            elif kind == "collector_stalled":
                open_at = float(data.get("start", ts))
                refused, message = False, text
            continue
        if kind == "collector_gap":
            # "recovered" closes an error (at the first good sample); "overrun" closes a
            # stall (when the waiting sample returned: this event's own time)
            end = float(data.get("end", ts)) if refused else float(ts)
            found.append(Outage(dependency, collector, target, open_at, end, refused,
                                message, False))
            open_at = None
    if open_at is not None:
        found.append(Outage(dependency, collector, target, open_at,
                            max(end_of_run, open_at), refused, message, True))
    return found


MIN_REFUSALS = 1.0    # error replies/s: a dependency refusing in earnest
REFUSAL_RISE = 3.0    # times its rate before


@dataclass(frozen=True)
class Refusal:
    """A dependency that was up and fast, and answered the app's commands with errors."""

    target: str
    kind: str            # the error's prefix: OOM, MISCONF, READONLY, NOAUTH...
    first: float
    rate: float          # error replies/s from `first` on
    before: float        # error replies/s before

    def describe(self) -> str:
        before = "none before" if self.before == 0 else f"{self.before:.1f}/s before"
        return (f"culprit: {REDIS_ERRORS.name}{{{self.kind}}} on {self.target}: {self.rate:.1f} "
                f"error replies/s from {clock(self.first)} ({before}): Redis was up and "
                f"answered, refusing commands with {self.kind} errors")


def refusing_dependency(ctx: Context, since: float, until: float) -> Refusal | None:
    """The Redis error kind that began (or multiplied) between `since` and `until` and
    held for 30 s, the most replies/s first; None when no server refused more than
    before."""
    worst: Refusal | None = None
    for kind in ctx.labels(REDIS_ERRORS):
        for target, series in ctx.per_target(REDIS_ERRORS, kind).items():
            rate = series.fillna(0.0)
            started = rate[(rate.index >= since) & (rate.index <= until) & (rate >= MIN_REFUSALS)]
            if started.empty:
                continue
            first = float(started.index[0])
            before = float(rate[rate.index < first].mean()) if (rate.index < first).any() \
                else 0.0
            after = float(rate[rate.index >= first].mean())
            # Refusing, held (a 30 s median): a burst of errors is an incident's echo.
            held = sustained_peak(rate[rate.index >= first]) >= MIN_REFUSALS
            if held and after >= REFUSAL_RISE * before and (worst is None or after > worst.rate):
                worst = Refusal(str(target), str(kind), first, after, before)
    return worst
