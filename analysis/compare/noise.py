"""Is a difference between two runs beyond noise? A bootstrap over seconds.

Why seconds: requests of one second share the target's state (a GC pause, a cache
miss storm), so they are not independent; whole seconds nearly are. Each run's
seconds are resampled with replacement, their merged histograms give the statistic
(a percentile, requests per second, the error rate), and the ratio new/base over
the resamples gives a 95% interval. A difference is beyond noise when the interval
excludes "no change". Seeded, so the same runs always give the same answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scenarios.histogram import Histogram, bucket_value

RESAMPLES = 400
SEED = 20261205
MIN_SECONDS = 5


@dataclass(frozen=True)
class Seconds:
    """One run's requests of one group, per whole second of its span (zeros included)."""

    counts: np.ndarray      # requests per second
    failures: np.ndarray    # failed requests per second
    buckets: np.ndarray     # seconds x histogram buckets: counts
    values: np.ndarray      # the buckets' latencies (ms), ascending

    @classmethod
    def of(cls, rows: pd.DataFrame, start: float, end: float) -> Seconds:
        """`rows`: requests.csv rows (ts, count, failures, hist) inside [start, end)."""
        seconds = np.arange(math.floor(start), math.ceil(end))
        index = {int(second): i for i, second in enumerate(seconds)}
        per_second: list[Histogram] = [Histogram() for _ in seconds]
        counts = np.zeros(len(seconds))
        failures = np.zeros(len(seconds))
        for ts, count, failed, text in zip(rows["ts"], rows["count"], rows["failures"],
                                           rows["hist"], strict=True):
            i = index.get(int(ts))
            if i is None:
                continue
            counts[i] += count
            failures[i] += failed
            per_second[i].add(Histogram.decode(str(text)))
        keys = sorted({key for histogram in per_second for key in histogram})
        column = {key: j for j, key in enumerate(keys)}
        buckets = np.zeros((len(seconds), len(keys)))
        for i, histogram in enumerate(per_second):
            for key, count in histogram.items():
                buckets[i, column[key]] = count
        return cls(counts, failures, buckets, np.array([bucket_value(k) for k in keys]))

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    @property
    def error_rate(self) -> float:
        return float(self.failures.sum() / self.counts.sum()) if self.total else 0.0

    def quantile(self, q: float) -> float:
        """Nearest-rank quantile of the run's merged histogram."""
        return float(self.quantiles(q, np.ones((1, len(self.counts))))[0])

    def quantiles(self, q: float, weights: np.ndarray) -> np.ndarray:
        """The quantile per resample (`weights`: resamples x seconds, how often each
        second was drawn), nearest rank over the merged buckets."""
        merged = weights @ self.buckets
        totals = merged.sum(axis=1)
        ranks = np.maximum(1, np.ceil(q * totals - 1e-9))
        positions = (np.cumsum(merged, axis=1) < ranks[:, None]).sum(axis=1)
        values = self.values[np.minimum(positions, max(0, len(self.values) - 1))] \
            if len(self.values) else np.full(len(totals), np.nan)
        return np.where(totals > 0, values, np.nan)


@dataclass(frozen=True)
class Change:
    """new/base of a statistic, its 95% interval, and whether it is beyond noise."""

    base: float
    new: float
    ratio: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        return not (math.isnan(self.low) or self.low <= 1.0 <= self.high)

    def to_dict(self) -> dict[str, float | bool]:
        return {"base": self.base, "new": self.new, "ratio": self.ratio, "low": self.low,
                "high": self.high, "significant": self.significant}


def _weights(seconds: int, rng: np.random.Generator) -> np.ndarray:
    return rng.multinomial(seconds, np.full(seconds, 1.0 / seconds), size=RESAMPLES)


def compare(base: Seconds, new: Seconds, q: float | None) -> Change:
    """The change of the q-quantile latency (q given) or of requests per second."""
    rng = np.random.default_rng(SEED)
    if q is None:
        base_value, new_value = float(base.counts.mean()), float(new.counts.mean())
    else:
        base_value, new_value = base.quantile(q), new.quantile(q)
    ratio = new_value / base_value if base_value else math.nan
    if min(len(base.counts), len(new.counts)) < MIN_SECONDS or not (base.total and new.total):
        return Change(base_value, new_value, ratio, math.nan, math.nan)
    wb, wn = _weights(len(base.counts), rng), _weights(len(new.counts), rng)
    if q is None:
        boot_base = wb @ base.counts / len(base.counts)
        boot_new = wn @ new.counts / len(new.counts)
    else:
        boot_base, boot_new = base.quantiles(q, wb), new.quantiles(q, wn)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = boot_new / boot_base
    ratios = ratios[np.isfinite(ratios)]
    if len(ratios) < RESAMPLES // 2:
        return Change(base_value, new_value, ratio, math.nan, math.nan)
    low, high = np.percentile(ratios, [2.5, 97.5])
    return Change(base_value, new_value, ratio, float(low), float(high))


def error_points(base: Seconds, new: Seconds) -> tuple[float, float, bool]:
    """Error rates (0-1) of both and whether the difference is beyond noise."""
    base_rate, new_rate = base.error_rate, new.error_rate
    if min(len(base.counts), len(new.counts)) < MIN_SECONDS:
        return base_rate, new_rate, False
    rng = np.random.default_rng(SEED)
    wb, wn = _weights(len(base.counts), rng), _weights(len(new.counts), rng)
    with np.errstate(divide="ignore", invalid="ignore"):
        diffs = ((wn @ new.failures) / (wn @ new.counts)) - ((wb @ base.failures)
                                                             / (wb @ base.counts))
    diffs = diffs[np.isfinite(diffs)]
    if not len(diffs):
        return base_rate, new_rate, False
    low, high = np.percentile(diffs, [2.5, 97.5])
    return base_rate, new_rate, not (low <= 0.0 <= high)
