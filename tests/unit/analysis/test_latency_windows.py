from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.latency import ALL, Grouping, time_labels, window_stats
from scenarios.histogram import RELATIVE_ERROR, Histogram


def _requests_from_samples(samples: dict[tuple[int, str], np.ndarray],
                           failures: int = 0) -> pd.DataFrame:
    """Rows as the recorder writes them: one histogram per (second, name)."""
    rows = []
    for (second, name), values in sorted(samples.items()):
        histogram = Histogram()
        for value in values:
            histogram.record(float(value))
        rows.append({"ts": float(second), "name": name, "method": "GET", "count": len(values),
                     "failures": failures, "sum_ms": float(values.sum()),
                     "max_ms": float(values.max()), "hist": histogram.encode()})
    return pd.DataFrame(rows)


def _nearest_rank(values: np.ndarray, q: float) -> float:
    ordered = np.sort(values)
    return float(ordered[math.ceil(round(q * len(ordered), 9)) - 1])


@pytest.mark.parametrize("seed", [3, 4])
def test_merged_percentiles_match_numpy_on_raw_samples(seed: int) -> None:
    rng = np.random.default_rng(seed)
    samples = {(1_000 + s, name): rng.lognormal(3 + (name == "/b"), 0.8, rng.integers(50, 300))
               for s in range(20) for name in ("/a", "/b")}
    requests = _requests_from_samples(samples)
    ts = requests["ts"].to_numpy()
    stats = window_stats(requests, [
        Grouping("5s", time_labels(ts, 5.0), by_name=True, width=5.0),
        Grouping("run", np.full(len(ts), "run", dtype=object), by_name=True,
                 spans={"run": (1000.0, 1020.0)}),
    ])
    run = stats["run"].set_index("name")
    everything = np.concatenate(list(samples.values()))
    for column, q in (("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99)):
        assert run.loc[ALL, column] == pytest.approx(_nearest_rank(everything, q),
                                                     rel=RELATIVE_ERROR)
        only_b = np.concatenate([v for (s, n), v in samples.items() if n == "/b"])
        assert run.loc["GET /b", column] == pytest.approx(_nearest_rank(only_b, q),
                                                          rel=RELATIVE_ERROR)
    window = stats["5s"]
    first = window[(window["label"] == 1000.0) & (window["name"] == ALL)].iloc[0]
    raw = np.concatenate([v for (s, _), v in samples.items() if s < 1005])
    assert first["p95"] == pytest.approx(_nearest_rank(raw, 0.95), rel=RELATIVE_ERROR)
    assert first["count"] == len(raw)
    assert first["rps"] == pytest.approx(len(raw) / 5.0)
    assert first["max_ms"] == pytest.approx(raw.max())
    assert first["mean_ms"] == pytest.approx(raw.mean())


def test_error_rate_and_excluded_rows() -> None:
    rng = np.random.default_rng(1)
    samples = {(s, "/a"): rng.uniform(1, 10, 100) for s in range(10)}
    requests = _requests_from_samples(samples, failures=5)
    labels = np.array(["x"] * 5 + [None] * 5, dtype=object)
    stats = window_stats(requests, [Grouping("p", labels, by_name=False,
                                             spans={"x": (0.0, 5.0)})])["p"]
    assert list(stats["label"]) == ["x"]
    assert stats["count"].iloc[0] == 500
    assert stats["error_rate"].iloc[0] == pytest.approx(0.05)
