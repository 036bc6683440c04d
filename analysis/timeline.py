"""Phases and load steps from users.csv, and the per-second users timeline.

Why from users.csv: it is written every second by the recorder, so phases and
steps exist even when events.jsonl was lost in a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

MIN_STEP_HOLD_S = 15.0
WARMUP_SHARE = 0.25
MIN_WARMUP_S = 5.0


@dataclass(frozen=True)
class Span:
    """A named interval [start, end) in epoch seconds."""

    label: str
    start: float
    end: float

    @property
    def duration_s(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Step:
    """A hold of constant target users; `steady_start` skips the warm-up after the change."""

    label: str
    target_users: int
    start: float
    steady_start: float
    end: float
    mean_users: float


def users_per_second(users: pd.DataFrame) -> pd.DataFrame:
    """ts -> phase, target_users, users (running users summed over classes)."""
    if users.empty:
        return pd.DataFrame({"phase": pd.Series(dtype="str"),
                             "target_users": pd.Series(dtype="int64"),
                             "users": pd.Series(dtype="int64")},
                            index=pd.Index([], dtype="float64", name="ts"))
    grouped = users.groupby("ts", sort=True)
    return pd.DataFrame({"phase": grouped["phase"].last(),
                         "target_users": grouped["target_users"].max(),
                         "users": grouped["users"].sum()})


def phases(per_second: pd.DataFrame) -> list[Span]:
    """Maximal runs of one phase name; a repeated name gets a `#2` suffix."""
    spans: list[Span] = []
    seen: dict[str, int] = {}
    for name, start, end in _runs(per_second["phase"]):
        seen[name] = seen.get(name, 0) + 1
        label = name if seen[name] == 1 else f"{name}#{seen[name]}"
        spans.append(Span(label, start, end))
    return spans


def steps(per_second: pd.DataFrame, min_hold_s: float = MIN_STEP_HOLD_S) -> list[Step]:
    """Holds of constant target users lasting at least min_hold_s, with their steady part."""
    out: list[Step] = []
    for target, start, end in _runs(per_second["target_users"]):
        if end - start < min_hold_s or int(target) <= 0:
            continue
        steady_start = start + max(MIN_WARMUP_S, WARMUP_SHARE * (end - start))
        steady = per_second.loc[(per_second.index >= steady_start) & (per_second.index < end)]
        out.append(Step(f"{int(target)} users @{int(start)}", int(target), start, steady_start,
                        end, float(steady["users"].mean())))
    return out


def label_rows(ts: pd.Series | np.ndarray, spans: list[tuple[str, float, float]]) -> np.ndarray:
    """Label of the span [start, end) containing each ts, None outside every span."""
    values = np.asarray(ts, dtype=float)
    labels = np.full(len(values), None, dtype=object)
    for label, start, end in spans:
        labels[(values >= start) & (values < end)] = label
    return labels


def _runs(values: pd.Series) -> list[tuple[Any, float, float]]:
    """(value, start, end) of maximal runs of equal values over a per-second index."""
    if values.empty:
        return []
    index = values.index.to_numpy(dtype=float)
    data = values.to_numpy()
    change = np.flatnonzero(data[1:] != data[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(data)]])
    # A run ends where the next starts; the last one ends one second after its last sample.
    return [(data[s], float(index[s]), float(index[e]) if e < len(data) else float(index[-1]) + 1.0)
            for s, e in zip(starts, ends, strict=True)]
