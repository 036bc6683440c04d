"""The open model with real Locust processes: visits arrive at the planned rate on two
workers, arrivals beyond the visitor pool are dropped and counted, and the analysis
puts planned next to achieved."""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.context import build_context
from analysis.dataset import read_dataset
from scenarios.plans import arrival_rate, schedules

pytestmark = pytest.mark.timeout(240)

ROOT = Path(__file__).resolve().parents[3]
VISITORS = ROOT / "tests" / "fixtures" / "locustfiles" / "visitors.py"


def run_arrivals(out: Path, rate: float, visitors: int, seconds_per_hour: float,
                 visit_s: float) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", f"{ROOT / 'scenarios' / 'esppd_harness.py'},"
         f"{VISITORS}", "--headless", "--processes", "2", "--esppd-shape", "arrival-rate",
         "--esppd-arrival-rate", str(rate), "--esppd-users", str(visitors),
         "--esppd-seconds-per-hour", str(seconds_per_hour), "--results-dir", str(out),
         "--exit-code-on-error", "0"],
        capture_output=True, text=True, timeout=200, cwd=out.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT), "VISIT_S": str(visit_s)})
    assert done.returncode == 0, done.stderr[-3000:]
    # what run_campaign writes next to plain Locust's results, for the analysis
    (out / "campaign.toml").write_text('name = "visitors"\n[load]\nshape = "arrival-rate"\n')


def visit_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "requests.csv", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["method"] == "VISIT"]


def test_visits_arrive_at_the_planned_rate_on_two_workers(
        tmp_path: Path) -> None:
    out = tmp_path / "results"
    run_arrivals(out, rate=600, visitors=100, seconds_per_hour=2, visit_s=0.05)
    # 7080 (the first 2 s wait for the visitor pool to spawn), Poisson sd 1.2%
    planned = sum(segment.rate_per_s * (segment.end - segment.start) for segment in
                  schedules(arrival_rate(600, 100, 2), 0.0, {"Visitor": (1.0, "")}, 1)["Visitor"])
    rows = visit_rows(out)
    arrived = sum(int(row["count"]) for row in rows)
    assert abs(arrived - planned) / planned < 0.05, (arrived, planned)
    assert sum(int(row["failures"]) for row in rows) == 0  # the pool was never full
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert [e["arrivals_per_s"] for e in events if e["kind"] == "phase_start"
            and "arrivals_per_s" in e][:2] == [120.0, 540.0]
    with open(out / "users.csv", newline="") as handle:
        in_flight = [int(row["users"]) for row in csv.DictReader(handle)]
    # visits in flight (about 600/s x 0.05 s at the peak), not the pool of 100; a stalled
    # worker may catch up on its arrivals all at once, so a single sample can reach the pool
    busy = [count for count in in_flight if count > 0]
    assert busy and statistics.median(busy) < 60 and max(busy) <= 100, in_flight

    ctx = build_context(read_dataset(out))
    assert ctx.open_model and [a.phase for a in ctx.arrivals][:3] == ["07:00", "08:00", "09:00"]
    assert sum(a.arrivals for a in ctx.arrivals) <= arrived
    nine = next(a for a in ctx.arrivals if a.phase == "09:00")
    assert nine.planned_per_s == 600 and abs(nine.achieved_per_s - 600) < 600 * 0.25
    assert ctx.run_stats.empty or "VISIT" not in set(ctx.run_stats["name"])  # not a page


def test_arrivals_beyond_the_visitor_pool_are_dropped_and_counted(tmp_path: Path) -> None:
    out = tmp_path / "results"
    run_arrivals(out, rate=20, visitors=2, seconds_per_hour=1, visit_s=1.0)
    rows = visit_rows(out)
    arrived = sum(int(row["count"]) for row in rows)
    dropped = sum(int(row["failures"]) for row in rows)
    # 2 visitors of 1 s take at most ~2 visits/s of the 4-20/s planned: most are dropped
    assert dropped > arrived / 2, (arrived, dropped)
    with open(out / "errors.csv", newline="") as handle:
        errors = {row["error"] for row in csv.DictReader(handle)}
    assert "dropped: every Visitor visitor was busy" in errors
    ctx = build_context(read_dataset(out))
    assert sum(a.dropped for a in ctx.arrivals) > 0
    assert ctx.errors.empty  # a full pool is the generator's ceiling, not the app's error
