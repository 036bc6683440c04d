"""Open-model arrivals: visits start at a planned rate, whatever the responses do.

A closed-model user sends its next request only after the last response, so a slow
target slows its own load (coordinated omission). In the open model each Locust
user is a *visitor* slot: it waits for an arrival, does one visit (login, a few
pages, logout) and waits again. Per user class and Locust process a Poisson
process of the class's share of the planned rate hands arrivals to idle visitors;
an arrival that finds none idle is dropped and counted (as k6's arrival-rate
executors drop iterations), so too small a pool shows in the results instead of
quietly lowering the load. Each arrival is recorded as a VISIT request: its
response time is how late the visit started, a dropped arrival is its failure.

Every process computes the same schedule from the plan and the master's run start:
each class gets weight x its role's activity of the stage's rate, split evenly over
the workers (`schedules`); each process runs its own independent Poisson process,
and the superposition of independent Poisson processes is Poisson.
"""

from __future__ import annotations

import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import gevent
from gevent.event import AsyncResult, Event
from locust import User
from locust.env import Environment
from locust.exception import StopUser
from locust.user.task import LOCUST_STATE_RUNNING, LOCUST_STATE_STOPPING, LOCUST_STATE_WAITING

from scenarios.aggregate import VISIT_METHOD
from scenarios.plans import Segment, next_arrival, plan_from_options, schedules

VISIT_NAME = "visit arrival"


class VisitDropped(Exception):
    """An arrival that found every visitor of its class busy."""


@dataclass
class ClassArrivals:
    """The Poisson arrivals of one user class in this process, handed to idle visitors."""

    environment: Environment
    class_name: str
    rng: random.Random = field(default_factory=random.Random)
    segments: list[Segment] = field(default_factory=list)
    in_visit: int = 0
    _idle: deque[AsyncResult] = field(default_factory=deque)
    _changed: Event = field(default_factory=Event)
    _loop: gevent.Greenlet | None = None

    def set_schedule(self, segments: list[Segment]) -> None:
        if segments != self.segments:
            self.segments = segments
            self._changed.set()
        if self._loop is None:
            self._loop = gevent.spawn(self._arrive_forever)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.kill(block=False)
            self._loop = None

    def wait_for_arrival(self) -> float:
        """Block until an arrival is handed to this visitor; its planned time (epoch s)."""
        slot = AsyncResult()
        self._idle.append(slot)
        try:
            arrived = slot.get()
        finally:
            if not slot.ready():
                self._idle.remove(slot)  # killed while idle: no arrival is lost on it
        self.in_visit += 1
        return float(arrived)

    def visit_ended(self) -> None:
        self.in_visit = max(0, self.in_visit - 1)

    def _arrive_forever(self) -> None:
        """Arrivals on an absolute schedule, so a late wake-up catches up instead of
        lowering the rate; a new schedule redraws from now (the process is memoryless)."""
        due: float | None = None
        while True:
            if due is None:
                self._changed.clear()
                due = next_arrival(time.time(), self.segments, self.rng)
                if due is None:  # nothing (more) planned: wait for a schedule
                    self._changed.wait()
                    continue
            if self._changed.wait(timeout=max(0.0, due - time.time())):
                due = None
                continue
            self._hand_out(due)
            due = next_arrival(due, self.segments, self.rng)

    def _hand_out(self, due: float) -> None:
        if self._idle:
            self._idle.popleft().set(due)
            return
        self.environment.events.request.fire(
            request_type=VISIT_METHOD, name=VISIT_NAME, response_time=0.0, response_length=0,
            exception=VisitDropped(f"dropped: every {self.class_name} visitor was busy"),
            context={}, url=None, response=None)


@dataclass
class Arrivals:
    """The arrivals of every user class in one Locust process (worker or local)."""

    environment: Environment
    classes: dict[str, ClassArrivals] = field(default_factory=dict)
    _plan: tuple[Any, ...] | None = None

    @classmethod
    def of(cls, environment: Environment) -> Arrivals:
        existing = getattr(environment, "esppd_arrivals", None)
        if existing is None:
            existing = cls(environment)
            environment.esppd_arrivals = existing  # type: ignore[attr-defined]  # ours
            environment.events.test_stop.add_listener(lambda **_kw: existing.stop())
        return existing

    def of_class(self, name: str) -> ClassArrivals:
        if name not in self.classes:
            self.classes[name] = ClassArrivals(self.environment, name)
        return self.classes[name]

    def follow(self, started_at: float, classes: dict[str, tuple[float, str]],
               workers: int) -> None:
        """Arrive by this process's plan from `started_at` (the master's run start),
        the classes' weights and roles, over `workers` processes (broadcast each second;
        a change, such as a lost worker, reschedules)."""
        key = (round(started_at, 3), tuple(sorted(classes.items())), workers)
        if key == self._plan:
            return
        self._plan = key
        plan = plan_from_options(self.environment.parsed_options)
        for name, segments in schedules(plan, started_at, classes, workers).items():
            self.of_class(name).set_schedule(segments)

    def in_visit(self) -> dict[str, int]:
        return {name: arrivals.in_visit for name, arrivals in self.classes.items()}

    def stop(self) -> None:
        for arrivals in self.classes.values():
            arrivals.stop()
        self.classes.clear()
        self._plan = None


def open_model(environment: Environment) -> bool:
    """True when the campaign's shape plans arrivals (the arrival-rate shape)."""
    options = environment.parsed_options
    return getattr(options, "esppd_shape", "") == "arrival-rate" if options else False


def next_visit(user: User) -> bool:
    """Open model: end this visitor's visit (if one runs) and wait, killable as in
    Locust's own wait, for its next arrival; the start delay is recorded as a VISIT
    request. Closed model: return False at once (the user just carries on)."""
    environment = user.environment
    if not open_model(environment):
        return False
    arrivals = Arrivals.of(environment).of_class(type(user).__name__)
    if getattr(user, "_esppd_in_visit", False):
        arrivals.visit_ended()
    user._esppd_in_visit = False  # type: ignore[attr-defined]  # ours, on the user
    # As Locust's own wait(): the user is WAITING (killable at once) while it waits.
    if user._state == LOCUST_STATE_STOPPING:
        raise StopUser()
    user._state = LOCUST_STATE_WAITING
    planned = arrivals.wait_for_arrival()
    if user._state == LOCUST_STATE_STOPPING:
        arrivals.visit_ended()
        raise StopUser()
    user._state = LOCUST_STATE_RUNNING
    user._esppd_in_visit = True  # type: ignore[attr-defined]
    environment.events.request.fire(
        request_type=VISIT_METHOD, name=VISIT_NAME,
        response_time=max(0.0, (time.time() - planned) * 1000), response_length=0,
        exception=None, context={}, url=None, response=None)
    return True
