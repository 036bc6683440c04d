from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import numpy as np
import pytest

from analysis.capacity import Level, UslFit, find_knee, fit_usl, usl
from analysis.context import Context
from analysis.summary import _capacity_line
from analysis.view import clean


@pytest.mark.parametrize(("alpha", "beta", "gamma"), [(0.05, 5e-4, 20.0), (0.02, 1e-4, 3.0),
                                                      (0.1, 2e-5, 50.0)])
def test_usl_fit_recovers_known_parameters_within_5_percent(alpha: float, beta: float,
                                                           gamma: float) -> None:
    rng = np.random.default_rng(7)
    n_star = np.sqrt((1 - alpha) / beta)
    users = np.unique(np.round(np.geomspace(1, 3 * n_star, 14)))
    throughput = usl(users, alpha, beta, gamma) * (1 + rng.normal(0, 0.002, len(users)))
    fit = fit_usl(users, throughput)
    assert isinstance(fit, UslFit)
    assert fit.alpha == pytest.approx(alpha, rel=0.05)
    assert fit.beta == pytest.approx(beta, rel=0.05)
    assert fit.gamma == pytest.approx(gamma, rel=0.05)
    assert fit.n_star == pytest.approx(n_star, rel=0.05)
    assert fit.r_squared > 0.99
    assert fit.predicted_x_at_500 == pytest.approx(usl(500, alpha, beta, gamma), rel=0.05)


def test_a_peak_far_beyond_the_measured_load_is_flagged_as_extrapolated() -> None:
    users = np.array([25, 50, 75, 100, 125, 150.0])
    measured_past_peak = fit_usl(users, usl(users, 0.05, 5e-4, 2.0))   # N* ~ 44
    nearly_linear = fit_usl(users, usl(users, 0.02, 1e-8, 2.0))        # N* ~ 9900
    assert isinstance(measured_past_peak, UslFit) and not measured_past_peak.extrapolated
    assert isinstance(nearly_linear, UslFit) and nearly_linear.extrapolated
    # ... and then its N*/X_max are not printed as a capacity.
    line = _capacity_line({"knee": None, "usl": clean(asdict(nearly_linear)),
                           "usl_note": None})
    assert "X_max=" not in line and "no ceiling within the measured range" in line
    measured = _capacity_line({"knee": None, "usl": clean(asdict(measured_past_peak)),
                               "usl_note": None})
    assert "X_max=" in measured


def test_usl_refuses_fewer_than_six_levels() -> None:
    note = fit_usl(np.array([10, 20, 30, 40, 50.0]), np.array([10, 19, 27, 33, 36.0]))
    assert isinstance(note, str) and "5 distinct load level(s)" in note


def _levels(users: list[float], throughput: list[float], p95: list[float]) -> list[Level]:
    return [Level(f"{u}", u, x, r, r, 100.0 * i, 100.0 * i + 60)
            for i, (u, x, r) in enumerate(zip(users, throughput, p95, strict=True))]


def test_knee_where_throughput_stops_following_users_and_latency_rises() -> None:
    users = [50, 100, 150, 200, 250, 300]
    knee = find_knee(_levels(users, [33, 66, 98, 110, 112, 111], [100, 100, 110, 400, 800, 1300]))
    assert knee is not None and knee.users == 200 and knee.previous_users == 150


def test_no_knee_on_linear_scaling_or_without_latency_rise() -> None:
    users = [50, 100, 150, 200, 250, 300]
    assert find_knee(_levels(users, [33, 66, 99, 132, 165, 198], [100] * 6)) is None
    # throughput flat but latency flat too (an open-model artefact): not a knee
    assert find_knee(_levels(users, [33, 66, 70, 71, 70, 71], [100] * 6)) is None


def test_capacity_of_a_synthetic_step_campaign(context_of: Callable[[str], Context]) -> None:
    capacity = context_of("db.query").capacity
    assert len(capacity.levels) == 8 and "steady state" in capacity.level_source
    assert capacity.knee is not None
    assert 200 <= capacity.knee.users <= 380      # the model's knee is at 250 users
    assert isinstance(capacity.usl, UslFit) and capacity.usl.r_squared > 0.9
    assert context_of("baseline").capacity.knee is None
