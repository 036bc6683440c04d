"""Statements that became slower per call at one moment of a steady load (db.query).

Why: the other statement rules look for a database that is busy. A statement whose plan
went wrong (statistics lost, an index dropped, a data load that changed what it reads)
can cost each request tens of milliseconds more while the database stays nearly idle
at a moderate load: nothing saturates, yet every user waits longer. The mechanism is a
change, found in order: the statement's time per call steps up and stays up (what rises
first), the requests' p95 follows at the same load (what it causes), and the
statements' added time explains most of the requests' added time (the culprit); time
spent waiting on locks is not the statement's own cost and is left out. A statement no
digest times (MariaDB's prepared statements) steps up in its sampled session time per
HTTP request instead: at a steady load, by Little's law, that grows as its time per call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.context import SUSTAIN_WINDOWS, Context, latency_by_name
from analysis.findings import Finding
from analysis.latency import ALL
from analysis.planner import describe, stale_statistics
from analysis.rules.common import (
    RISE_FLOOR,
    RISE_FULL,
    confidence,
    corr_text,
    latency_change,
    pct,
    severity,
)
from analysis.rules.statements import (
    dominant_statements,
    lock_wait_share,
    query_statements,
    seq_scan_table,
    statement_totals,
    statement_windows,
)
from analysis.sqltext import index_columns, shorten, tables
from analysis.timefmt import clock
from scenarios.aggregate import NOT_PAGES

SLOWED_RATIO = 5.0        # time per call after / before
SLOWED_MIN_MS = 5.0       # and at least this much more per call
CANDIDATES = 10           # the statements with most time that are looked at
MIN_CALLS = 10            # calls after the change (and 3 before) to trust a mean
ONSET_SPREAD_S = 30.0     # statements slowed within this of the first belong together
LATENCY_RISE = 1.5        # requests' p95 after / before (medians of 5 s windows), same load
EXPLAINED_SHARE = 0.5     # of the requests' added time, explained by the slowed statements
PAGE_MIN_REQUESTS = 10    # of one page before and after the change, to compare its means
MIN_SEEN_WINDOWS = 3      # a sampled statement caught running in this many 5 s windows after
NOT_PAGE_PREFIXES = tuple(f"{method} " for method in NOT_PAGES)


@dataclass(frozen=True)
class Slowed:
    """One statement's time per call (per request when sampled) before and after it
    stepped up."""

    queryid: str
    query: str
    onset: float
    before_ms: float
    after_ms: float
    calls_after: float        # requests after, when sampled
    added_ms: float           # (after - before) x calls after, less time waiting on locks
    sampled: bool = False

    @property
    def per(self) -> str:
        return "per request" if self.sampled else "per call"

    @property
    def seen_before(self) -> bool:
        """Sampled statements may not have been caught running at all before."""
        return self.before_ms >= 0.01

    @property
    def rise(self) -> str:
        return f"{self.after_ms / self.before_ms:.0f}x" if self.seen_before else \
            "none seen before"

    def describe(self) -> str:
        since = (f"{self.calls_after:.0f} requests since (sampled sessions: the server "
                 "does not time prepared statements)" if self.sampled
                 else f"{self.calls_after:.0f} calls since")
        return (f"statement {self.queryid}: {self.before_ms:.2f} -> {self.after_ms:.1f} ms "
                f"{self.per} ({self.rise}) from {clock(self.onset)}, {since}; "
                f"text: {shorten(self.query)}")


def db_query(ctx: Context) -> Finding | None:
    """db.query: a statement dominating a busy database (rules/statements.py); else
    statements that stepped up per call and explain the requests' slowdown. When the
    dominating statement is one that stepped up, the step is said too: it was fast
    before, so something changed then (an index dropped, a data load)."""
    dominant, slowed = dominant_statements(ctx), slowed_statements(ctx)
    if dominant is None or slowed is None:
        return dominant or slowed
    if dominant.details["queryid"] in slowed.details["slowed"]:
        dominant.evidence[2:2] = [line for line in slowed.evidence
                                  if line.startswith("statement ")]
        dominant.details["slowed_from"] = slowed.details["slowed_from"]
    return dominant


def slowed_statements(ctx: Context) -> Finding | None:
    sampled = ctx.sampled_statement_time()  # a pivot of metrics5: built once here
    candidates = [s for s in (_slowed(ctx, q, sampled) for q in _busiest(ctx))
                  if s is not None]
    if not candidates:
        return None
    first = min(s.onset for s in candidates)
    group = sorted((s for s in candidates if s.onset - first <= ONSET_SPREAD_S),
                   key=lambda s: s.added_ms, reverse=True)
    change = latency_change(ctx, first)
    if change is None:
        return None
    added_request_ms = (change.mean_after - change.mean_before) * float(
        change.after["count"].sum())
    # Users feel it on the pages that run the statements, whatever the other pages do.
    pages = _slowed_pages(ctx, change.before.index, change.after.index)
    rise = max(change.p95_rise, pages[0].rise if pages else 0.0)
    if not rise >= LATENCY_RISE or added_request_ms <= 0:
        return None
    explained = min(1.0, sum(s.added_ms for s in group) / added_request_ms)
    if explained < EXPLAINED_SHARE:
        return None
    sev = severity(rise, RISE_FLOOR, RISE_FULL) * explained
    per_call = pd.Series(0.0, index=ctx.w5.index)
    for slowed in group:
        per_call = per_call.add(
            _per_call(_windows(ctx, slowed.queryid, sampled)).fillna(0.0), fill_value=0.0)
    rho = ctx.correlation(per_call)
    stale = stale_statistics(ctx, (t for s in group for t in tables(s.query)))
    top = group[0]
    # Reading a big table by full scans since it slowed: an index it no longer uses (unless
    # the planner lost its statistics, which explains the plans without any index gone).
    table, scans = seq_scan_table(ctx, top.query, first) if not stale else (None, {})
    columns = index_columns(top.query, table) if table else []
    evidence = [
        *(s.describe() for s in group[:3]),
        f"{change.describe()}; the slowed statement(s) explain {pct(explained)} of the time "
        "requests took in addition",
        *([("pages slower at the same load (mean): " + ", ".join(
            f"{page.name} {page.before_ms:.0f} -> {page.after_ms:.0f} ms"
            for page in pages[:4]))] if pages else []),
        *describe(stale),
        *([f"table {table} since: {int(scans['seq_scan'])} sequential scans reading "
           f"{int(scans['seq_tup_read'])} rows, index use {pct(scans['index_share'])} of "
           f"{'rows read' if ctx.mysql else 'scans'}; likely index columns (from "
           f"WHERE/ORDER BY; verify with EXPLAIN): {table}({', '.join(columns) or 'none found'})"]
          if table else []),
        "the load did not change: each call costs more, so every request that runs it waits "
        "longer whether or not the database is busy",
        corr_text(rho),
    ]
    felt = (f"{pages[0].name} {pages[0].before_ms:.0f} -> {pages[0].after_ms:.0f} ms"
            if pages and pages[0].rise > change.p95_rise
            else f"p95 {change.p95_before:.0f} -> {change.p95_after:.0f} ms")
    return Finding(
        "db.query", confidence(sev, rho, None),
        (f"{len(group)} statement(s) became {top.rise} slower {top.per}" if top.seen_before
         else f"{len(group)} statement(s) not seen running before took {top.after_ms:.0f} ms "
              f"{top.per}") + f" from {clock(first)} at a steady load: {felt}.",
        evidence, first, ctx.users_at(first), ctx.affected_requests(first), correlation=rho,
        details={"queryid": top.queryid, "query": shorten(top.query),
                 "mean_ms": top.after_ms, "before_ms": top.before_ms,
                 "slowed_from": first, "slowed": [s.queryid for s in group],
                 "table": table, "index_columns": columns,
                 "summary": False, "temp_blks_written": 0,
                 "stale_statistics": [(t.table, t.auto == 0) for t in stale]},
    )


@dataclass(frozen=True)
class SlowedPage:
    """A page whose mean latency rose at the same load."""

    name: str
    before_ms: float
    after_ms: float

    @property
    def rise(self) -> float:
        return self.after_ms / self.before_ms if self.before_ms > 0 else math.inf


def _slowed_pages(ctx: Context, before: pd.Index, after: pd.Index) -> list[SlowedPage]:
    """Pages with enough requests on both sides whose mean latency rose by LATENCY_RISE
    and SLOWED_MIN_MS or more, the most slowed first (means from exact sums)."""
    frame = ctx.w5_names[(ctx.w5_names["name"] != ALL)
                         & ~ctx.w5_names["name"].str.startswith(NOT_PAGE_PREFIXES)]

    def means(starts: pd.Index) -> pd.Series:
        pages = latency_by_name(frame[frame["start"].isin(starts)])
        return pages.loc[pages["count"] >= PAGE_MIN_REQUESTS, "mean_ms"]

    both = pd.DataFrame({"before": means(before), "after": means(after)}).dropna()
    pages = [SlowedPage(str(name), float(row["before"]), float(row["after"]))
             for name, row in both.iterrows()]
    return sorted((p for p in pages if p.rise >= LATENCY_RISE
                   and p.after_ms - p.before_ms >= SLOWED_MIN_MS),
                  key=lambda p: p.rise, reverse=True)


def _busiest(ctx: Context) -> list[str]:
    """The statements with most time, timed by the engine or sampled, but transaction
    and session control: a COMMIT that slowed waits on the log's flush (db.io)."""
    totals = statement_totals(ctx)
    if totals.empty:
        return []
    return [str(q) for q in query_statements(totals).index[:CANDIDATES]]


