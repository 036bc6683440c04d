"""Generator efficiency: requests per second per generator core, side by side.

A trivial endpoint (bench/trivial_app.py on uvicorn) is pinned to one core, the
generator to the other: wrk (the ceiling of a C load generator), bare Locust
FastHttpUser, and the same user with the harness's recorder on. Each round runs every
variant for the same time, in alternating order (ABC, CBA, ...), and each variant's
requests are counted at the server, alike for all; CPU is the generator process's own
(start-up included, alike for both Locust variants). A ratio is taken per round (the
variants of one round ran seconds apart), and its median and range over the rounds are
printed. The recorded runs also compare the recorder's own count with the server's.
Goal: the recorder keeps >= 90% of bare FastHttpUser's requests per core-second.

    .venv/bin/python bench/generator_efficiency.py [--seconds 10] [--rounds 5]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.hostinfo import host_line
from supervision import free_port, spawn, stop_process, wait_for_port

ROOT = Path(__file__).resolve().parent.parent

USERS = 32
BARE = "bare Locust FastHttpUser"
RECORDED = "FastHttpUser + harness recorder"
ESPPD_RATE = 30.0  # requests/s of one worker in the peak-day campaign (BENCHMARKS.md)


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def served(url: str) -> int:
    with urllib.request.urlopen(f"{url}/served", timeout=10) as response:
        return int(response.read())


@dataclass
class Run:
    requests: int                  # counted by the server
    cpu_s: float                   # the generator process's
    recorded: int | None = None    # counted by the harness's recorder, when it ran

    @property
    def per_core(self) -> float:
        """Requests per generator CPU-second."""
        return self.requests / self.cpu_s if self.cpu_s > 0 else 0.0


def run_locust(locustfile: str, url: str, seconds: int, tmp: Path, recorded: bool) -> Run:
    """One Locust process: the requests the server answered meanwhile and its CPU."""
    argv = ["taskset", "-c", "0", sys.executable, "-m", "locust", "-f", locustfile,
            "--headless", "-u", str(USERS), "-r", str(USERS), "-t", f"{seconds}s",
            "--host", url, "--only-summary", "--loglevel", "WARNING"]
    results = tmp / f"results-{time.monotonic_ns()}"
    if recorded:
        results.mkdir()
        argv += ["--results-dir", str(results)]
    before, cpu = served(url), children_cpu_s()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    used, requests = children_cpu_s() - cpu, served(url) - before
    counted = int(pd.read_csv(results / "requests.csv")["count"].sum()) if recorded else None
    return Run(requests, used, counted)


def run_wrk(url: str, seconds: int) -> Run:
    before, cpu = served(url), children_cpu_s()
    subprocess.run(["taskset", "-c", "0", "wrk", "-t1", f"-c{USERS}", f"-d{seconds}s", url],
                   check=True, capture_output=True)
    return Run(served(url) - before, children_cpu_s() - cpu)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(host_line())
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    runs: dict[str, list[Run]] = {}
    with tempfile.TemporaryDirectory(prefix="esppd-bench-") as tmp_name:
        tmp = Path(tmp_name)
        server = spawn(["taskset", "-c", "1", sys.executable, "-m", "uvicorn", "--factory",
                        "bench.trivial_app:create_app", "--port", str(port),
                        "--log-level", "warning", "--no-access-log"], tmp / "server.log",
                       cwd=ROOT)
        try:
            wait_for_port(port, 20, server, "trivial server")
            variants: dict[str, Callable[[], Run]] = {
                BARE: lambda: run_locust(
                    "bench/locustfiles/bare.py", url, args.seconds, tmp, recorded=False),
                RECORDED: lambda: run_locust(
                    "bench/locustfiles/recorded.py", url, args.seconds, tmp, recorded=True),
            }
            if shutil.which("wrk"):
                variants["wrk (C, 1 thread)"] = lambda: run_wrk(url, args.seconds)
            runs = {name: [] for name in variants}
            for round_number in range(args.rounds):
                order = list(variants) if round_number % 2 == 0 else list(variants)[::-1]
                for name in order:
                    runs[name].append(variants[name]())
        finally:
            stop_process(server)
    print(f"\nGenerator efficiency against a trivial endpoint ({USERS} users/connections, "
          f"{args.seconds} s x {args.rounds} rounds in alternating order, generator on core 0, "
          f"server on core 1; requests counted at the server)\n")
    print("| generator | requests/s (median) | requests per generator CPU-second (median) | "
          "vs bare Locust, per round: median (range) |")
    print("|---|---:|---:|---:|")
    per_core = {name: [run.per_core for run in done] for name, done in runs.items()}
    for name, done in runs.items():
        ratios = [mine / base for mine, base in zip(per_core[name], per_core[BARE], strict=True)]
        print(f"| {name} | {statistics.median(run.requests / args.seconds for run in done):,.0f}"
              f" | {statistics.median(per_core[name]):,.0f} | {spread(ratios)} |")
    extra_us = [(1 / mine - 1 / base) * 1e6
                for mine, base in zip(per_core[RECORDED], per_core[BARE], strict=True)]
    print(f"\nThe recorder's CPU per request, per round: {spread(extra_us)} us; at the "
          f"{ESPPD_RATE:.0f} requests/s a worker sends against the eSPPD app, that is "
          f"{statistics.median(extra_us) * ESPPD_RATE / 1e4:.2f}% of a core.")
    shares = [run.recorded / run.requests for run in runs[RECORDED] if run.recorded is not None]
    print(f"\nThe recorder counted {spread(shares)} of the requests the server answered "
          "(median, range over the recorded runs).")
    if not shutil.which("wrk"):
        print("\nwrk not installed (apt-get install wrk; `make bench` does it as root)")


if __name__ == "__main__":
    main()
