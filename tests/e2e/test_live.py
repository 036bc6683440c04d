"""A running campaign watched live: Debian's Prometheus scrapes --prometheus, Locust's web
UI from --web stops it, and every panel of the shipped Grafana dashboard has data."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.prometheus_export import LATENCY_BUCKETS_S
from scenarios.aggregate import JOB_METHOD
from scenarios.histogram import Histogram
from supervision import free_port
from testkit.prometheus import Prometheus, running_prometheus

pytestmark = [pytest.mark.timeout(300),
              pytest.mark.skipif(shutil.which("prometheus") is None,
                                 reason="Debian's prometheus is not installed")]

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "esppd-live.json"
CAMPAIGN = """
name = "live"
[target]
kind = "embedded"
[load]
shape = "constant"
users = 8
spawn_rate = 8
duration = "2m"
think_scale = 0.1
[distribution]
workers = 1
"""


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[tuple[Prometheus, int]]:
    """Debian's Prometheus scraping a free port every second (the exporter comes later)."""
    exporter_port = free_port()
    with running_prometheus(exporter_port, tmp_path / "prometheus") as server:
        yield server, exporter_port


def wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def pages_p95_s(results: Path) -> float:
    """The whole run's p95 of pages, merged from requests.csv as the analysis merges."""
    merged = Histogram()
    with open(results / "requests.csv", newline="") as file:
        for row in csv.DictReader(file):
            if row["method"] != JOB_METHOD:
                merged.update(Histogram.decode(row["hist"]))
    return merged.quantile(0.95) / 1000


def test_prometheus_and_the_web_ui_follow_a_running_campaign(
        prometheus: tuple[Prometheus, int], tmp_path: Path) -> None:
    server, exporter_port = prometheus
    web_port = free_port()
    campaign = tmp_path / "live.toml"
    campaign.write_text(CAMPAIGN)
    out = tmp_path / "results"
    started = time.time()
    run = subprocess.Popen(
        [sys.executable, "run_campaign.py", str(campaign), "--out", str(out), "--quiet",
         "--web", str(web_port), "--prometheus", str(exporter_port)],
        cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # live: users and a page p95 reach Prometheus while the load runs
        wait_until(lambda: (server.scalar("sum(esppd_users)") or 0) > 0, 120, "users")
        wait_until(lambda: server.scalar("esppd_pages_window_p95_seconds") is not None, 60,
                   "a live p95")
        web = f"http://127.0.0.1:{web_port}"
        assert requests.get(f"{web}/", timeout=10).status_code == 200
        assert requests.post(f"{web}/swarm", data={"user_count": 1}, timeout=10
                             ).status_code == 403  # the shape drives the users
        assert server.scalar("esppd_load_running") == 1
        assert requests.post(f"{web}/stop", timeout=10).json()["success"] is True
        _stdout, stderr = run.communicate(timeout=180)
    finally:
        run.kill()
    ended = time.time()
    assert run.returncode == 4, stderr[-3000:]  # stopped by a person: aborted, as Ctrl-C
    analysis = json.loads((out / "analysis.json").read_text())
    assert analysis["run"]["complete"] is False
    assert analysis["run"]["reason"] == "the web UI's Stop button"

    # the last scrape saw the final rows: the same counts and, within the bucket that
    # holds it, the same p95 as the merged histograms the report reads
    assert server.scalar("last_over_time(esppd_load_running[10m])") == 0
    recorded = sum(int(line.split(",")[3]) for line in
                   (out / "requests.csv").read_text().splitlines()[1:])
    assert server.scalar("sum(last_over_time(esppd_requests_total[10m]))") == recorded
    p95 = server.scalar('histogram_quantile(0.95, sum by (le) (last_over_time('
                        'esppd_request_duration_seconds_bucket{method!="JOB"}[10m])))')
    assert p95 is not None
    bounds = (0.0, *LATENCY_BUCKETS_S)
    upper = next(index for index, bound in enumerate(bounds) if bound >= p95)
    assert bounds[upper - 1] < pages_p95_s(out) <= bounds[upper], (p95, pages_p95_s(out))

    # every panel of the shipped dashboard has series for this campaign
    dashboard = json.loads(DASHBOARD.read_text())
    empty = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]
             if not server.range_has_data(target["expr"], started, ended)]
    assert empty == []
