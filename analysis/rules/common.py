"""Shared arithmetic of the rules: sustained peaks, severity, confidence, evidence text.

Why shared: every rule must mean the same thing by "sustained", "at the knee" and
"confidence", or ranking findings across rules would compare different scales.
"""

from __future__ import annotations

import math

import pandas as pd

from analysis.context import SUSTAIN_WINDOWS, Context, Onset
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


def knee_alignment(ctx: Context, onset: Onset | None) -> float | None:
    """1 when the signal saturated at or before the knee, falling when it came later."""
    knee = ctx.capacity.knee
    if knee is None:
        return None
    if onset is None:
        return 0.0
    ratio = onset.users / knee.users if knee.users else math.inf
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
