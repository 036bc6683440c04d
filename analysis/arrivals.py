"""The open model's arrivals: planned vs achieved visits per phase, dropped, start delay.

An open-model run (the arrival-rate shape) records each arrival as a VISIT row (its
response time: how late the visit started; a failure: dropped, every visitor busy)
and each phase's planned rate in its phase_start event. Whether the target met the
plan is the point of an open model, so the report shows both side by side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from analysis.latency import ALL, Grouping, window_stats
from analysis.timeline import Span, label_rows


@dataclass(frozen=True)
class PhaseArrivals:
    phase: str
    planned_per_s: float
    achieved_per_s: float  # arrivals (started or dropped) per second of the phase
    arrivals: int
    dropped: int
    delay_p95_ms: float  # how late the started visits began (the generator's lag)

    def to_dict(self) -> dict[str, float | int | str]:
        return self.__dict__.copy()


def planned_rates(events: pd.DataFrame) -> pd.Series:
    """Epoch second of each phase start -> its planned visits per second (empty: closed)."""
    if events.empty:
        return pd.Series(dtype="float64")
    starts = events[events["kind"] == "phase_start"]
    rates = {float(row.ts): float(row.data["arrivals_per_s"]) for row in starts.itertuples()
             if isinstance(row.data, dict) and row.data.get("arrivals_per_s")}
    return pd.Series(rates, dtype="float64").sort_index()


def rate_rises(planned: pd.Series, seconds: pd.Index) -> pd.Series:
    """Per second: True where the planned arrival rate rose (the run's first phase
    included): the open model's counterpart of users being added."""
    per_second = planned.reindex(planned.index.union(seconds.astype(float))).ffill()
    rose = per_second.diff().fillna(per_second) > 0
    return rose.reindex(seconds.astype(float), fill_value=False)


def by_phase(visits: pd.DataFrame, phases: list[Span],
             planned: pd.Series) -> list[PhaseArrivals]:
    """Planned and achieved arrivals of each phase that planned some."""
    if planned.empty:
        return []
    ts = visits["ts"].to_numpy(dtype=float)
    spans = {phase.label: (phase.start, phase.end) for phase in phases}
    labels = label_rows(ts, [(label, a, b) for label, (a, b) in spans.items()])
    stats = window_stats(visits, [Grouping("phase", labels, by_name=False, spans=spans)])
    table = stats["phase"].set_index("label") if len(visits) else pd.DataFrame()
    out = []
    for phase in phases:
        rate = planned[(planned.index >= phase.start) & (planned.index < phase.end)]
        if rate.empty:
            continue
        row = table.loc[phase.label] if phase.label in table.index else None
        if isinstance(row, pd.DataFrame):
            row = row[row["name"] == ALL].iloc[0]
        count = int(row["count"]) if row is not None else 0
        dropped = int(row["failures"]) if row is not None else 0
        out.append(PhaseArrivals(
            phase.label, float(rate.iloc[0]), count / phase.duration_s if phase.duration_s else
            math.nan, count, dropped,
            float(row["p95"]) if row is not None and count > dropped else math.nan))
    return out
