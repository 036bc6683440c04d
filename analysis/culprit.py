"""Who holds the locks others wait for (blockers.csv): one session, or many in turn.

Why it matters for the fix: one session holding a lock for a minute (a forgotten
transaction, a migration, a report run by hand) is found and ended, and a timeout
keeps it from happening again; many short holders taking turns on the same rows is
the app's own contention, fixed in its transactions. Only sessions that do not wait
themselves are roots: a waiter queued behind the holder blocks the ones behind it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from analysis.context import WINDOW_S, Context
from analysis.signals import DB_WAIT
from analysis.timefmt import clock

HOLDER_SHARE = 0.5          # one holder's share (of blocked session-samples, of connections)
LEAD_S = 60.0               # a holder may take its lock before the waits become sustained


@dataclass(frozen=True)
class LockCulprit:
    """The root blocker that made others wait longest, and how many roots there were."""

    target: str
    pid: str
    application: str
    client: str
    user: str
    state: str
    first: float
    last: float
    max_waiting: int
    xact_age_s: float
    query: str
    share: float             # of all blocked session-samples
    roots: int               # distinct root blockers seen
    queue_max: float         # sessions waiting on locks in all, at most, while it held
    head: QueueHead | None = None  # a waiter that others queued behind

    @property
    def one_holder(self) -> bool:
        return self.share >= HOLDER_SHARE and self.last > self.first

    @property
    def idle_in_transaction(self) -> bool:
        return self.state.startswith("idle in transaction")

    def describe(self) -> str:
        who = session_owner(self.application, self.client, self.user)
        held = self.last - self.first
        age = (f", its transaction {self.xact_age_s:.0f} s old"
               if not math.isnan(self.xact_age_s) else "")
        statement = (f"; its {'last' if self.idle_in_transaction else 'running'} statement: "
                     f"{self.query}" if self.query else "")
        if not self.one_holder:
            return (f"{self.roots} different sessions took turns holding the locks others "
                    f"waited for (the app's own transactions contending for the same rows); "
                    f"the busiest, session {self.pid} ({who}), blocked up to "
                    f"{self.max_waiting} at once{statement}")
        return (f"culprit: session {self.pid} on {self.target} ({who}) held the lock others "
                f"waited for during {held:.0f} s from {clock(self.first)}: {self.state}{age}; "
                f"up to {self.max_waiting} sessions waited on it directly"
                + (f" and {self.queue_max:.0f} on locks in all (the queue behind it)"
                   if self.queue_max > self.max_waiting else "") + statement
                + (f"; {self.head.describe()}" if self.head else ""))


@dataclass(frozen=True)
class QueueHead:
    """A session waiting on the holder that others waited behind: a lock request queues,
    and a strong one (a schema change's) makes every later request for the table queue
    behind it, even those the holder would let through."""

    pid: str
    application: str
    max_waiting: int
    query: str

    def describe(self) -> str:
        who = f" ({session_owner(self.application, '', '')})" if self.application else ""
        return (f"at the head of the queue, session {self.pid}{who}, itself waiting, held up "
                f"to {self.max_waiting} behind it" + (f": {self.query}" if self.query else ""))


def lock_culprit(ctx: Context, since: float | None) -> LockCulprit | None:
    frame = ctx.blockers
    if frame.empty:
        return None
    if since is not None:
        frame = frame[frame["ts"] >= since - LEAD_S]
    blocked = frame["blocked"].astype(str).str.lower() == "true"
    roots = frame[~blocked]
    if roots.empty:
        roots = frame
    if roots.empty or roots["waiting"].sum() <= 0:
        return None
    keys = ["target", "pid"]
    per_root = roots.groupby(keys, sort=False).agg(
        first=("ts", "min"), last=("ts", "max"), waited=("waiting", "sum"),
        max_waiting=("waiting", "max"), xact_age_s=("xact_age_s", "max"))
    top_key = per_root["waited"].idxmax()
    top = per_root.loc[top_key]
    rows = roots.set_index(keys).loc[[top_key]]
    latest = rows.iloc[-1]
    return LockCulprit(
        target=str(top_key[0]), pid=str(top_key[1]), application=_text(latest["application"]),
        client=_text(latest["client"]), user=_text(latest["user"]),
        state=_text(latest["state"]) or "unknown", first=float(top["first"]),
        last=float(top["last"]), max_waiting=int(top["max_waiting"]),
        xact_age_s=float(top["xact_age_s"]) if pd.notna(top["xact_age_s"]) else math.nan,
        query=_last_query(rows),
        share=float(top["waited"] / per_root["waited"].sum()), roots=len(per_root),
        queue_max=_queue_max(ctx, float(top["first"]), float(top["last"])),
        head=_queue_head(frame[blocked], float(top["first"]), float(top["last"])))


def _queue_head(waiters: pd.DataFrame, first: float, last: float) -> QueueHead | None:
    """The waiting session (of `waiters`, blockers that wait themselves) that most others
    waited on while the holder held."""
    inside = waiters[(waiters["ts"] >= first) & (waiters["ts"] <= last)
                     & (waiters["waiting"] > 0)]
    if inside.empty:
        return None
    pid = inside.groupby("pid", sort=False)["waiting"].sum().idxmax()
    rows = inside[inside["pid"] == pid]
    return QueueHead(str(pid), _text(rows.iloc[-1]["application"]),
                     int(rows["waiting"].max()), _last_query(rows))


def _last_query(rows: pd.DataFrame) -> str:
    """A session's last statement text seen ('' when none was)."""
    queries = rows["query"].dropna().astype(str)
    queries = queries[queries.str.len() > 0]
    return str(queries.iloc[-1]) if len(queries) else ""


def _queue_max(ctx: Context, first: float, last: float) -> float:
    """Most sessions waiting on locks in one 5 s window while the holder held."""
    waits = ctx.signal(DB_WAIT, "Lock", how="sum")
    inside = waits[(waits.index >= first - WINDOW_S) & (waits.index <= last)]
    return float(inside.max()) if inside.notna().any() else math.nan


def session_owner(application: str, client: str, user: str) -> str:
    """"application 'psql', client 10.0.0.7, user report": who a database session is."""
    return ", ".join(part for part in (
        f"application {application!r}" if application else "",
        f"client {client}" if client else "",
        f"user {user}" if user else "") if part)


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
