"""Capacity of one generator process: eSPPD users (real think times) per Locust worker.

One local Locust worker process drives the harness's eSPPD user classes (the
peak-day population, think times as in the plan) against the embedded stack in
capacity steps. For each step it reads the worker's own CPU (`loadgen.cpu`, the
recorder's sample of its process) and the request rate, fits CPU = a + b * users,
and reports the users at which the worker would pass 80% of a core. The stack
shares this 2-core machine, so the fit is read at loads the app still serves
quickly: the p95 column shows whether that held.

    .venv/bin/python bench/generator_capacity.py [--users 1200] [--step 300] [--step-s 90]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.hostinfo import host_line

ROOT = Path(__file__).resolve().parent.parent
CPU_LIMIT = 0.80

CAMPAIGN = """name = "generator-capacity"
[target]
kind = "embedded"
size = "default"
[load]
shape = "capacity-step"
users = {users}
step_users = {step}
step_duration = "{step_s}s"
spawn_rate = 10
think_scale = 1.0
[distribution]
workers = 1
"""


def run(users: int, step: int, step_s: int, out: Path) -> float:
    path = out.parent / "campaign.toml"
    path.write_text(CAMPAIGN.format(users=users, step=step, step_s=step_s))
    started = time.monotonic()
    subprocess.run([sys.executable, "run_campaign.py", str(path), "--out", str(out), "--quiet"],
                   cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def levels(out: Path) -> pd.DataFrame:
    """Per steady step: users, requests/s, p95 and the worker process's mean CPU."""
    analysis = json.loads((out / "analysis.json").read_text())
    metrics = pd.read_csv(out / "metrics.csv")
    cpu = metrics[metrics["metric"].str.startswith("loadgen.cpu")
                  & (metrics["target"] != "master")]
    rows = []
    for level in analysis["capacity"]["levels"]:
        inside = cpu[(cpu["ts"] >= level["start"]) & (cpu["ts"] < level["end"])]["value"]
        rows.append({"users": level["users"], "rps": level["throughput"],
                     "p95_ms": level["p95_ms"], "cpu": float(inside.mean())})
    frame = pd.DataFrame(rows)
    frame["cpu_ms_per_request"] = frame["cpu"] / frame["rps"] * 1000
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1200)
    parser.add_argument("--step", type=int, default=300)
    parser.add_argument("--step-s", type=int, default=90)
    args = parser.parse_args()
    print(host_line(), flush=True)
    with tempfile.TemporaryDirectory(prefix="esppd-gencap-") as tmp:
        out = Path(tmp) / "results"
        wall = run(args.users, args.step, args.step_s, out)
        if not (out / "analysis.json").exists():
            sys.exit(f"the campaign produced no analysis (see {out}); nothing to report")
        frame = levels(out)
    print(f"one Locust worker process, eSPPD users with plan think times ({wall:.0f} s wall)\n")
    print("| users | requests/s | p95 ms | worker CPU % of a core | CPU ms per request |")
    print("|---:|---:|---:|---:|---:|")
    for row in frame.itertuples():
        print(f"| {row.users:.0f} | {row.rps:.1f} | {row.p95_ms:.0f} | {row.cpu * 100:.1f} "
              f"| {row.cpu_ms_per_request:.2f} |")
    slope, intercept = np.polyfit(frame["users"], frame["cpu"], 1)
    at_limit = (CPU_LIMIT - intercept) / slope if slope > 0 else float("inf")
    print(f"\nfit: CPU = {intercept * 100:.2f}% + {slope * 100 * 100:.3f}% per 100 users; "
          f"{CPU_LIMIT:.0%} of a core at about {at_limit:,.0f} users per worker process "
          f"(measured up to {frame['users'].max():.0f} users: "
          f"{frame['cpu'].iloc[-1] * 100:.1f}%)")


if __name__ == "__main__":
    main()
