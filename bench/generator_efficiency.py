"""Generator efficiency: requests per second per generator core, side by side.

A trivial endpoint (bench/trivial_app.py on uvicorn) is pinned to one core, the
generator to the other: wrk (the ceiling of a C load generator), bare Locust
FastHttpUser, and the same user with the harness's recorder on. Each runs the same
time, interleaved over rounds; CPU is the generator process's own. Goal: the recorder
keeps >= 90% of bare FastHttpUser's requests per core-second.

    .venv/bin/python bench/generator_efficiency.py [--seconds 15] [--rounds 2]
"""

from __future__ import annotations

import argparse
import csv
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from supervision import free_port, spawn, stop_process, wait_for_port

ROOT = Path(__file__).resolve().parent.parent

USERS = 32


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_locust(locustfile: str, url: str, seconds: int, tmp: Path,
               recorded: bool) -> tuple[int, float]:
    """Requests and CPU seconds (start-up included, alike for both) of one Locust process."""
    prefix = tmp / f"stats-{time.monotonic_ns()}"
    argv = ["taskset", "-c", "0", sys.executable, "-m", "locust", "-f", locustfile,
            "--headless", "-u", str(USERS), "-r", str(USERS), "-t", f"{seconds}s",
            "--host", url, "--only-summary", "--csv", str(prefix), "--loglevel", "WARNING"]
    if recorded:
        results = tmp / f"results-{time.monotonic_ns()}"
        results.mkdir()
        argv += ["--results-dir", str(results)]
    cpu = children_cpu_s()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    used = children_cpu_s() - cpu
    with open(f"{prefix}_stats.csv", newline="") as file:
        total = next(int(row["Request Count"]) for row in csv.DictReader(file)
                     if row["Name"] == "Aggregated")
    return total, used


def run_wrk(url: str, seconds: int) -> tuple[int, float]:
    cpu = children_cpu_s()
    output = subprocess.run(["taskset", "-c", "0", "wrk", "-t1", f"-c{USERS}",
                             f"-d{seconds}s", url], check=True, capture_output=True,
                            text=True).stdout
    used = children_cpu_s() - cpu
    match = re.search(r"(\d+) requests in", output)
    return (int(match.group(1)) if match else 0), used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="esppd-bench-") as tmp_name:
        tmp = Path(tmp_name)
        server = spawn(["taskset", "-c", "1", sys.executable, "-m", "uvicorn",
                        "bench.trivial_app:app", "--port", str(port), "--log-level", "warning",
                        "--no-access-log"], tmp / "server.log", cwd=ROOT)
        try:
            wait_for_port(port, 20, server, "trivial server")
            variants = {
                "bare Locust FastHttpUser": lambda: run_locust(
                    "bench/locustfiles/bare.py", url, args.seconds, tmp, recorded=False),
                "FastHttpUser + harness recorder": lambda: run_locust(
                    "bench/locustfiles/recorded.py", url, args.seconds, tmp, recorded=True),
            }
            if shutil.which("wrk"):
                variants["wrk (C, 1 thread)"] = lambda: run_wrk(url, args.seconds)
            per_core: dict[str, list[float]] = {name: [] for name in variants}
            rps: dict[str, list[float]] = {name: [] for name in variants}
            for _ in range(args.rounds):
                for name, run in variants.items():
                    requests, cpu = run()
                    rps[name].append(requests / args.seconds)
                    per_core[name].append(requests / cpu if cpu > 0 else 0.0)
        finally:
            stop_process(server)
    bare = statistics.median(per_core["bare Locust FastHttpUser"])
    print(f"Generator efficiency against a trivial endpoint ({USERS} users/connections, "
          f"{args.seconds} s x {args.rounds} rounds, generator on core 0, server on core 1)\n")
    print("| generator | requests/s | requests per generator CPU-second | vs bare Locust |")
    print("|---|---:|---:|---:|")
    for name in variants:
        efficiency = statistics.median(per_core[name])
        print(f"| {name} | {statistics.median(rps[name]):,.0f} | {efficiency:,.0f} | "
              f"{efficiency / bare:.2f} |")
    if not shutil.which("wrk"):
        print("\nwrk not installed (apt-get install wrk; `make bench` does it as root)")


if __name__ == "__main__":
    main()
