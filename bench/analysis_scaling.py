"""Analysis scaling: time and peak memory to analyze campaigns of growing length.

Synthetic 500-user campaigns at a real campaign's data density (idle disks pad the
metrics to ~115 rows a second, as the reference stack's collectors write), and the
recorded Laravel runs of tests/fixtures/recorded. Each is analyzed in a fresh child
process, which reports its own peak RSS. Goal: time linear in duration, independent
of the request count, 1 h under 30 s.

    .venv/bin/python bench/analysis_scaling.py [--durations 600,3600,14400]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.hostinfo import host_line
from testkit.synthetic import SyntheticSpec, generate

CHILD = ("import resource, sys; from pathlib import Path; from analysis.api import analyze; "
         "analyze(Path(sys.argv[1])); "
         "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)")
IDLE_DISKS = 12  # 6 series each: ~45 + 72 = ~117 metric rows a second
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "recorded"


def analyze_in_child(results: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of analyzing `results` in a new process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, str(results)], check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    return wall, int(done.stderr.strip().splitlines()[-1]) / 1024


@dataclass
class Row:
    name: str
    duration_s: float
    requests: int
    metric_rows_per_s: float
    wall_s: float
    peak_mib: float


def measured(name: str, results: Path) -> Row:
    metrics = pd.read_csv(results / "metrics.csv", usecols=["ts"])
    per_second = metrics.groupby(metrics["ts"].astype(int)).size()
    wall, peak = analyze_in_child(results)
    return Row(name, float(per_second.index.max() - per_second.index.min() + 1),
               request_count(results), float(per_second.median()), wall, peak)


def request_count(results: Path) -> int:
    with open(results / "requests.csv") as file:
        next(file)
        return sum(int(line.split(",")[3]) for line in file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--durations", default="600,3600,14400",
                        help="synthetic campaign lengths in seconds, comma-separated")
    parser.add_argument("--users", type=int, default=500)
    args = parser.parse_args()
    print(host_line())
    durations = sorted(int(value) for value in args.durations.split(","))
    rows = []
    with tempfile.TemporaryDirectory(prefix="esppd-bench-") as tmp:
        for duration in durations:
            out = generate(Path(tmp) / f"d{duration}", SyntheticSpec(
                duration_s=duration, users=args.users, steps=8, idle_disks=IDLE_DISKS))
            rows.append(measured(f"synthetic {duration / 60:.0f} min", out))
        for fixture in sorted(FIXTURES.glob("laravel-*.tar.xz")):
            folder = Path(tmp) / fixture.name.removesuffix(".tar.xz")
            with tarfile.open(fixture) as archive:
                archive.extractall(folder, filter="data")
            rows.append(measured(f"recorded {folder.name}", folder))
    base = rows[0]
    print(f"\nAnalysis of synthetic {args.users}-user campaigns and recorded Laravel runs "
          "(all outputs: analysis.json, figures, report.html, summary.md, junit.xml)\n")
    print("| campaign | duration | requests | metric rows/s | analyze wall s | "
          f"s per campaign hour | x time vs {base.name} (x duration) | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row.name} | {row.duration_s / 60:.1f} min | {row.requests:,} | "
              f"{row.metric_rows_per_s:.0f} | {row.wall_s:.1f} | "
              f"{row.wall_s / (row.duration_s / 3600):.1f} | {row.wall_s / base.wall_s:.1f} "
              f"({row.duration_s / base.duration_s:.1f}) | {row.peak_mib:.0f} |")


if __name__ == "__main__":
    main()
