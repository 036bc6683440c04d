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
# Corrected for coordinated omission: the responses plus those the users would have
# waited for had they kept their pace (requests.csv hist_missed); NaN when not recorded.
CORRECTED: dict[str, float] = {"p95_co": 0.95, "p99_co": 0.99}
STAT_COLUMNS = ["label", "name", "start", "end", "duration_s", "count", "failures", "rps",
                "error_rate", "mean_ms", *QUANTILES, "max_ms", *CORRECTED]


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
    missed: list[dict[tuple[Hashable, str], Histogram]] = [{} for _ in groupings]
    names = request_keys(requests).to_numpy(dtype=object)
    recorded = "hist_missed" in requests and requests["hist_missed"].notna().all()
    missed_texts = requests["hist_missed"].tolist() if recorded else [""] * len(requests)
    for row, (text, missed_text) in enumerate(zip(requests["hist"].tolist(), missed_texts,
                                                  strict=True)):
        histogram = Histogram.decode(text)
        hidden = Histogram.decode(missed_text) if missed_text else None
        for grouping, into, into_missed in zip(groupings, merged, missed, strict=True):
            label = grouping.labels[row]
            if label is None or (isinstance(label, float) and np.isnan(label)):
                continue
            key = (label, names[row] if grouping.by_name else ALL)
            _merge_into(into, key, histogram)
            if hidden:
                _merge_into(into_missed, key, hidden)
    return {grouping.key: _stats_frame(requests, grouping, into,
                                       into_missed if recorded else None)
            for grouping, into, into_missed in zip(groupings, merged, missed, strict=True)}


def _merge_into(histograms: dict[tuple[Hashable, str], Histogram], key: tuple[Hashable, str],
                histogram: Histogram) -> None:
    merged = histograms.get(key)
    if merged is None:
        histograms[key] = merged = Histogram()
    merged.add(histogram)


def request_keys(requests: pd.DataFrame) -> pd.Series:
    """`METHOD name` per row: GET /sppd and POST /sppd are different requests."""
    return requests["method"].astype(str) + " " + requests["name"].astype(str)


def percentiles(histogram: Histogram) -> dict[str, float]:
    return {column: histogram.quantile(q) for column, q in QUANTILES.items()}


def _stats_frame(requests: pd.DataFrame, grouping: Grouping,
                 histograms: dict[tuple[Hashable, str], Histogram],
                 missed: dict[tuple[Hashable, str], Histogram] | None) -> pd.DataFrame:
    """`missed`: the coordinated-omission histograms, None when the run recorded none."""
    if grouping.by_name:
        histograms = {**histograms, **_all_names(histograms)}
        if missed is not None:
            missed = {**missed, **_all_names(missed)}
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
            **_corrected(histogram, missed, (label, name)),
        })
    frame = pd.DataFrame(rows, columns=STAT_COLUMNS)
    return frame.sort_values(["start", "name"], ignore_index=True)


def _all_names(histograms: dict[tuple[Hashable, str], Histogram]
               ) -> dict[tuple[Hashable, str], Histogram]:
    by_label: dict[Hashable, list[Histogram]] = {}
    for (label, _), histogram in histograms.items():
        by_label.setdefault(label, []).append(histogram)
    return {(label, ALL): merge(parts) for label, parts in by_label.items()}


def _corrected(histogram: Histogram, missed: dict[tuple[Hashable, str], Histogram] | None,
               key: tuple[Hashable, str]) -> dict[str, float]:
    """Percentiles of the responses and the missed ones together; NaN when the run
    recorded no correction (older results, imports)."""
    if missed is None:
        return dict.fromkeys(CORRECTED, np.nan)
    both = merge([histogram, missed.get(key, Histogram())])
    return {column: both.quantile(q) for column, q in CORRECTED.items()}


def _sums(requests: pd.DataFrame,
          grouping: Grouping) -> dict[tuple[Hashable, str], tuple[int, int, float, float]]:
    """Exact count, failures, sum and max per (label, name) and (label, ALL)."""
    frame = requests[["count", "failures", "sum_ms", "max_ms"]].copy()
    frame["name"] = request_keys(requests)
    frame["label"] = pd.Series(grouping.labels, index=requests.index, dtype=object)
    frame = frame[frame["label"].notna()]
    aggregations = {"count": "sum", "failures": "sum", "sum_ms": "sum", "max_ms": "max"}
    out: dict[tuple[Hashable, str], tuple[int, int, float, float]] = {}
    keys = (["label", "name"], "label") if grouping.by_name else ("label",)
    for key in keys:
        table = frame.groupby(key, sort=False).agg(aggregations)
        index = table.index if key != "label" else [(label, ALL) for label in table.index]
        for group, count, failures, sum_ms, max_ms in zip(
                index, table["count"].tolist(), table["failures"].tolist(),
                table["sum_ms"].tolist(), table["max_ms"].tolist(), strict=True):
            out[group] = (int(count), int(failures), float(sum_ms), float(max_ms))
    return out
