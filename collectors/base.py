"""The one Collector protocol, its output rows, and counter-rate bookkeeping.

A collector is prepared once (connect, check), then sampled on every tick; a
sample returns rows for the results files. Counters become rates in one place
(Rates): the first sample of a counter, a counter that went backwards (a reset
or a restart) and a device that appears mid-run all yield no rate, never a
spike.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

# The server refused a connection because it had no slot left (PostgreSQL, MySQL/MariaDB).
SERVER_FULL = r"too many clients|remaining connection slots|too many connections"


def full_server_is_no_problem(target: str, error: str, slot_advice: str) -> bool:
    """Pre-flight: a database refusing connections because every slot is taken is what
    a campaign comes to measure, not a setup problem. Say so (the collector retries; the
    analysis counts the refusals as db.connections evidence) and let the run start; True
    when `error` was that refusal."""
    if not re.search(SERVER_FULL, error, re.I):
        return False
    log.warning(f"{target}: every connection slot is taken ({error}); starting anyway: the "
                f"collector keeps retrying and the analysis counts the refusals. So that "
                f"monitoring always gets in, {slot_advice}")
    return True


@dataclass
class Sample:
    """Rows of one sample, per results file."""

    metrics: list[tuple[str, float]] = field(default_factory=list)  # (metric, value)
    statements: list[list[object]] = field(default_factory=list)
    queries: list[list[object]] = field(default_factory=list)
    tables: list[list[object]] = field(default_factory=list)
    blockers: list[list[object]] = field(default_factory=list)  # sessions others wait for
    processes: list[list[object]] = field(default_factory=list)  # top CPU, memory, I/O users
    sessions: list[list[object]] = field(default_factory=list)  # DB connections by holder

    def add(self, metric: str, value: float | None) -> None:
        if value is not None:
            self.metrics.append((metric, float(value)))

    def add_per_label(self, metric: str, counts: Mapping[Any, float], seen: set[Any],
                      limit: int) -> None:
        """`metric{label}` for each label counted now and each seen before (0 when absent
        now), so a window's mean is right; at most `limit` labels are remembered."""
        seen.update(list(counts)[:limit - len(seen)])
        for label in sorted(seen | set(counts)):
            self.add(f"{metric}{{{label}}}", counts.get(label, 0))


TOP_HOLDERS = 10  # connection holder groups per sample


def round_trip_ms(call: Callable[[], object]) -> float:
    """Milliseconds one trivial request takes (Redis PING, SQL SELECT 1): what each of the
    app's calls pays at least, so a stalled server shows even when nothing else moves."""
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def holders(counts: Iterable[tuple[tuple[str, str, str, str], int]]) -> list[list[object]]:
    """sessions.csv rows: connections summed by (application, client, user, state), the
    largest groups first, at most TOP_HOLDERS of them."""
    summed: dict[tuple[str, str, str, str], int] = {}
    for key, count in counts:
        summed[key] = summed.get(key, 0) + count
    top = sorted(summed.items(), key=lambda item: -item[1])[:TOP_HOLDERS]
    return [[*key, count] for key, count in top]


class Collector(Protocol):
    @property
    def name(self) -> str:
        """What kind of collector: host, postgres, mysql, redis, app_status, ..."""
        ...

    @property
    def target(self) -> str:
        """What it watches (host name, "postgres", ...), secrets-free."""
        ...

    def check(self) -> list[str]:
        """Pre-flight: one actionable line per problem (empty: ready)."""
        ...

    def sample(self, ts: float) -> Sample:
        """One sample; raise on a lost connection (the sampler reconnects)."""
        ...

    def close(self) -> None: ...


@dataclass
class Rates:
    """Per-second rates of monotonic counters."""

    _last: dict[str, tuple[float, float]] = field(default_factory=dict)

    def rate(self, key: str, value: float, ts: float) -> float | None:
        previous = self._last.get(key)
        self._last[key] = (value, ts)
        if previous is None or value < previous[0] or ts <= previous[1]:
            return None
        return (value - previous[0]) / (ts - previous[1])

    def delta(self, key: str, value: float) -> float | None:
        """Plain difference since the last sample (None on first sample or reset)."""
        previous = self._last.get(key)
        self._last[key] = (value, previous[1] + 1 if previous else 0.0)
        if previous is None or value < previous[0]:
            return None
        return value - previous[0]
