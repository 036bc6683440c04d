from __future__ import annotations

import json
import math

from scenarios.aggregate import JOB_METHOD, MAX_MISSED, Aggregator, RecentSeconds, missed_latencies
from scenarios.histogram import Histogram, merge


def test_workers_export_and_the_master_merges_to_exact_totals() -> None:
    workers = [Aggregator(), Aggregator()]
    for index, worker in enumerate(workers):
        for ms in range(1, 101):
            worker.add(100, "/sppd", "GET", float(ms + index))
        worker.add(101, "/sppd", "GET", 5.0, error="500 on /sppd")
    master = Aggregator()
    for worker in workers:
        # Through JSON, as Locust's report messages carry it.
        master.merge(json.loads(json.dumps(worker.export())))
        assert worker.cells == {} and worker.errors == {}
    rows, errors = master.drain(before_second=102)
    assert [(r[0], r[3], r[4]) for r in rows] == [(100, 200, 0), (101, 2, 2)]
    assert rows[0][5] == sum(range(1, 101)) * 2 + 100 and rows[0][6] == 101.0
    assert Histogram.decode(rows[0][7]).total() == 200
    assert errors == [[101, "/sppd", "GET", "500 on /sppd", 2]]


def test_drain_keeps_open_seconds_and_late_reports_add_rows() -> None:
    agg = Aggregator()
    agg.add(10, "/a", "GET", 1.0)
    agg.add(12, "/a", "GET", 1.0)
    rows, _ = agg.drain(before_second=11)
    assert [r[0] for r in rows] == [10]
    late = Aggregator()
    late.add(10, "/a", "GET", 3.0)
    agg.merge(late.export())
    rows, _ = agg.drain(before_second=13)
    assert [(r[0], r[3]) for r in rows] == [(10, 1), (12, 1)]


def test_long_error_messages_are_shortened() -> None:
    agg = Aggregator()
    agg.add(1, "/x", "POST", 2.0, error="x" * 1000)
    _, errors = agg.drain(2)
    assert len(errors[0][3]) == 200


def test_the_progress_window_is_the_report_s_histograms_of_pages_over_one_window() -> None:
    """rps, p95 and errors over the same last seconds; queued-job waits left out."""
    aggregator, recent = Aggregator(), RecentSeconds(window_s=10)
    for second in range(100, 130):
        slow = second >= 120
        for _ in range(10):
            aggregator.add(second, "GET /sppd", "GET", 800.0 if slow else 20.0,
                           "HTTP 500" if slow and _ == 0 else None)
        aggregator.add(second, "document ready", JOB_METHOD, 60_000.0)
        rows, _errors = aggregator.drain(second + 1)
        recent.add(rows, second + 1)
    stats = recent.stats()
    assert stats.requests == 100 and stats.rps == 10.0
    assert 790 <= stats.p95_ms <= 810 and stats.error_ratio == 0.1
    recent.add([], 150)  # nothing for 20 s: the window is empty, not stale
    assert recent.stats().requests == 0 and math.isnan(recent.stats().p95_ms)


def test_a_stall_adds_the_responses_a_paced_user_missed_without_counting_them() -> None:
    """HdrHistogram's correction: at a 1 s pace, a 10 s response hides the requests of
    the 9 seconds after the first, which would have waited 9, 8, ... 1 s."""
    assert missed_latencies(10_000.0, 1_000.0) == [9_000.0 - 1_000.0 * k for k in range(9)]
    assert missed_latencies(900.0, 1_000.0) == [] and missed_latencies(5_000.0, 0.0) == []
    assert len(missed_latencies(1e9, 1.0)) == MAX_MISSED
    worker = Aggregator()
    for _ in range(99):
        worker.add(7, "/sppd", "GET", 20.0, interval_ms=1_000.0)
    worker.add(7, "/sppd", "GET", 10_000.0, interval_ms=1_000.0)
    worker.add(7, "/sppd", "GET", 30.0)  # a user without a pace: nothing added
    master = Aggregator()
    master.merge(json.loads(json.dumps(worker.export())))
    master.merge({"cells": [[7, "/sppd", "GET", 1, 0, 25.0, 25.0, "100:1"]], "errors": []})
    rows, _ = master.drain(8)  # an older worker's cell (no missed field) merges too
    assert rows[0][3] == 102  # the count is the responses only
    raw, missed = Histogram.decode(rows[0][7]), Histogram.decode(rows[0][8])
    assert raw.total() == 102 and missed.total() == 9
    # 102 responses: p99 30 ms; with the 9 missed (1-9 s) the p95 is the 5th of them
    assert raw.quantile(0.99) < 31 and 4_950 < merge([raw, missed]).quantile(0.95) < 5_050
