from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from scenarios.plans import (
    PEAK_DAY_HOURS,
    capacity_step,
    constant,
    month_end,
    peak_day,
    plan_from_options,
    spike,
)


def ticks(plan, every: float = 1.0) -> list[tuple[str, int]]:
    out, t = [], 0.0
    while (stage := plan.at(t)) is not None:
        out.append((stage.phase, stage.users))
        t += every
    return out


def test_constant_ramps_then_holds_then_ends() -> None:
    plan = constant(users=20, spawn_rate=10, duration_s=5)
    assert ticks(plan) == [("ramp-up", 20), ("ramp-up", 20), ("steady", 20), ("steady", 20),
                           ("steady", 20)]
    assert plan.at(5.0) is None


def test_capacity_steps_climb_to_the_maximum_and_hold_each_step() -> None:
    plan = capacity_step(max_users=500, step_users=100, step_duration_s=30, spawn_rate=10)
    assert [(s.phase, s.users, s.duration_s) for s in plan.stages] == [
        ("step-01", 100, 30), ("step-02", 200, 30), ("step-03", 300, 30), ("step-04", 400, 30),
        ("step-05", 500, 30)]
    assert plan.duration_s == 150
    # Each step is reached within the first fifth of its hold, whatever the base rate.
    assert all(s.spawn_rate * s.duration_s / 5 >= 100 for s in plan.stages)
    assert capacity_step(250, 100, 10, 5).stages[-1].users == 250


def test_spike_goes_from_baseline_to_all_users_at_once() -> None:
    plan = spike(users=500, duration_s=100)
    assert [(s.phase, s.users) for s in plan.stages] == [
        ("baseline", 50), ("spike", 500), ("recovery", 50)]
    assert plan.stages[1].spawn_rate == 500  # everyone within a second
    assert plan.duration_s == pytest.approx(100)


def test_peak_day_follows_the_hours_with_lecturers_then_superiors_busy() -> None:
    plan = peak_day(peak_users=500, seconds_per_hour=12, spawn_rate=50)
    assert len(plan.stages) == len(PEAK_DAY_HOURS) and plan.duration_s == 120
    by_hour = {s.phase: s for s in plan.stages}
    assert by_hour["09:00"].users == 500 and by_hour["12:00"].users == 150
    assert by_hour["08:00"].activity["dosen"] > by_hour["08:00"].activity["atasan"]
    assert by_hour["14:00"].activity["atasan"] > by_hour["14:00"].activity["dosen"]
    assert plan.at(8 * 12 + 1).phase == "15:00"


def test_month_end_keeps_finance_fully_active() -> None:
    plan = month_end(users=100, seconds_per_hour=5, spawn_rate=10)
    assert all(stage.activity["keuangan"] == 1.0 for stage in plan.stages)
    assert max(stage.users for stage in plan.stages) == 100


def test_plan_from_options_falls_back_to_locust_common_options() -> None:
    options = SimpleNamespace(esppd_shape="constant", esppd_users=0, num_users=7,
                              esppd_spawn_rate=0, spawn_rate=7, esppd_duration=0, run_time=3)
    assert [(s.users, s.duration_s) for s in plan_from_options(options).stages] == [(7, 1.0),
                                                                                    (7, 2.0)]
    with pytest.raises(ValueError, match="unknown --esppd-shape"):
        plan_from_options(SimpleNamespace(esppd_shape="sine"))


def test_plain_locust_without_a_run_time_runs_until_stopped() -> None:
    """`locust -f scenarios/locustfile.py` with the web UI: no -t, no auto-stop."""
    options = SimpleNamespace(esppd_shape="constant", num_users=10, spawn_rate=5, run_time=None)
    plan = plan_from_options(options)
    assert plan.duration_s == math.inf
    assert plan.at(10 * 86400) is not None and plan.at(10 * 86400).users == 10
