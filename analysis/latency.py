"""Latency and throughput per window and request name, from merged histograms.

Why one pass: decoding ~50k histogram cells dominates the analysis cost, so each
row is decoded once and merged into every grouping (1 s, 5 s, phase, step) at once.
Percentiles always come from merged histograms (scenarios/histogram.py), never
from averaged percentiles.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scenarios.histogram import Histogram, merge

ALL = "(all)"
QUANTILES: dict[str, float] = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99}
STAT_COLUMNS = ["label", "name", "start", "end", "duration_s", "count", "failures", "rps",
                "error_rate", "mean_ms", *QUANTILES, "max_ms"]


@dataclass(frozen=True)
class Grouping:
    """How to group request rows: one label per row (None = row excluded).

    `spans` gives each label's [start, end) in epoch seconds, used for rps; a time
    window uses `width` instead (label = window start).
    """

    key: str
    labels: np.ndarray
    by_name: bool = True
    width: float | None = None
    spans: Mapping[Any, tuple[float, float]] | None = None  # label -> [start, end)

    def span(self, label: Hashable) -> tuple[float, float]:
        if self.width is not None:
            return float(label), float(label) + self.width  # type: ignore[arg-type]  # a window start
        assert self.spans is not None, "a Grouping needs width or spans"
        return self.spans[label]


def time_labels(ts: pd.Series | np.ndarray, width: float) -> np.ndarray:
    """Window start of each timestamp for fixed windows aligned to multiples of width."""
    return np.floor(np.asarray(ts, dtype=float) / width) * width


def window_stats(requests: pd.DataFrame, groupings: list[Grouping]) -> dict[str, pd.DataFrame]:
    """Stats per (label, name) and per (label, ALL) for every grouping, one decode per row."""
    merged: list[dict[tuple[Hashable, str], Histogram]] = [{} for _ in groupings]
    names = request_keys(requests).to_numpy(dtype=object)
    for row, text in enumerate(requests["hist"].tolist()):
        histogram = Histogram.decode(text)
        for grouping, into in zip(groupings, merged, strict=True):
            label = grouping.labels[row]
            if label is None or (isinstance(label, float) and np.isnan(label)):
                continue
            key = (label, names[row] if grouping.by_name else ALL)
            into.setdefault(key, Histogram()).update(histogram)
    return {grouping.key: _stats_frame(requests, grouping, into)
            for grouping, into in zip(groupings, merged, strict=True)}


def request_keys(requests: pd.DataFrame) -> pd.Series:
    """`METHOD name` per row: GET /sppd and POST /sppd are different requests."""
    return requests["method"].astype(str) + " " + requests["name"].astype(str)


def percentiles(histogram: Histogram) -> dict[str, float]:
    return {column: histogram.quantile(q) for column, q in QUANTILES.items()}


def _stats_frame(requests: pd.DataFrame, grouping: Grouping,
                 histograms: dict[tuple[Hashable, str], Histogram]) -> pd.DataFrame:
    if grouping.by_name:
        by_label: dict[Hashable, list[Histogram]] = {}
        for (label, _), histogram in histograms.items():
            by_label.setdefault(label, []).append(histogram)
        histograms = {**histograms, **{(label, ALL): merge(parts)
                                       for label, parts in by_label.items()}}
    sums = _sums(requests, grouping)
    rows = []
    for (label, name), histogram in histograms.items():
        count, failures, sum_ms, max_ms = sums.get((label, name), (0, 0, 0.0, np.nan))
        start, end = grouping.span(label)
        duration = max(end - start, 1e-9)
        rows.append({
            "label": label, "name": name, "start": start, "end": end, "duration_s": duration,
            "count": count, "failures": failures, "rps": count / duration,
            "error_rate": failures / count if count else np.nan,
            "mean_ms": sum_ms / count if count else np.nan,
            **percentiles(histogram), "max_ms": max_ms,
        })
    frame = pd.DataFrame(rows, columns=STAT_COLUMNS)
    return frame.sort_values(["start", "name"], ignore_index=True)


def _sums(requests: pd.DataFrame,
          grouping: Grouping) -> dict[tuple[Hashable, str], tuple[int, int, float, float]]:
    """Exact count, failures, sum and max per (label, name) and (label, ALL)."""
    frame = requests[["count", "failures", "sum_ms", "max_ms"]].copy()
    frame["name"] = request_keys(requests)
    frame["label"] = pd.Series(grouping.labels, index=requests.index, dtype=object)
    frame = frame[frame["label"].notna()]
    aggregations = {"count": "sum", "failures": "sum", "sum_ms": "sum", "max_ms": "max"}
    out: dict[tuple[Hashable, str], tuple[int, int, float, float]] = {}
    if grouping.by_name:
        for (label, name), row in frame.groupby(["label", "name"], sort=False).agg(
                aggregations).iterrows():
            out[(label, name)] = (int(row["count"]), int(row["failures"]), float(row["sum_ms"]),
                                  float(row["max_ms"]))
    for label, row in frame.groupby("label", sort=False).agg(aggregations).iterrows():
        out[(label, ALL)] = (int(row["count"]), int(row["failures"]), float(row["sum_ms"]),
                             float(row["max_ms"]))
    return out
