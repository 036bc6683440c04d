"""Per-second request aggregation: counts, failures, sums, maxima, histograms, errors.

Pure data (no Locust): workers fill one, export it to the master in their
stats reports, the master merges and drains whole seconds to requests.csv and
errors.csv. Merging is addition, so a late report for an already written
second adds a row with the same key (readers sum rows with equal keys).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from scenarios.histogram import Histogram

Key = tuple[int, str, str]  # (second, name, method)
JOB_METHOD = "JOB"  # a user's wait for queued work (a document, an export), not a page
VISIT_METHOD = "VISIT"  # an open-model arrival: how late its visit started, or dropped
NOT_PAGES = (JOB_METHOD, VISIT_METHOD)  # rows that are no page: out of page latency and rps
MAX_ERROR_LENGTH = 200
# The failure of a request the server answered as if nobody had signed in: the
# session was lost on the server (its store flushed or evicted), not a server error.
SESSION_LOST = "session lost: signed out by the server"
# The request context key of a user's expected interval between requests (ms): its
# mean think time. With it, a response slower than that interval also records the
# responses the user would have waited for had it kept its pace (coordinated omission).
INTERVAL_KEY = "esppd_interval_ms"
MAX_MISSED = 10_000  # per response: a stall of hours at a sub-second pace stays bounded


def missed_latencies(ms: float, interval_ms: float) -> list[float]:
    """HdrHistogram's correction (recordValueWithExpectedInterval): a response of `ms`
    at an expected interval E hides the requests that would have been sent during it,
    which would have waited ms - E, ms - 2E, ... (down to E)."""
    if interval_ms <= 0 or ms <= interval_ms:
        return []
    count = min(int((ms - interval_ms) // interval_ms), MAX_MISSED)
    return [ms - interval_ms * k for k in range(1, count + 1)]
# How long a second stays open for late reports before it is written (complete).
HOLD_S_DISTRIBUTED = 6  # worker reports come every 3 s; keep a second open for two of them
HOLD_S_LOCAL = 1


@dataclass
class Cell:
    count: int = 0
    failures: int = 0
    sum_ms: float = 0.0
    max_ms: float = 0.0
    histogram: Histogram = field(default_factory=Histogram)
    missed: Histogram = field(default_factory=Histogram)  # coordinated omission's, not counted

    def add(self, ms: float, failed: bool, interval_ms: float | None = None) -> None:
        self.count += 1
        self.failures += failed
        self.sum_ms += ms
        self.max_ms = max(self.max_ms, ms)
        self.histogram.record(ms)
        for latency in missed_latencies(ms, interval_ms or 0.0):
            self.missed.record(latency)

    def merge(self, other: Cell) -> None:
        self.count += other.count
        self.failures += other.failures
        self.sum_ms += other.sum_ms
        self.max_ms = max(self.max_ms, other.max_ms)
        self.histogram.add(other.histogram)
        self.missed.update(other.missed)


@dataclass
class Aggregator:
    cells: dict[Key, Cell] = field(default_factory=dict)
    errors: dict[tuple[int, str, str, str], int] = field(default_factory=dict)

    def add(self, second: int, name: str, method: str, ms: float,
            error: str | None = None, interval_ms: float | None = None) -> None:
        key = (second, name, method)
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = Cell()
        cell.add(ms, error is not None, interval_ms)
        if error is not None:
            error_key = (second, name, method, error[:MAX_ERROR_LENGTH])
            self.errors[error_key] = self.errors.get(error_key, 0) + 1

    def export(self) -> dict[str, Any]:
        """Everything so far as JSON-friendly data, then forget it (sent to the master)."""
        data = {
            "cells": [[second, name, method, cell.count, cell.failures, cell.sum_ms,
                       cell.max_ms, cell.histogram.encode(), cell.missed.encode()]
                      for (second, name, method), cell in self.cells.items()],
            "errors": [[*key, count] for key, count in self.errors.items()],
        }
        self.cells, self.errors = {}, {}
        return data

    def merge(self, data: dict[str, Any]) -> None:
        for second, name, method, count, failures, sum_ms, max_ms, buckets, *missed in \
                data["cells"]:  # missed: absent from a worker of an older version
            incoming = Cell(count, failures, sum_ms, max_ms, Histogram.decode(buckets),
                            Histogram.decode(missed[0] if missed else ""))
            self.cells.setdefault((int(second), name, method), Cell()).merge(incoming)
        for second, name, method, error, count in data["errors"]:
            key = (int(second), name, method, error)
            self.errors[key] = self.errors.get(key, 0) + int(count)

    def drain(self, before_second: int) -> tuple[list[list[Any]], list[list[Any]]]:
        """Rows (requests.csv, errors.csv) of the seconds < before_second, removed from here."""
        request_rows = []
        for key in sorted(k for k in self.cells if k[0] < before_second):
            cell = self.cells.pop(key)
            request_rows.append([key[0], key[1], key[2], cell.count, cell.failures,
                                 round(cell.sum_ms, 3), round(cell.max_ms, 3),
                                 cell.histogram.encode(), cell.missed.encode()])
        error_rows = []
        for error_key in sorted(k for k in self.errors if k[0] < before_second):
            error_rows.append([*error_key, self.errors.pop(error_key)])
        return request_rows, error_rows


@dataclass(frozen=True)
class WindowStats:
    seconds: int
    requests: int
    rps: float
    p95_ms: float        # NaN without requests
    error_ratio: float   # NaN without requests


@dataclass
class RecentSeconds:
    """The last written seconds merged over every request name, pages only (JOB waits
    apart): the progress line shows the same histograms the report will, over one
    window for every figure."""

    window_s: int = 10
    seconds: dict[int, Cell] = field(default_factory=dict)

    def add(self, rows: list[list[Any]], until_second: int) -> None:
        """requests.csv rows as drained (second, name, method, count, failures, sum_ms,
        max_ms, histogram, missed), complete up to until_second (exclusive)."""
        for second, _name, method, count, failures, sum_ms, max_ms, buckets, _missed in rows:
            if method in NOT_PAGES:
                continue
            self.seconds.setdefault(int(second), Cell()).merge(
                Cell(count, failures, sum_ms, max_ms, Histogram.decode(buckets)))
        for second in [s for s in self.seconds if s < until_second - self.window_s]:
            del self.seconds[second]

    def stats(self) -> WindowStats:
        total = Cell()
        for cell in self.seconds.values():
            total.merge(cell)
        if total.count == 0:
            return WindowStats(self.window_s, 0, 0.0, math.nan, math.nan)
        return WindowStats(self.window_s, total.count, total.count / self.window_s,
                           total.histogram.quantile(0.95), total.failures / total.count)
