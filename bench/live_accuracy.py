"""Do the live views show the report's numbers? Measured on one real campaign.

Runs an embedded campaign (constant load) with `--prometheus`, scraped every second
by Debian's Prometheus, and keeps the time of every progress line. Afterwards, from
the finished results directory (what the report reads):
- each progress line's p95 next to the p95 of the same 10 seconds merged from
  requests.csv, and next to Prometheus' `esppd_pages_window_p95_seconds` then;
- the steady phase's p95 from analysis.json next to Prometheus'
  `histogram_quantile` over the same seconds, with the bounds of the histogram
  bucket that holds it (the exported histogram's error).

    .venv/bin/python bench/live_accuracy.py [--users 20] [--duration 90s] [--app python]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.hostinfo import host_line
from harness.prometheus_export import LATENCY_BUCKETS_S
from scenarios.aggregate import HOLD_S_DISTRIBUTED, JOB_METHOD
from scenarios.histogram import Histogram
from supervision import free_port
from testkit.prometheus import Prometheus, running_prometheus

ROOT = Path(__file__).resolve().parent.parent
WINDOW_S = 10
PROGRESS = re.compile(r"^\[(?P<phase>[^\]]+)\] .* p95 (?P<p95>\d+) ms")
CAMPAIGN = """
name = "live-accuracy"
[target]
kind = "embedded"
app = "{app}"
[load]
shape = "constant"
users = {users}
spawn_rate = {users}
duration = "{duration}"
think_scale = 0.3
[distribution]
workers = 1
"""


def run_campaign(args: argparse.Namespace, out: Path, exporter_port: int
                 ) -> list[tuple[float, str, float]]:
    """Run it; (wall time, phase, p95 ms) of every progress line with a p95."""
    campaign = out.parent / "live-accuracy.toml"
    campaign.write_text(CAMPAIGN.format(app=args.app, users=args.users, duration=args.duration))
    process = subprocess.Popen(
        [sys.executable, "run_campaign.py", str(campaign), "--out", str(out),
         "--prometheus", str(exporter_port)],
        cwd=ROOT, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines = []
    assert process.stderr is not None
    for line in process.stderr:  # not a TTY: one plain progress line every 3 s
        match = PROGRESS.match(line)
        if match:
            lines.append((time.time(), match["phase"], float(match["p95"])))
        print(line, end="", file=sys.stderr)
    process.wait()
    return lines


def merged_pages(results: Path, since: float, until: float) -> Histogram:
    """Pages of the seconds in [since, until), merged from requests.csv."""
    merged = Histogram()
    with open(results / "requests.csv", newline="") as file:
        for row in csv.DictReader(file):
            if row["method"] != JOB_METHOD and since <= float(row["ts"]) < until:
                merged.update(Histogram.decode(row["hist"]))
    return merged


def bucket_of(seconds: float) -> tuple[float, float]:
    bounds = (0.0, *LATENCY_BUCKETS_S, math.inf)
    upper = next(index for index, bound in enumerate(bounds) if bound >= seconds)
    return bounds[upper - 1], bounds[upper]


def compare_progress_lines(prometheus: Prometheus, results: Path,
                           lines: list[tuple[float, str, float]]) -> None:
    print("\nprogress line vs the same 10 s from requests.csv vs Prometheus (p95, ms)")
    print(f"{'time (UTC)':>10} {'phase':>8} {'line':>7} {'csv':>8} {'prometheus':>11}")
    for at, phase, line_p95 in lines:
        # the recorder's window when the line was printed: 10 s ending HOLD_S before its tick
        until = math.floor(at) - HOLD_S_DISTRIBUTED
        csv_p95 = merged_pages(results, until - WINDOW_S, until).quantile(0.95)
        scraped = prometheus.scalar("esppd_pages_window_p95_seconds", at)
        shown = "-" if scraped is None else f"{scraped * 1000:.1f}"
        print(f"{time.strftime('%H:%M:%S', time.gmtime(at)):>10} {phase:>8} {line_p95:>7.0f} "
              f"{csv_p95:>8.1f} {shown:>11}")


def compare_phase(prometheus: Prometheus, results: Path) -> None:
    analysis = json.loads((results / "analysis.json").read_text())
    for phase in analysis["phases"]:
        if phase["phase"] != "steady":
            continue
        start, end = phase["start"], phase["end"]
        # bucket counters at t hold the seconds before t - HOLD_S (one more for the scrape)
        at = end + HOLD_S_DISTRIBUTED + 1
        span = int(end - start)
        # last_over_time: the exporter may have stopped by then (the campaign ended); a
        # series that did not exist at the phase's start counted nothing before it
        now = 'last_over_time(esppd_request_duration_seconds_bucket{method!="JOB"}[10s])'
        then = ('last_over_time(esppd_request_duration_seconds_bucket{method!="JOB"}[10s] '
                f'offset {span}s)')
        expr = f"histogram_quantile(0.95, sum by (le) (({now} - {then}) or {now}))"
        scraped = prometheus.scalar(expr, at)
        exact = merged_pages(results, start, end).quantile(0.95)
        low, high = bucket_of(phase["p95"] / 1000)
        print(f"\nsteady phase ({span} s): report p95 {phase['p95']:.1f} ms (requests.csv "
              f"merged: {exact:.1f} ms); Prometheus histogram_quantile "
              f"{'-' if scraped is None else f'{scraped * 1000:.1f}'} ms; "
              f"bucket ({low * 1000:.0f}, {high * 1000:.0f}] ms")
        print(f"  query at {time.strftime('%H:%M:%S', time.gmtime(at))} UTC: {expr}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", default="90s")
    parser.add_argument("--app", choices=("python", "laravel"), default="python")
    args = parser.parse_args()
    print(host_line(), flush=True)
    with tempfile.TemporaryDirectory(prefix="esppd-live-accuracy-") as scratch:
        directory = Path(scratch)
        exporter_port = free_port()
        with running_prometheus(exporter_port, directory / "prometheus") as prometheus:
            results = directory / "results"
            lines = run_campaign(args, results, exporter_port)
            compare_progress_lines(prometheus, results, lines)
            compare_phase(prometheus, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
