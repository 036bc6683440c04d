"""Who held the database's connections (sessions.csv): one holder, idle or busy.

Why it matters for the fix: connections that run out because the app's workers all
run queries need sizing end to end; connections held idle by one client (a script,
a misconfigured pool, a report tool) need that client found and capped, and raising
max_connections only feeds it more. One exception: the app's own processes keeping
one connection each between requests (PHP-FPM persistent connections, a pool sized
to the workers) are idle by design; they are sized, not hunted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from analysis.context import WINDOW_S, Context
from analysis.culprit import HOLDER_SHARE, session_owner
from analysis.signals import DB_TOTAL, PROC_COUNT, WORKER_GROUPS
from analysis.timefmt import clock

IDLE_SHARE = 0.5       # of its connections idle: it holds more than it uses
HOLDER = ["target", "application", "client", "user"]
APP_GROUPS = (*WORKER_GROUPS, "queue")  # processes of the app that hold connections
POOL_SLACK = 2         # connections beyond one per app process (a master, a migration)


@dataclass(frozen=True)
class ConnectionHolder:
    """The (application, client, user) holding most connections, over the finding's window."""

    target: str
    application: str
    client: str
    user: str
    mean: float          # connections held, on average
    total: float         # all connections, on average
    idle: float          # of its connections, idle or idle in transaction, on average
    first: float
    app_processes: float = math.nan  # the app's workers and queue workers, on average

    @property
    def app_pool(self) -> bool:
        """No more connections than the app has processes, and at least half of what
        they could hold (all of them, or what the server let them have): the app's
        processes keeping one connection each."""
        if math.isnan(self.app_processes):
            return False
        return (self.mean <= self.app_processes + POOL_SLACK
                and self.mean >= 0.5 * min(self.app_processes, self.total))

    @property
    def share(self) -> float:
        return self.mean / self.total if self.total else math.nan

    @property
    def idle_share(self) -> float:
        return self.idle / self.mean if self.mean else math.nan

    @property
    def one_idle_holder(self) -> bool:
        """One client, not the app's own pool, holds most connections and mostly does
        nothing with them."""
        return (self.share >= HOLDER_SHARE and self.idle_share >= IDLE_SHARE
                and not self.app_pool)

    @property
    def who(self) -> str:
        return session_owner(self.application, self.client, self.user) or "unknown"

    def describe(self) -> str:
        held = (f"held {self.mean:.0f} of {self.total:.0f} connections on average from "
                f"{clock(self.first)} ({self.idle:.0f} of them idle)")
        if self.one_idle_holder:
            return (f"culprit: {self.who} on {self.target} {held}: connections kept open "
                    "without work")
        if self.app_pool:
            return (f"connections by holder: {self.who} on {self.target} {held}: one per "
                    f"app process ({self.app_processes:.0f} app and queue worker processes), "
                    "kept open between requests (persistent connections or a pool)")
        return (f"connections by holder: {self.who} on {self.target} {held}"
                + ("; mostly running statements, so the load itself" if
                   self.idle_share < IDLE_SHARE else ""))


def _sessions_since(ctx: Context, since: float | None) -> pd.DataFrame:
    """sessions.csv rows from a finding's onset on, with blanks for unknown owners."""
    frame = ctx.sessions
    if since is not None and not frame.empty:
        frame = frame[frame["ts"] >= since - WINDOW_S]
    return frame.fillna({"application": "", "client": "", "user": "", "state": ""})


def connection_holder(ctx: Context, since: float | None) -> ConnectionHolder | None:
    frame = _sessions_since(ctx, since)
    if frame.empty:
        return None
    samples = frame.groupby("target")["ts"].nunique()
    held = frame.groupby(HOLDER)["count"].sum()
    best = held.idxmax()
    rows = frame[(frame[HOLDER] == list(best)).all(axis=1)]
    per_sample = samples.get(best[0], 1)
    idle = rows[rows["state"].str.startswith("idle")]["count"].sum()
    listed = float(frame[frame["target"] == best[0]]["count"].sum()) / per_sample
    return ConnectionHolder(
        target=str(best[0]), application=str(best[1]), client=str(best[2]), user=str(best[3]),
        mean=float(held.loc[best]) / per_sample,
        total=max(listed, _all_connections(ctx, str(best[0]), since)),
        idle=float(idle) / per_sample, first=float(rows["ts"].min()),
        app_processes=_app_processes(ctx, since))


def _app_processes(ctx: Context, since: float | None) -> float:
    """Mean processes of the app's worker and queue groups (NaN when not measured)."""
    groups = [group for group in APP_GROUPS if group in ctx.labels(PROC_COUNT)]
    if not groups:
        return math.nan
    counts = sum(ctx.signal(PROC_COUNT, group, how="sum") for group in groups)
    series = counts if since is None else ctx.after(counts, since - WINDOW_S)
    return float(series.mean())


def _all_connections(ctx: Context, target: str, since: float | None) -> float:
    """Mean connections of the whole server, not only the groups the collector listed
    (it keeps the largest 10); 0 when not measured."""
    wide = ctx.per_target(DB_TOTAL)
    if target not in wide.columns:
        return 0.0
    series = wide[target] if since is None else ctx.after(wide[target], since - WINDOW_S)
    mean = float(series.mean())
    return 0.0 if math.isnan(mean) else mean


@dataclass(frozen=True)
class BusyHolder:
    """The (application, client, user) running most of the database's statements: its
    sessions in state active, averaged over the samples since the finding's onset."""

    target: str
    application: str
    client: str
    user: str
    active: float        # its active sessions, on average
    all_active: float    # all active sessions, on average
    connections: float   # connections it held, on average
    top_holder: bool     # it also holds the most connections (the app's own, usually)

    @property
    def share(self) -> float:
        return self.active / self.all_active if self.all_active else math.nan

    @property
    def outside(self) -> bool:
        """A client that is not the app (not the biggest holder of connections) ran most
        of the database's work: an ad-hoc report, a batch job, a runaway script."""
        return self.share >= HOLDER_SHARE and not self.top_holder

    def details(self) -> dict[str, str]:
        """A finding's details naming it (the advice reads them)."""
        return {"outside_runner": session_owner(self.application, self.client, self.user),
                "outside_application": self.application}

    def describe(self) -> str:
        """The culprit line (for an outside runner)."""
        who = session_owner(self.application, self.client, self.user) or "unknown"
        return (f"culprit: {who} on {self.target} ran {self.active:.1f} of the "
                f"{self.all_active:.1f} active sessions on average ({self.share:.0%}) while "
                f"holding {self.connections:.0f} connections: the database's work is not "
                "the app's own traffic")


def outside_runner(ctx: Context, since: float | None) -> BusyHolder | None:
    """The holder of the most active sessions from `since` on, when it is an outside
    client (see BusyHolder.outside); None otherwise."""
    frame = _sessions_since(ctx, since)
    active = frame[frame["state"] == "active"]
    if active.empty:
        return None
    samples = max(1, frame["ts"].nunique())
    busy = active.groupby(HOLDER)["count"].sum()
    best = busy.idxmax()
    held = frame.groupby(HOLDER)["count"].sum()
    runner = BusyHolder(
        target=str(best[0]), application=str(best[1]), client=str(best[2]),
        user=str(best[3]), active=float(busy.loc[best]) / samples,
        all_active=float(busy.sum()) / samples, connections=float(held.loc[best]) / samples,
        top_holder=held.idxmax() == best)
    return runner if runner.outside else None
