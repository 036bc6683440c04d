"""A running campaign's results directory as Prometheus metrics.

Why from the results files: they are the contract every producer writes as it
goes (the recorder on the Locust master, the collectors in their own process),
so following them adds no hook to either and exposes exactly the numbers the
report will read: request counts and the merged latency histograms per request,
users per class, the phase, and every collector metric. Each scrape reads only
what was appended since the previous one.

Latency is exposed twice: as a Prometheus histogram (cumulative, so
`histogram_quantile` over any range works, within the error of its buckets) and
as exact quantiles of the last complete seconds from the merged histograms
(what the progress line shows).
"""

from __future__ import annotations

import csv
import json
import math
import re
import threading
import time
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from collectors.metrics import METRICS, base_name, label_name
from scenarios.aggregate import HOLD_S_DISTRIBUTED, NOT_PAGES, Cell
from scenarios.histogram import Histogram, bucket_value

PREFIX = "esppd_"
# Upper bounds (s) of the exported histogram: finer where web latencies live.
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75,
                     1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 30.0, 60.0)
QUANTILES = (0.5, 0.95, 0.99)
FRESH_S = 30.0  # a collector value older than this is absent, not frozen at its last reading


class AppendedRows:
    """The whole lines appended to a file since the last call (its first line, the
    header, skipped); a line still being written waits for the next call."""

    def __init__(self, path: Path, header: bool = True) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""
        self._skip_header = header

    def lines(self) -> list[str]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        self._offset += len(data)
        complete, newline, self._partial = (self._partial + data).rpartition(b"\n")
        if not newline:
            return []
        lines = complete.decode("utf-8", errors="replace").split("\n")
        if self._skip_header:
            self._skip_header = False
            lines = lines[1:]
        return lines

    def rows(self) -> list[list[str]]:
        return list(csv.reader(self.lines()))


@dataclass
class RequestSeries:
    """Requests of one name and method (or every page), cumulative since the start, and
    their recent seconds for the window quantiles."""

    count: int = 0
    failures: int = 0
    sum_ms: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_S) + 1))
    recent: dict[int, Cell] = field(default_factory=dict)

    def add(self, second: int, cell: Cell) -> None:
        self.count += cell.count
        self.failures += cell.failures
        self.sum_ms += cell.sum_ms
        for key, count in cell.histogram.items():
            # by the value the report reads for this bucket, so both land on the same side
            self.buckets[bisect_left(LATENCY_BUCKETS_S, bucket_value(key) / 1000)] += count
        self.recent.setdefault(second, Cell()).merge(cell)

    def window(self, since_second: int, until_second: int) -> Cell:
        """The seconds in [since, until) merged; older ones forgotten."""
        for second in [s for s in self.recent if s < since_second]:
            del self.recent[second]
        merged = Cell()
        for second, cell in self.recent.items():
            if second < until_second:
                merged.merge(cell)
        return merged


@dataclass
class ResultsState:
    """What the results files said so far."""

    requests: dict[tuple[str, str], RequestSeries] = field(default_factory=dict)
    pages: RequestSeries = field(default_factory=RequestSeries)  # JOB waits apart
    users: dict[str, int] = field(default_factory=dict)
    users_second: int = -1
    target_users: int = 0
    phase: str = ""
    load_running: bool = False
    workers_lost: int = 0
    metrics: dict[tuple[str, str, str], tuple[float, float]] = field(default_factory=dict)


