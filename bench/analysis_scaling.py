"""Analysis scaling: time and peak memory to analyze synthetic 500-user campaigns of growing length.

Each duration is generated once (not timed), then analyzed in a fresh child process so
its peak RSS is the analysis's own. Goal: time linear in duration, independent of
the request count, 1 h under 30 s.

    .venv/bin/python bench/analysis_scaling.py [--durations 600,3600,14400]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from testkit.synthetic import SyntheticSpec, generate

CHILD = ("import sys; from pathlib import Path; from analysis.api import analyze; "
         "analyze(Path(sys.argv[1]))")


def analyze_in_child(results: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of analyzing `results` in a new process."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", CHILD, str(results)], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def request_count(results: Path) -> int:
    with open(results / "requests.csv") as file:
        next(file)
        return sum(int(line.split(",")[3]) for line in file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--durations", default="600,3600,14400",
                        help="campaign lengths in seconds, comma-separated")
    parser.add_argument("--users", type=int, default=500)
    args = parser.parse_args()
    durations = [int(value) for value in args.durations.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="esppd-bench-") as tmp:
        for duration in sorted(durations):  # ascending: ru_maxrss of children only grows
            out = generate(Path(tmp) / f"d{duration}",
                           SyntheticSpec(duration_s=duration, users=args.users, steps=8))
            wall, peak_mib = analyze_in_child(out)
            rows.append((duration, request_count(out), wall, peak_mib))
    base_duration, _, base_wall, _ = rows[0]
    print(f"Analysis of synthetic {args.users}-user campaigns\n")
    print("| duration | requests | analyze wall s | s per campaign hour | x time vs "
          f"{base_duration // 60} min (x duration) | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for duration, requests, wall, peak in rows:
        print(f"| {duration / 60:.0f} min | {requests:,} | {wall:.1f} | "
              f"{wall / (duration / 3600):.1f} | {wall / base_wall:.1f} "
              f"({duration / base_duration:.0f}) | {peak:.0f} |")


if __name__ == "__main__":
    main()
