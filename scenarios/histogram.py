"""Mergeable latency histogram with bounded relative error (DDSketch-style buckets).

Why: percentiles of a window must come from merged histograms, never from
averaged percentiles. Logarithmic buckets give <= RELATIVE_ERROR relative error
for every quantile, merge by adding counts, and stay small (about 230 buckets
per decade-spanning second at most). Stdlib only: this module runs on bare
Locust workers and is also the decoder the analysis uses.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

RELATIVE_ERROR = 0.01
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(GAMMA)
MIN_MS = 0.001


def bucket_of(latency_ms: float) -> int:
    """Bucket key of one latency in milliseconds."""
    return math.ceil(math.log(max(latency_ms, MIN_MS)) / _LOG_GAMMA)


def bucket_value(key: int) -> float:
    """Representative latency (ms) of a bucket: within RELATIVE_ERROR of all its values."""
    return 2 * GAMMA**key / (GAMMA + 1)


class Histogram(Counter[int]):
    """bucket key -> count; `+`/`update` merge histograms."""

    def record(self, latency_ms: float, count: int = 1) -> None:
        self[bucket_of(latency_ms)] += count

    def total(self) -> int:
        return sum(self.values())

    def quantile(self, q: float) -> float:
        """Latency (ms) at quantile q in [0, 1] (nearest-rank over buckets); nan when empty."""
        total = self.total()
        if total == 0:
            return math.nan
        rank = max(1, math.ceil(q * total - 1e-9))  # 0.999 * 25000 must be 24975, not 24976
        seen = 0
        for key in sorted(self):
            seen += self[key]
            if seen >= rank:
                return bucket_value(key)
        return bucket_value(max(self))

    def encode(self) -> str:
        """Compact text form for CSV cells: `key:count;key:count` in key order."""
        return ";".join(f"{key}:{self[key]}" for key in sorted(self) if self[key])

    def add(self, other: Histogram) -> None:
        """Merge `other` into this one: Counter.update's result, without its per-call
        type checks (the analysis merges millions of small histograms)."""
        get = self.get
        for key, count in other.items():
            self[key] = get(key, 0) + count

    @classmethod
    def decode(cls, text: str) -> Histogram:
        histogram = cls()
        if not text:
            return histogram
        get = histogram.get
        for pair in text.split(";"):
            key, _, count = pair.partition(":")
            bucket = int(key)
            histogram[bucket] = get(bucket, 0) + int(count)
        return histogram


def merge(histograms: Iterable[Histogram]) -> Histogram:
    merged = Histogram()
    for histogram in histograms:
        merged.add(histogram)
    return merged