class ResultsCollector(Collector):
    """prometheus_client collector over one results directory (read on each scrape)."""

    def __init__(self, results_dir: Path, window_s: int = 10) -> None:
        self.window_s = window_s
        self.state = ResultsState()
        self._requests = AppendedRows(results_dir / "requests.csv")
        self._users = AppendedRows(results_dir / "users.csv")
        self._metrics = AppendedRows(results_dir / "metrics.csv")
        self._events = AppendedRows(results_dir / "events.jsonl", header=False)
        self._lock = threading.Lock()  # one scrape reads the files at a time

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            now = time.time()
            self._follow()
            # seconds before this are written whether the workers are local or remote
            yield from self._request_families(int(now) - HOLD_S_DISTRIBUTED)
            yield from self._load_families()
            yield from self._collector_families(now)

    # --- reading ------------------------------------------------------------------------
    def _follow(self) -> None:
        """Take in every whole row appended since the last scrape; a malformed row is
        skipped (the analysis reports it), never an error page for the scraper."""
        state = self.state
        for row in self._requests.rows():
            try:
                second, name, method, count, failures, sum_ms, max_ms, buckets = row[:8]
                cell = Cell(int(count), int(failures), float(sum_ms), float(max_ms),
                            Histogram.decode(buckets))
                at = int(float(second))
            except ValueError:
                continue
            state.requests.setdefault((name, method), RequestSeries()).add(at, cell)
            if method not in NOT_PAGES:
                state.pages.add(at, cell)
        for row in self._users.rows():
            try:
                second, phase, target, user_class, users = row
                at, target_users, running = int(float(second)), int(target), int(users)
            except ValueError:
                continue
            if at > state.users_second:
                state.users_second, state.users = at, {}
            state.phase, state.target_users = phase, target_users
            state.users[user_class] = running
        for row in self._metrics.rows():
            try:
                ts, collector, target, metric, value = row
                state.metrics[(collector, target, metric)] = (float(ts), float(value))
            except ValueError:
                continue
        for line in self._events.lines():
            try:
                kind = json.loads(line).get("kind")
            except (json.JSONDecodeError, AttributeError):
                continue
            if kind in ("load_start", "load_stop"):
                state.load_running = kind == "load_start"
            elif kind == "worker_lost":
                state.workers_lost += 1

    # --- exposing -----------------------------------------------------------------------
    def _request_families(self, until_second: int) -> Iterator[Metric]:
        labels = ["name", "method"]
        total = CounterMetricFamily(f"{PREFIX}requests", "requests completed", labels=labels)
        failed = CounterMetricFamily(f"{PREFIX}request_failures", "requests that failed",
                                     labels=labels)
        duration = HistogramMetricFamily(
            f"{PREFIX}request_duration_seconds",
            "response time (a JOB is a user's wait for queued work, not a page)", labels=labels)
        recent = GaugeMetricFamily(
            f"{PREFIX}request_window_latency_seconds",
            f"exact quantiles of the last {self.window_s} complete seconds (merged "
            "histograms, 1% relative error)", labels=[*labels, "quantile"])
        since = until_second - self.window_s
        for (name, method), series in sorted(self.state.requests.items()):
            total.add_metric([name, method], series.count)
            failed.add_metric([name, method], series.failures)
            cumulative, running = [], 0
            for bound, count in zip((*LATENCY_BUCKETS_S, math.inf), series.buckets,
                                    strict=True):
                running += count
                cumulative.append(("+Inf" if bound == math.inf else str(bound), running))
            duration.add_metric([name, method], cumulative, series.sum_ms / 1000)
            window = series.window(since, until_second).histogram
            for quantile in QUANTILES if window.total() else ():
                recent.add_metric([name, method, str(quantile)],
                                  window.quantile(quantile) / 1000)
        yield from (total, failed, duration, recent)
        pages = self.state.pages.window(since, until_second)
        yield GaugeMetricFamily(f"{PREFIX}pages_window_requests_per_second",
                                f"pages (JOB waits apart) per second over the last "
                                f"{self.window_s} complete seconds",
                                value=pages.count / self.window_s)
        if pages.count:
            yield GaugeMetricFamily(f"{PREFIX}pages_window_p95_seconds",
                                    "p95 of pages over the same seconds",
                                    value=pages.histogram.quantile(0.95) / 1000)
            yield GaugeMetricFamily(f"{PREFIX}pages_window_error_ratio",
                                    "failed share of pages over the same seconds",
                                    value=pages.failures / pages.count)

    def _load_families(self) -> Iterator[Metric]:
        state = self.state
        users = GaugeMetricFamily(f"{PREFIX}users", "running users", labels=["user_class"])
        for user_class, count in sorted(state.users.items()):
            users.add_metric([user_class], count)
        yield users
        yield GaugeMetricFamily(f"{PREFIX}target_users", "users the shape asks for now",
                                value=state.target_users)
        phase = GaugeMetricFamily(f"{PREFIX}phase", "the shape's current phase (1)",
                                  labels=["phase"])
        if state.phase:
            phase.add_metric([state.phase], 1)
        yield phase
        yield GaugeMetricFamily(f"{PREFIX}load_running", "1 between load_start and load_stop",
                                value=int(state.load_running))
        yield CounterMetricFamily(f"{PREFIX}workers_lost", "Locust workers lost mid-run",
                                  value=state.workers_lost)

    def _collector_families(self, now: float) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        label_sets: dict[str, list[str]] = {}
        for (collector, target, metric), (ts, value) in sorted(self.state.metrics.items()):
            if now - ts > FRESH_S:
                continue
            base = base_name(metric)
            name = PREFIX + re.sub(r"[^a-zA-Z0-9_]", "_", base)
            labels = ["collector", "target"]
            values = [collector, target]
            if "{" in metric:
                labels.append(label_name(metric))
                values.append(metric[len(base) + 1:-1])
            family = families.get(name)
            if family is None:
                unit, meaning = METRICS.get(base, ("", base))
                family = families[name] = GaugeMetricFamily(
                    name, f"{meaning} [{unit}]" if unit else meaning, labels=labels)
                label_sets[name] = labels
            if label_sets[name] == labels:  # a family has one label set
                family.add_metric(values, value)
        yield from families.values()


@dataclass
class PrometheusExporter:
    """Serves /metrics for one results directory on its own HTTP thread (a greenlet under
    gevent)."""

    results_dir: Path
    host: str
    port: int
    _server: Any = None

    def start(self) -> None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(ResultsCollector(self.results_dir))
        self._server, _thread = start_http_server(self.port, self.host, registry)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
