"""The Prometheus exporter over a results directory that grows, scraped over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from harness.prometheus_export import PrometheusExporter
from scenarios.histogram import Histogram
from supervision import free_port

REQUESTS_HEADER = "ts,name,method,count,failures,sum_ms,max_ms,hist\n"


def append(path: Path, text: str, header: str = "") -> None:
    if header and not path.exists():
        path.write_text(header)
    with path.open("a") as handle:
        handle.write(text)


def request_row(second: int, name: str, method: str, latencies_ms: list[float],
                failures: int = 0) -> str:
    histogram = Histogram()
    for latency in latencies_ms:
        histogram.record(latency)
    return (f"{second},{name},{method},{len(latencies_ms)},{failures},{sum(latencies_ms)},"
            f"{max(latencies_ms)},{histogram.encode()}\n")


@pytest.fixture
def exporter(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    served = PrometheusExporter(tmp_path, "127.0.0.1", free_port())
    served.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{served.port}/metrics"
    finally:
        served.stop()


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body = requests.get(url, timeout=5).text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body) for sample in family.samples}


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], metric: str,
          **labels: str) -> float | None:
    return samples.get((metric, tuple(sorted(labels.items()))))


def test_requests_are_counted_bucketed_and_windowed_from_appended_rows(
        exporter: tuple[Path, str]) -> None:
    results, url = exporter
    now = int(time.time())
    old, recent, too_new = now - 40, now - 10, now - 2
    append(results / "requests.csv", request_row(old, "/sppd", "GET", [900.0] * 10, failures=2)
           + request_row(recent, "/sppd", "GET", [40.0] * 19 + [120.0])
           + request_row(too_new, "/sppd", "GET", [5000.0])
           + request_row(recent, "document ready", "JOB", [3000.0] * 5),
           REQUESTS_HEADER)
    samples = scrape(url)
    page = {"name": "/sppd", "method": "GET"}
    assert value(samples, "esppd_requests_total", **page) == 31
    assert value(samples, "esppd_request_failures_total", **page) == 2
    # cumulative buckets: 19 at 40 ms, 120 ms above the 0.1 s bound, 900 ms and 5 s above
    assert value(samples, "esppd_request_duration_seconds_bucket", **page, le="0.05") == 19
    assert value(samples, "esppd_request_duration_seconds_bucket", **page, le="0.1") == 19
    assert value(samples, "esppd_request_duration_seconds_bucket", **page, le="0.15") == 20
    assert value(samples, "esppd_request_duration_seconds_bucket", **page, le="1.0") == 30
    assert value(samples, "esppd_request_duration_seconds_bucket", **page, le="+Inf") == 31
    assert value(samples, "esppd_request_duration_seconds_sum", **page) == pytest.approx(
        (9000 + 19 * 40 + 120 + 5000) / 1000)
    # the window: the last 10 complete seconds only (not 40 s ago, not the 2 s old second)
    window = Histogram()
    for latency in [40.0] * 19 + [120.0]:
        window.record(latency)
    p95 = value(samples, "esppd_request_window_latency_seconds", **page, quantile="0.95")
    assert p95 == pytest.approx(window.quantile(0.95) / 1000)
    assert value(samples, "esppd_request_window_latency_seconds", **page,
                 quantile="0.99") == pytest.approx(window.quantile(0.99) / 1000)
    # pages leave the JOB waits out: 20 pages in 10 s
    assert value(samples, "esppd_pages_window_requests_per_second") == 2.0
    assert value(samples, "esppd_pages_window_p95_seconds") == pytest.approx(p95)
    assert value(samples, "esppd_pages_window_error_ratio") == 0.0


def test_only_whole_lines_count_and_later_rows_add_up(exporter: tuple[Path, str]) -> None:
    results, url = exporter
    second = int(time.time()) - 20
    row = request_row(second, "/login", "POST", [30.0, 35.0])
    append(results / "requests.csv", row[:-10], REQUESTS_HEADER)  # a row being written
    assert value(scrape(url), "esppd_requests_total", name="/login", method="POST") is None
    append(results / "requests.csv", row[-10:] + "garbage,1\n" + row.replace(",2,", ",x,", 1)
           + row)  # finished, two malformed rows (skipped), and a late report
    assert value(scrape(url), "esppd_requests_total", name="/login", method="POST") == 4


def test_users_phase_load_and_fresh_collector_metrics(exporter: tuple[Path, str]) -> None:
    results, url = exporter
    now = time.time()
    second = int(now) - 1
    append(results / "users.csv", f"{second - 1},ramp-up,20,Dosen,3\n"
           f"{second},steady,20,Dosen,14\n{second},steady,20,Atasan,6\n",
           "ts,phase,target_users,user_class,users\n")
    append(results / "metrics.csv", f"{now - 1},host,,proc.cpu{{php-fpm}},1.25\n"
           f"{now - 1},host,,cpu.util,0.61\n{now - 1},postgres,127.0.0.1,db.connections.total,9\n"
           f"{now - 120},redis,127.0.0.1,redis.clients,7\n",
           "ts,collector,target,metric,value\n")
    append(results / "events.jsonl", json.dumps({"ts": now - 5, "kind": "load_start"}) + "\n"
           + json.dumps({"ts": now - 2, "kind": "worker_lost", "worker": "w1"}) + "\n")
    samples = scrape(url)
    assert value(samples, "esppd_users", user_class="Dosen") == 14
    assert value(samples, "esppd_users", user_class="Atasan") == 6
    assert value(samples, "esppd_target_users") == 20
    assert value(samples, "esppd_phase", phase="steady") == 1
    assert value(samples, "esppd_phase", phase="ramp-up") is None
    assert value(samples, "esppd_load_running") == 1
    assert value(samples, "esppd_workers_lost_total") == 1
    assert value(samples, "esppd_proc_cpu", collector="host", target="", group="php-fpm") == 1.25
    assert value(samples, "esppd_cpu_util", collector="host", target="") == 0.61
    assert value(samples, "esppd_db_connections_total", collector="postgres",
                 target="127.0.0.1") == 9
    # a collector silent for two minutes is absent, not frozen at its last value
    assert not any(name == "esppd_redis_clients" for name, _ in samples)
    append(results / "events.jsonl", json.dumps({"ts": now, "kind": "load_stop"}) + "\n")
    assert value(scrape(url), "esppd_load_running") == 0