def _windows(ctx: Context, queryid: str, sampled: pd.DataFrame) -> pd.DataFrame:
    """Calls and time per 5 s window; for a statement no digest times (a column of
    `sampled`, ctx.sampled_statement_time()), the requests and its sampled session time
    (so "per call" reads "per request")."""
    if queryid in sampled.columns:
        return pd.DataFrame({"calls": ctx.w5["count"].astype(float),
                             "total_exec_time_ms": sampled[queryid].fillna(0.0)})
    return pd.DataFrame({column: statement_windows(ctx, queryid, column)
                         for column in ("calls", "total_exec_time_ms")})


def _per_call(sums: pd.DataFrame) -> pd.Series:
    return sums["total_exec_time_ms"] / sums["calls"].where(sums["calls"] > 0)


def _slowed(ctx: Context, queryid: str, sampled_time: pd.DataFrame) -> Slowed | None:
    """The statement's step up in time per call, if it has one that lasts."""
    sums = _windows(ctx, queryid, sampled_time)
    sampled = queryid in sampled_time.columns
    onset = _sampled_onset(ctx, sums["total_exec_time_ms"]) if sampled else \
        _timed_onset(ctx, _per_call(sums))
    if onset is None:
        return None
    before, after = sums[sums.index < onset], sums[sums.index >= onset]
    calls_before, calls_after = float(before["calls"].sum()), float(after["calls"].sum())
    if calls_before < 3 or calls_after < MIN_CALLS:
        return None
    before_ms = float(before["total_exec_time_ms"].sum()) / calls_before
    after_ms = float(after["total_exec_time_ms"].sum()) / calls_after
    if after_ms < SLOWED_RATIO * before_ms or after_ms - before_ms < SLOWED_MIN_MS:
        return None
    locked = lock_wait_share(ctx, queryid, onset)
    own = 1.0 - (0.0 if math.isnan(locked) else locked)
    text = ctx.queries.set_index("queryid")["query"].get(queryid, "") \
        if not ctx.queries.empty else ""
    return Slowed(queryid, str(text), onset, before_ms, after_ms, calls_after,
                  (after_ms - before_ms) * calls_after * own, sampled)


