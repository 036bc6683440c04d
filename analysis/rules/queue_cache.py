"""Queue and cache rules: queue.backlog (jobs arrive faster than workers finish) and
cache.misses (the cache stops absorbing reads, so they reach the database).

Why not latency-driven: a growing queue hurts users minutes later (documents and
exports arrive late) even when every HTTP request stays fast.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.context import Context
from analysis.findings import Finding
from analysis.rules.common import (
    confidence,
    corr_text,
    onset_text,
    pct,
    severity,
    sustained_peak,
)
from analysis.signals import QUEUE_LENGTH, REDIS_HIT_RATIO

QUEUE_LENGTH_LIMIT = 100.0    # the queue SLO
QUEUE_GROWTH_LIMIT = 0.2      # jobs/s of sustained growth over the second half
HIT_RATIO_LIMIT = 0.80        # the cache SLO
HIT_RATIO_FULL = 0.50         # at or below: certainly a cache problem
FLAT_RATIO_STD = 0.03


def queue_backlog(ctx: Context) -> Finding | None:
    best: tuple[float, str, float, float] | None = None
    for name in ctx.labels(QUEUE_LENGTH):
        series = ctx.signal(QUEUE_LENGTH, name, how="sum")
        peak = sustained_peak(series)
        growth = _growth(series)
        score = max(severity(peak, QUEUE_LENGTH_LIMIT * 0.5, QUEUE_LENGTH_LIMIT * 5),
                    severity(growth, QUEUE_GROWTH_LIMIT * 0.5, QUEUE_GROWTH_LIMIT * 10))
        if best is None or score > best[0]:
            best = (score, name, peak, growth)
    if best is None:
        return None
    score, name, peak, growth = best
    if not (peak >= QUEUE_LENGTH_LIMIT or (growth >= QUEUE_GROWTH_LIMIT and peak >= 20)):
        return None
    series = ctx.signal(QUEUE_LENGTH, name, how="sum")
    onset = ctx.onset(series, QUEUE_LENGTH_LIMIT) or ctx.onset(series, 20.0)
    rho = ctx.correlation(series)
    last = float(series.dropna().iloc[-1]) if series.notna().any() else math.nan
    return Finding(
        "queue.backlog", confidence(score, None, None),
        f"Queue {name} backs up: {growth:+.1f} jobs/s, {last:.0f} jobs waiting at the end.",
        [f"queue.length{{{name}}}: {peak:.0f} jobs (30 s sustained peak), {last:.0f} at the end; "
         f"{onset_text(onset)}",
         f"growth over the second half of the run: {growth:+.2f} jobs/s (arrivals exceed what "
         "the workers finish)",
         corr_text(rho)],
        onset.ts if onset else None, onset.users if onset else None, [], correlation=rho,
        details={"queue": name, "peak": peak, "growth": growth, "last": last},
    )


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
    return Finding(
        "cache.misses", confidence(sev, rho, None),
        f"The cache hit ratio was {pct(mean)}: reads that should be cached reach PostgreSQL.",
        [f"redis.hit_ratio: {pct(mean)} mean, lowest 30 s level {pct(floor)} (SLO > 80%); "
         f"{onset_text(onset)}",
         corr_text(rho)],
        onset.ts if onset else None, onset.users if onset else None,
        ctx.affected_requests(onset.ts if onset else None), correlation=rho,
        details={"hit_ratio": mean},
    )


def _growth(series: pd.Series) -> float:
    """Least-squares slope (jobs/s) over the second half of the run."""
    values = series.dropna()
    half = values.iloc[len(values) // 2:]
    if len(half) < 4:
        return 0.0
    x = half.index.to_numpy(dtype=float)
    return float(np.polyfit(x - x[0], half.to_numpy(dtype=float), 1)[0])

