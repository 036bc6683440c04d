from __future__ import annotations

import math

import numpy as np
import pytest

from scenarios.histogram import RELATIVE_ERROR, Histogram, merge


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quantiles_of_merged_histograms_match_numpy_within_the_relative_error(seed: int) -> None:
    rng = np.random.default_rng(seed)
    samples = np.concatenate([rng.lognormal(3, 1, 20000), rng.uniform(0.2, 5, 5000)])
    parts = np.array_split(rng.permutation(samples), 7)
    histograms = []
    for part in parts:
        histogram = Histogram()
        for value in part:
            histogram.record(float(value))
        histograms.append(Histogram.decode(histogram.encode()))  # through the CSV form
    merged = merge(histograms)
    assert merged.total() == len(samples)
    ordered = np.sort(samples)
    for q in (0.5, 0.9, 0.95, 0.99, 0.999):
        # Nearest rank, computed exactly (numpy's float q*n can round 24975 up to 24976).
        exact = float(ordered[math.ceil(round(q * len(samples), 9)) - 1])
        assert merged.quantile(q) == pytest.approx(exact, rel=RELATIVE_ERROR)


def test_empty_histogram_and_zero_latency() -> None:
    assert np.isnan(Histogram().quantile(0.5))
    histogram = Histogram()
    histogram.record(0.0)
    assert histogram.quantile(1.0) < 0.01
    assert Histogram.decode("") == Histogram()