def _timed_onset(ctx: Context, per_call: pd.Series) -> float | None:
    """The first window of 30 s in which the time per call held SLOWED_RATIO times its
    own low level (and SLOWED_MIN_MS more)."""
    if not per_call.notna().any():
        return None
    low = float(per_call.dropna().quantile(0.2))
    onset = ctx.onset(per_call, max(SLOWED_RATIO * low, low + SLOWED_MIN_MS))
    return onset.ts if onset else None


def _sampled_onset(ctx: Context, spent: pd.Series) -> float | None:
    """A statement only 1 Hz samples see is caught now and then, not in every window,
    unless it is slow: its step is the first window that caught it from which it was
    caught in MIN_SEEN_WINDOWS windows or more, SLOWED_RATIO times as often as in the
    30 s or more before (whether that much more time per request followed is checked
    after, from its sampled time)."""
    seen = (spent.reindex(ctx.w5.index).fillna(0.0) > 0).to_numpy()
    caught = np.flatnonzero(seen)
    for k, i in enumerate(caught):
        if len(caught) - k < MIN_SEEN_WINDOWS:
            break
        if i >= SUSTAIN_WINDOWS and \
                (len(caught) - k) / (len(seen) - i) >= SLOWED_RATIO * k / i:
            return float(ctx.w5.index[i])
    return None
