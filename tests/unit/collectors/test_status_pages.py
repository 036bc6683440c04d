"""Status pages: PHP-FPM's JSON read right (the status request is not a busy worker,
pm.max_children when known), and each kind of page told apart by its content."""

from __future__ import annotations

import json

import pytest

from collectors.appstatus import page_kind, parse_fpm_status
from collectors.base import Sample

FPM = {"pool": "esppd", "process manager": "dynamic", "listen queue": 3,
       "max children reached": 7, "slow requests": 1, "active processes": 5,
       "total processes": 6,
       "processes": [
           {"state": "Running", "request uri": "/fpm-status?json&full",
            "request duration": 120, "last request memory": 0},
           {"state": "Running", "request uri": "/index.php", "request duration": 4_500_000,
            "last request memory": 31_457_280},
           {"state": "Idle", "request uri": "/index.php", "request duration": 9_000,
            "last request memory": 41_943_040}]}


def test_fpm_status_counts_workers_without_the_status_request() -> None:
    out = Sample()
    parse_fpm_status(FPM, out, max_children=16)
    metrics = dict(out.metrics)
    assert metrics["app.workers.busy"] == 4  # 5 active, one of them serving this page
    assert metrics["app.workers.total"] == 16 and metrics["app.processes"] == 6
    assert metrics["app.listen_queue"] == 3
    assert metrics["app.request_running_max_s"] == 4.5  # the status request not counted
    assert metrics["app.request_memory_max_bytes"] == 41_943_040


def test_without_max_children_the_spawned_processes_stand_in() -> None:
    out = Sample()
    parse_fpm_status({**FPM, "processes": None}, out)
    metrics = dict(out.metrics)
    assert metrics["app.workers.total"] == 6
    assert "app.request_running_max_s" not in metrics


@pytest.mark.parametrize(("page", "kind"), [
    (json.dumps(FPM), "fpm"),
    (json.dumps({"processes": 2, "workers": []}), "reference"),
    ("Active connections: 3 \nserver accepts handled requests\n 5 5 9 \n"
     "Reading: 0 Writing: 1 Waiting: 2 \n", "nginx"),
])
def test_a_page_is_told_apart_by_its_content(page: str, kind: str) -> None:
    assert page_kind(page) == kind


def test_an_unknown_page_is_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="neither PHP-FPM"):
        page_kind("<html>hello</html>")
