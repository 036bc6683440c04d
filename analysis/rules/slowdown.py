"""Statements that became slower per call at one moment of a steady load (db.query).

Why: the other statement rules look for a database that is busy. A statement whose plan
went wrong (statistics lost, an index dropped, a data load that changed what it reads)
can cost each request tens of milliseconds more while the database stays nearly idle
at a moderate load: nothing saturates, yet every user waits longer. The mechanism is a
change, found in order: the statement's time per call steps up and stays up (what rises
first), the requests' p95 follows at the same load (what it causes), and the
statements' added time explains most of the requests' added time (the culprit); time
spent waiting on locks is not the statement's own cost and is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from analysis.context import Context, latency_by_name
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
    statement_totals,
    statement_windows,
)
from analysis.sqltext import shorten, tables
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
NOT_PAGE_PREFIXES = tuple(f"{method} " for method in NOT_PAGES)


@dataclass(frozen=True)
class Slowed:
    """One statement's time per call before and after it stepped up."""

    queryid: str
    query: str
    onset: float
    before_ms: float
    after_ms: float
    calls_after: float
    added_ms: float           # (after - before) x calls after, less time waiting on locks


def db_query(ctx: Context) -> Finding | None:
    """db.query: a statement dominating a busy database (rules/statements.py); else
    statements that stepped up per call and explain the requests' slowdown."""
    return dominant_statements(ctx) or slowed_statements(ctx)


def slowed_statements(ctx: Context) -> Finding | None:
    candidates = [s for s in (_slowed(ctx, q) for q in _busiest(ctx)) if s is not None]
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
        per_call = per_call.add(_per_call(_windows(ctx, slowed.queryid)).fillna(0.0),
                                fill_value=0.0)
    rho = ctx.correlation(per_call)
    stale = stale_statistics(ctx, (t for s in group for t in tables(s.query)))
    top = group[0]
    evidence = [
        *(f"statement {s.queryid}: {s.before_ms:.2f} -> {s.after_ms:.1f} ms per call "
          f"({s.after_ms / max(s.before_ms, 1e-3):.0f}x) from {clock(s.onset)}, "
          f"{s.calls_after:.0f} calls since; text: {shorten(s.query)}" for s in group[:3]),
        f"{change.describe()}; the slowed statement(s) explain {pct(explained)} of the time "
        "requests took in addition",
        *([("pages slower at the same load (mean): " + ", ".join(
            f"{page.name} {page.before_ms:.0f} -> {page.after_ms:.0f} ms"
            for page in pages[:4]))] if pages else []),
        *describe(stale),
        "the load did not change: each call costs more, so every request that runs it waits "
        "longer whether or not the database is busy",
        corr_text(rho),
    ]
    felt = (f"{pages[0].name} {pages[0].before_ms:.0f} -> {pages[0].after_ms:.0f} ms"
            if pages and pages[0].rise > change.p95_rise
            else f"p95 {change.p95_before:.0f} -> {change.p95_after:.0f} ms")
    return Finding(
        "db.query", confidence(sev, rho, None),
        f"{len(group)} statement(s) became {top.after_ms / max(top.before_ms, 1e-3):.0f}x "
        f"slower per call from {clock(first)} at a steady load: {felt}.",
        evidence, first, change.users, ctx.affected_requests(first), correlation=rho,
        details={"queryid": top.queryid, "query": shorten(top.query),
                 "mean_ms": top.after_ms, "before_ms": top.before_ms,
                 "slowed_from": first, "table": None, "index_columns": [],
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
    """The statements the engine timed with most time (sampled ones have no calls)."""
    totals = statement_totals(ctx)
    if totals.empty:
        return []
    timed = totals[~totals["sampled"].astype(bool) & (totals.index != "other")]
    return [str(q) for q in timed.index[:CANDIDATES]]


def _windows(ctx: Context, queryid: str) -> pd.DataFrame:
    return pd.DataFrame({column: statement_windows(ctx, queryid, column)
                         for column in ("calls", "total_exec_time_ms")})


def _per_call(sums: pd.DataFrame) -> pd.Series:
    return sums["total_exec_time_ms"] / sums["calls"].where(sums["calls"] > 0)


def _slowed(ctx: Context, queryid: str) -> Slowed | None:
    """The statement's step up in time per call, if it has one that lasts."""
    sums = _windows(ctx, queryid)
    per_call = _per_call(sums)
    low = float(per_call.dropna().quantile(0.2)) if per_call.notna().any() else math.nan
    if math.isnan(low):
        return None
    onset = ctx.onset(per_call, max(SLOWED_RATIO * low, low + SLOWED_MIN_MS))
    if onset is None:
        return None
    before, after = sums[sums.index < onset.ts], sums[sums.index >= onset.ts]
    calls_before, calls_after = float(before["calls"].sum()), float(after["calls"].sum())
    if calls_before < 3 or calls_after < MIN_CALLS:
        return None
    before_ms = float(before["total_exec_time_ms"].sum()) / calls_before
    after_ms = float(after["total_exec_time_ms"].sum()) / calls_after
    if after_ms < SLOWED_RATIO * before_ms or after_ms - before_ms < SLOWED_MIN_MS:
        return None
    locked = lock_wait_share(ctx, queryid, onset.ts)
    own = 1.0 - (0.0 if math.isnan(locked) else locked)
    text = ctx.queries.set_index("queryid")["query"].get(queryid, "") \
        if not ctx.queries.empty else ""
    return Slowed(queryid, str(text), onset.ts, before_ms, after_ms, calls_after,
                  (after_ms - before_ms) * calls_after * own)
