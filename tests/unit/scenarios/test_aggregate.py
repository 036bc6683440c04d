from __future__ import annotations

import json

from scenarios.aggregate import Aggregator
from scenarios.histogram import Histogram


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
