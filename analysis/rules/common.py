"""Shared arithmetic of the rules: sustained peaks, severity, confidence, evidence text.

Why shared: every rule must mean the same thing by "sustained", "at the knee" and
"confidence", or ranking findings across rules would compare different scales.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from analysis.context import SUSTAIN_WINDOWS, Context, Onset
from analysis.signals import Signal
from analysis.timefmt import clock

WEIGHTS = {"severity": 0.55, "correlation": 0.25, "knee": 0.20}


def sustained_peak(series: pd.Series) -> float:
    """Highest 30 s median: a level held, not a spike."""
    values = series.dropna()
    if values.empty:
        return math.nan
    if len(values) < SUSTAIN_WINDOWS:
        return float(values.median())
    return float(values.rolling(SUSTAIN_WINDOWS).median().max())


def severity(value: float, threshold: float, full: float) -> float:
    """0 at the threshold, 1 at `full` (linear, clipped); works for falling signals too."""
    if math.isnan(value) or full == threshold:
        return 0.0
    return float(min(1.0, max(0.0, (value - threshold) / (full - threshold))))


# Of the samples since a finding's onset: a client caught at a command (its last one in
# CLIENT LIST) this often runs it in a loop; the app's connections are caught now and then.
CAUGHT_SHARE = 0.25


def caught_client(ctx: Context, caught: Signal, since: float) -> tuple[str, float] | None:
    """The client caught at a command (`caught`: 1 per sample it was) in the most samples
    from `since` on, with that share, when it is at least CAUGHT_SHARE."""
    shares = {label: float(ctx.after(ctx.signal(caught, label).fillna(0.0), since).mean())
              for label in ctx.labels(caught)}
    label = max(shares, key=shares.__getitem__, default=None)
    return (label, shares[label]) if label and shares[label] >= CAUGHT_SHARE else None


def knee_alignment(ctx: Context, onset: Onset | None) -> float | None:
    """1 when the signal saturated at or before the knee, falling when it came later."""
    knee = ctx.capacity.knee
    if knee is None:
        return None
    if onset is None:
        return 0.0
    ratio = onset.users / knee.users if knee.users else math.inf
    if math.isnan(ratio):  # users unknown at the onset: no alignment to weigh
        return None
    return float(max(0.0, min(1.0, 1 - (ratio - 1.2) * 2)))


def confidence(sev: float, correlation: float | None = None,
               alignment: float | None = None) -> float:
    """Weighted mean of the components that apply (absent ones are left out)."""
    parts = {"severity": sev}
    if correlation is not None:
        parts["correlation"] = max(0.0, correlation)
    if alignment is not None:
        parts["knee"] = alignment
    total = sum(WEIGHTS[k] for k in parts)
    return round(sum(WEIGHTS[k] * v for k, v in parts.items()) / total, 3)


def onset_text(onset: Onset | None) -> str:
    if onset is None:
        return "not sustained for 30 s"
    return f"sustained from {clock(onset.ts)} at {onset.users:.0f} users"


def corr_text(correlation: float | None) -> str:
    if correlation is None:
        return "correlation with p95: not computable (too few varying windows)"
    return f"Spearman rho with 5 s p95 = {correlation:+.2f}"


def pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value * 100:.0f}%"


def first_above(series: pd.Series, limit: float, inclusive: bool = False) -> float:
    """The index (a window's time) of the first value over `limit` (or at it, when
    `inclusive`); NaN if none."""
    above = series[series >= limit] if inclusive else series[series > limit]
    return float(above.index[0]) if len(above) else math.nan


MIN_BEFORE_WINDOWS = 2  # 10 s at the same load before a change, out of the ramps
RISE_FLOOR, RISE_FULL = 1.2, 2.0  # severity of a latency rise: users feel a doubling


@dataclass(frozen=True)
class LatencyChange:
    """The requests' latency before and after a moment, at the same load."""

    load: str     # "40 users", or in the open model "12 arrivals/s"
    before: pd.DataFrame  # the 5 s windows (ramps and their warm-up left out)
    after: pd.DataFrame

    @property
    def p95_before(self) -> float:
        return float(self.before["p95"].median())

    @property
    def p95_after(self) -> float:
        return float(self.after["p95"].median())

    @property
    def p95_rise(self) -> float:
        return self.p95_after / self.p95_before if self.p95_before > 0 else 0.0

    @property
    def mean_before(self) -> float:
        return _mean_latency(self.before)

    @property
    def mean_after(self) -> float:
        return _mean_latency(self.after)

    def describe(self) -> str:
        return (f"requests at a steady {self.load}: mean latency "
                f"{self.mean_before:.0f} -> {self.mean_after:.0f} ms, p95 "
                f"{self.p95_before:.0f} -> {self.p95_after:.0f} ms")


def latency_change(ctx: Context, since: float) -> LatencyChange | None:
    """Latency before and after `since` at the load of that moment, so that what changed
    is not the load; None without 10 s of that load before (out of ramps and warm-up:
    cold caches and logins are no baseline) or any after.

    The load is the users in the closed model; in the open model it is the phase's
    planned arrival rate: there the users are visits in flight, which grow as the target
    slows and are never the same from one window to the next."""
    key = "phase" if ctx.open_model else "users"
    level = ctx.value_at(ctx.w5[key], since)
    in_ramp = ctx.ramp.reindex(ctx.w5.index.astype(int), fill_value=False).to_numpy(dtype=bool)
    same_load = ctx.w5[(ctx.w5[key] == level) & (ctx.w5["count"] > 0) & ~in_ramp]
    before, after = same_load[same_load.index < since], same_load[same_load.index >= since]
    if len(before) < MIN_BEFORE_WINDOWS or after.empty:
        return None
    if ctx.open_model:
        planned = {a.phase: a.planned_per_s for a in ctx.arrivals}
        load = f"{planned[level]:.0f} arrivals/s" if level in planned else f"phase {level}"
    else:
        load = f"{level:.0f} users"
    return LatencyChange(load, before, after)


def _mean_latency(windows: pd.DataFrame) -> float:
    count = float(windows["count"].sum())
    return float((windows["mean_ms"] * windows["count"]).sum()) / count if count else math.nan
