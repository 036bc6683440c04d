from __future__ import annotations

import itertools
import math
import random
import statistics
from types import SimpleNamespace

import pytest
from scipy import stats

from scenarios.plans import (
    PEAK_DAY_HOURS,
    Segment,
    arrival_rate,
    capacity_step,
    class_shares,
    constant,
    month_end,
    next_arrival,
    peak_day,
    plan_from_options,
    schedules,
    spike,
    visitor_weights,
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


def test_arrival_rate_plans_visits_per_hour_with_a_fixed_visitor_pool() -> None:
    options = SimpleNamespace(esppd_shape="arrival-rate", esppd_arrival_rate=6.0,
                              esppd_users=300, esppd_seconds_per_hour=10)
    plan = plan_from_options(options)
    assert [(s.phase, s.arrivals_per_s) for s in plan.stages] == [
        (f"{hour:02d}:00", 6.0 * share) for hour, share, _ in PEAK_DAY_HOURS]
    assert {s.users for s in plan.stages} == {300}  # the most visits in flight, throughout
    assert ticks(plan, every=10) == [(f"{hour:02d}:00", 300) for hour, _, _ in PEAK_DAY_HOURS]
    assert plan.at(100) is None
    assert all(s.arrivals_per_s == 0 for s in peak_day(500, 10, 50).stages)  # closed model


def test_arrivals_split_by_weight_and_the_stage_activity_of_each_role() -> None:
    plan = arrival_rate(peak_per_s=10.0, visitors=100, seconds_per_hour=5)
    classes = {"Dosen": (85.0, "dosen"), "Atasan": (10.0, "atasan"), "Custom": (5.0, "")}
    per_class = schedules(plan, started_at=1000.0, classes=classes, workers=2)
    nine, two = (plan.stages.index(next(s for s in plan.stages if s.phase == hour))
                 for hour in ("09:00", "14:00"))
    # each stage's rate is split over classes and workers, nothing lost or added
    for index, stage in enumerate(plan.stages):
        total = sum(segments[index].rate_per_s for segments in per_class.values()) * 2
        assert total == pytest.approx(stage.arrivals_per_s)
        # the first arrival waits for the pool: 100 visitors at 100/s, and a second to settle
        assert per_class["Dosen"][index].start == 1000.0 + (2.0 if index == 0 else 5 * index)
    # superiors' share rises in the afternoon (activity), lecturers' in the morning
    share = {name: [seg.rate_per_s / plan.stages[i].arrivals_per_s * 2
                    for i, seg in enumerate(segments)] for name, segments in per_class.items()}
    assert share["Atasan"][two] > 2 * share["Atasan"][nine]
    assert share["Dosen"][nine] > share["Dosen"][two]
    assert class_shares({"A": (1.0, "x")}, {"x": 0.0}) == {"A": 0.0}


def test_next_arrival_is_a_poisson_process_over_piecewise_rates() -> None:
    """Time rescaling: counts per segment have the mean (and the variance) of rate x
    time, and the gaps at a constant rate are exponential (Kolmogorov-Smirnov)."""
    segments = [Segment(0.0, 100.0, 5.0), Segment(100.0, 150.0, 0.0),
                Segment(150.0, 200.0, 40.0)]
    rng = random.Random(20261205)
    counts = {0: [], 1: [], 2: []}
    gaps: list[float] = []
    for _ in range(200):
        times, at = [], 0.0
        while (at := next_arrival(at, segments, rng)) is not None:
            times.append(at)
        for index, segment in enumerate(segments):
            counts[index].append(sum(segment.start <= t < segment.end for t in times))
        first = [t for t in times if t < 100.0]
        gaps += [b - a for a, b in itertools.pairwise(first)]
    for index, segment in enumerate(segments):
        expected = segment.rate_per_s * (segment.end - segment.start)
        mean = statistics.fmean(counts[index])
        assert abs(mean - expected) <= 4 * math.sqrt(expected / 200) + 1e-9
        if expected:
            assert statistics.variance(counts[index]) == pytest.approx(expected, rel=0.3)
    assert stats.kstest(gaps, "expon", args=(0, 1 / 5.0)).pvalue > 0.001
    assert next_arrival(200.0, segments, rng) is None  # the plan is over


def test_the_visitor_pool_follows_each_class_s_busiest_share_of_arrivals() -> None:
    classes = {"Dosen": (85.0, "dosen"), "Atasan": (10.0, "atasan"), "Keuangan": (5.0, "keuangan")}
    plan = arrival_rate(peak_per_s=5.0, visitors=600, seconds_per_hour=10)
    weights = visitor_weights(classes, plan)
    pool = {name: weight / sum(weights.values()) for name, weight in weights.items()}
    busiest = {name: max(class_shares(classes, stage.activity)[name] for stage in plan.stages)
               for name in classes}
    assert busiest["Atasan"] > 0.25  # a quarter of the visits at 13-15, 10% of the weight
    for name in classes:  # every class has at least ~3/4 of its busiest share of the pool
        assert pool[name] >= 0.75 * busiest[name], (name, pool, busiest)
