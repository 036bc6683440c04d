"""The eSPPD helpers for your own locustfile (`[load] locustfile = "..."`).

The harness adds the recorder, the load shape, distribution, collectors and the
analysis to any Locust `User` classes; these helpers give them what the built-in
scenarios use:

- `next_account(user, role)`: an account of `role` from the campaign's accounts CSV
  (`[target] accounts`; any role names, any login column: email, username, NIP),
  distinct across users and workers;
- `think_time(user, low, high)`: a think time scaled by `[load] think_scale` and by
  the current phase's activity for the user's `role` (the peak-day shape);
- `record_wait(user, what, started, error)`: a user's wait for queued work (a
  document, an export) recorded as a JOB request, reported next to pages but never
  counted as page latency;
- `LaravelBrowser`: session cookie, CSRF as Laravel expects it, 419 retry, for a
  Laravel target; `location_id(response)`: the id at the end of a redirect;
- `next_visit(user)`: call it where a visit starts (on_start) and ends (after
  logout). In the open model (`shape = "arrival-rate"`) it waits for this visitor's
  next arrival and returns True (log in as someone new); in the closed model it
  returns False at once, so one file runs under both;
- `INTERVAL_KEY`: return `{INTERVAL_KEY: ms}` from your User's `context()` (its mean
  think time) and the report adds percentiles corrected for coordinated omission.

Name requests by their path template (`name="/trips/[id]"`) so their number stays
bounded. See docs/scenarios.md and examples/plain_sppd/locustfile.py.
"""

from __future__ import annotations

import random
import time

from locust import User

from scenarios.accounts import Account, AccountPool
from scenarios.aggregate import INTERVAL_KEY, JOB_METHOD
from scenarios.arrivals import next_visit
from scenarios.context import ScenarioContext
from scenarios.laravel import LaravelBrowser, location_id

__all__ = ["INTERVAL_KEY", "JOB_METHOD", "Account", "AccountPool", "LaravelBrowser", "location_id",
           "next_account", "next_visit", "record_wait", "think_time"]


def next_account(user: User, role: str) -> Account:
    """The next account of `role` for this user (LookupError when the CSV has none)."""
    return ScenarioContext.of(user.environment).accounts.next(role)


def think_time(user: User, low: float, high: float) -> float:
    """Seconds to think: uniform in [low, high], times think_scale, divided by the
    current phase's activity for `user.role` (1.0 when the shape sets none)."""
    context = ScenarioContext.of(user.environment)
    role = getattr(user, "role", "")
    activity = getattr(user.environment, "esppd_activity", {}).get(role, 1.0)
    return random.uniform(low, high) * context.think_scale / max(activity, 0.05)


def record_wait(user: User, what: str, started: float, error: Exception | None = None) -> None:
    """Record the wait since `started` (time.perf_counter()) as the JOB `<what> ready`."""
    user.environment.events.request.fire(
        request_type=JOB_METHOD, name=f"{what} ready",
        response_time=(time.perf_counter() - started) * 1000, response_length=0,
        exception=error, context={}, url=None, response=None)
