"""Load plans of the eSPPD peak pattern: stages of users, phases and role activity.

A plan is a list of stages; each holds a user count for a time, names its
phase, and says how active each role is. Users per class follow the
population mix (the class weights); the per-hour pattern (lecturers busy
08-10, superiors 13-15, finance at month end) is carried by each role's
activity, which scales its think time. Why: Locust's dispatcher does not
rebalance user classes mid-run, while activity changes the request mix at
once and keeps sessions logged in, as real users stay logged in all day.
Pure (no Locust import), so the runner and unit tests use it without gevent.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

ROLES = ("dosen", "atasan", "keuangan")
NORMAL = {"dosen": 0.5, "atasan": 0.5, "keuangan": 0.5}


@dataclass(frozen=True)
class Stage:
    phase: str
    duration_s: float
    users: int
    spawn_rate: float
    activity: dict[str, float] = field(default_factory=lambda: dict(NORMAL))
    # Open model: visits started per second (all classes, all workers); users is then
    # the most visits in flight at once (the visitor pool). 0: closed model.
    arrivals_per_s: float = 0.0


@dataclass(frozen=True)
class Plan:
    stages: tuple[Stage, ...]

    @property
    def duration_s(self) -> float:
        return sum(stage.duration_s for stage in self.stages)

    def at(self, elapsed_s: float) -> Stage | None:
        """The stage running `elapsed_s` seconds after the start (None: the plan is over)."""
        end = 0.0
        for stage in self.stages:
            end += stage.duration_s
            if elapsed_s < end:
                return stage
        return None


def constant(users: int, spawn_rate: float, duration_s: float) -> Plan:
    ramp = min(duration_s, users / spawn_rate)
    stages = [Stage("ramp-up", ramp, users, spawn_rate)] if ramp > 0 else []
    if duration_s > ramp:
        stages.append(Stage("steady", duration_s - ramp, users, spawn_rate))
    return Plan(tuple(stages))


def capacity_step(max_users: int, step_users: int, step_duration_s: float,
                  spawn_rate: float) -> Plan:
    """Steps of step_users up to max_users, each held long enough for a steady state."""
    steps = math.ceil(max_users / step_users)
    return Plan(tuple(
        Stage(f"step-{index:02d}", step_duration_s, min(index * step_users, max_users),
              max(spawn_rate, step_users / max(1.0, step_duration_s / 5)))
        for index in range(1, steps + 1)))


def spike(users: int, duration_s: float) -> Plan:
    """Quiet baseline, then 0 -> users at once, then back to the baseline to see recovery."""
    base = max(1, users // 10)
    return Plan((
        Stage("baseline", duration_s * 0.2, base, base),
        Stage("spike", duration_s * 0.6, users, float(users)),
        Stage("recovery", duration_s * 0.2, base, float(users)),
    ))


# Share of the peak concurrency logged in per hour of a working day, and who is busy.
PEAK_DAY_HOURS: tuple[tuple[int, float, dict[str, float]], ...] = (
    (7, 0.20, {"dosen": 0.4, "atasan": 0.2, "keuangan": 0.3}),
    (8, 0.90, {"dosen": 1.0, "atasan": 0.3, "keuangan": 0.4}),
    (9, 1.00, {"dosen": 1.0, "atasan": 0.3, "keuangan": 0.5}),
    (10, 0.70, {"dosen": 0.6, "atasan": 0.4, "keuangan": 0.5}),
    (11, 0.50, {"dosen": 0.4, "atasan": 0.4, "keuangan": 0.5}),
    (12, 0.30, {"dosen": 0.2, "atasan": 0.2, "keuangan": 0.2}),
    (13, 0.80, {"dosen": 0.3, "atasan": 1.0, "keuangan": 0.5}),
    (14, 0.90, {"dosen": 0.3, "atasan": 1.0, "keuangan": 0.5}),
    (15, 0.50, {"dosen": 0.3, "atasan": 0.6, "keuangan": 0.4}),
    (16, 0.30, {"dosen": 0.3, "atasan": 0.3, "keuangan": 0.3}),
)


def peak_day(peak_users: int, seconds_per_hour: float, spawn_rate: float) -> Plan:
    """A working day 07:00-17:00 compressed to `seconds_per_hour` wall seconds an hour."""
    return Plan(tuple(
        Stage(f"{hour:02d}:00", seconds_per_hour, max(1, round(peak_users * share)), spawn_rate,
              dict(activity))
        for hour, share, activity in PEAK_DAY_HOURS))


def arrival_rate(peak_per_s: float, visitors: int, seconds_per_hour: float) -> Plan:
    """The working day of `peak_day` as an open model: visits started per second follow
    the hourly profile (peak_per_s at 09:00), at most `visitors` of them in flight."""
    spawn = max(1.0, min(float(visitors), 100.0))  # idle visitors: cheap, there from the start
    return Plan(tuple(
        Stage(f"{hour:02d}:00", seconds_per_hour, visitors, spawn, dict(activity),
              arrivals_per_s=peak_per_s * share)
        for hour, share, activity in PEAK_DAY_HOURS))


MONTH_END_HOURS: tuple[tuple[int, float, dict[str, float]], ...] = (
    (8, 0.6, {"dosen": 0.6, "atasan": 0.3, "keuangan": 1.0}),
    (10, 1.0, {"dosen": 0.8, "atasan": 0.4, "keuangan": 1.0}),
    (13, 0.9, {"dosen": 0.7, "atasan": 0.6, "keuangan": 1.0}),
    (15, 0.7, {"dosen": 0.5, "atasan": 0.4, "keuangan": 1.0}),
)


def month_end(users: int, seconds_per_hour: float, spawn_rate: float) -> Plan:
    """The last working day: finance recaps and exports all day, lecturers file reports."""
    return Plan(tuple(
        Stage(f"month-end {hour:02d}:00", seconds_per_hour * 2, max(1, round(users * share)),
              spawn_rate, dict(activity))
        for hour, share, activity in MONTH_END_HOURS))


POOL_SETTLE_S = 1.0  # after spawning, for the visitors to reach their first wait


@dataclass(frozen=True)
class Segment:
    """A span of the plan with a constant arrival rate (epoch seconds, visits/s)."""

    start: float
    end: float
    rate_per_s: float


def class_shares(classes: dict[str, tuple[float, str]],
                 activity: dict[str, float]) -> dict[str, float]:
    """Each class's share of the arrivals: weight x the activity of its role (1.0 for a
    class without a role in the stage), normalised. `classes`: name -> (weight, role)."""
    raw = {name: max(0.0, weight) * max(0.0, activity.get(role, 1.0))
           for name, (weight, role) in classes.items()}
    whole = sum(raw.values())
    return {name: value / whole if whole > 0 else 0.0 for name, value in raw.items()}


def visitor_weights(classes: dict[str, tuple[float, str]], plan: Plan) -> dict[str, float]:
    """How to split the visitor pool over classes: by each class's highest share of the
    arrivals over the plan, not its weight (superiors are 10% of the users but a quarter
    of the visits at 13-15, and their visitors must be there then)."""
    peaks = dict.fromkeys(classes, 0.0)
    for stage in plan.stages:
        if stage.arrivals_per_s > 0:
            for name, share in class_shares(classes, stage.activity).items():
                peaks[name] = max(peaks[name], share)
    return {name: peak or 1e-6 for name, peak in peaks.items()}


def schedules(plan: Plan, started_at: float, classes: dict[str, tuple[float, str]],
              workers: int) -> dict[str, list[Segment]]:
    """The arrival rate of each class on one of `workers` processes over the plan,
    as epoch segments: every process computes it from the same plan and start, so
    rates change exactly at the stage boundaries on all of them."""
    out: dict[str, list[Segment]] = {name: [] for name in classes}
    at = started_at
    # No arrival before the visitor pool has spawned (as k6 allocates its VUs first): an
    # arrival in the first second would find no visitor of its class and be dropped.
    ready = started_at + (plan.stages[0].users / plan.stages[0].spawn_rate + POOL_SETTLE_S
                          if plan.stages else 0.0)
    for stage in plan.stages:
        shares = class_shares(classes, stage.activity)
        for name in classes:
            rate = stage.arrivals_per_s * shares[name] / max(1, workers)
            start = min(max(at, ready), at + stage.duration_s)
            out[name].append(Segment(start, at + stage.duration_s, rate))
        at += stage.duration_s
    return out


def next_arrival(after: float, segments: list[Segment], rng: random.Random) -> float | None:
    """The next arrival after `after` of the Poisson process with these piecewise-constant
    rates (time rescaling: an Exp(1) amount of rate x time); None when the plan ends first."""
    need = rng.expovariate(1.0)
    for segment in segments:
        if segment.end <= after or segment.rate_per_s <= 0:
            continue
        start = max(after, segment.start)
        available = segment.rate_per_s * (segment.end - start)
        if available >= need:
            return start + need / segment.rate_per_s
        need -= available
    return None


def plan_from_options(options: object) -> Plan:
    """Build the plan named by --esppd-shape from Locust's parsed options."""
    shape = getattr(options, "esppd_shape", "constant")
    users = int(getattr(options, "esppd_users", 0) or getattr(options, "num_users", 0) or 1)
    rate = float(getattr(options, "esppd_spawn_rate", 0) or getattr(options, "spawn_rate", 0)
                 or max(1.0, users / 10))
    asked = float(getattr(options, "esppd_duration", 0) or getattr(options, "run_time", 0) or 0)
    per_hour = float(getattr(options, "esppd_seconds_per_hour", 10) or 10)
    if shape == "constant":
        # As plain Locust: without -t the users run until stopped (the web UI's button).
        return constant(users, rate, asked or math.inf)
    duration = asked or 60
    if shape == "capacity-step":
        step = int(getattr(options, "esppd_step_users", 0) or max(1, users // 10))
        hold = float(getattr(options, "esppd_step_duration", 0) or 30)
        return capacity_step(users, step, hold, rate)
    if shape == "spike":
        return spike(users, duration)
    if shape == "peak-day":
        return peak_day(users, per_hour, rate)
    if shape == "arrival-rate":
        peak_rate = float(getattr(options, "esppd_arrival_rate", 0) or 1.0)
        return arrival_rate(peak_rate, users, per_hour)
    if shape == "month-end":
        return month_end(users, per_hour, rate)
    raise ValueError(f"unknown --esppd-shape {shape!r}")
