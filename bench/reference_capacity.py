"""The reference app against the eSPPD targets, and what each knob costs in capacity.

1. Peak day at 500 users, every best practice on: the peak-day plan (07:00-17:00,
   500 users at 09:00, logins spread over each hour at a realistic spawn rate) on
   the default seed. Prints each hour's users, p95 and error rate against the eSPPD
   plan's targets (p95 < 500 ms, errors < 1%).
2. Capacity per knob, from a validation matrix (`make validate`): the measured peak
   throughput, the USL X_max (the throughput ceiling; only when the fit peaks within
   twice the measured load, else it is an extrapolation) and the users at which p95
   crosses 500 ms, for the baseline and each knob, as ratios to the baseline of the
   same run.

    .venv/bin/python bench/reference_capacity.py [--app laravel] [--seconds-per-hour 30]
    .venv/bin/python bench/reference_capacity.py --matrix results/validation-<ts>   # 2 only

With `--app laravel` the peak day runs against Laravel on PHP-FPM and nginx, and
the PHP-FPM children's measured RSS sizes `pm.max_children` for a given RAM.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from bench.hostinfo import host_line

ROOT = Path(__file__).resolve().parent.parent
P95_TARGET_MS = 500.0
ERROR_TARGET = 0.01
BASELINE = "baseline (saturation)"

PEAK_DAY = """name = "peak-day-500"
[target]
kind = "embedded"
app = "{app}"
size = "default"
[load]
shape = "peak-day"
users = 500
spawn_rate = {spawn_rate}
seconds_per_hour = "{seconds_per_hour}s"
[distribution]
workers = 2
"""


def peak_day(app: str, seconds_per_hour: int, spawn_rate: float) -> None:
    with tempfile.TemporaryDirectory(prefix="esppd-peak-") as tmp:
        path, out = Path(tmp) / "campaign.toml", Path(tmp) / "results"
        path.write_text(PEAK_DAY.format(app=app, seconds_per_hour=seconds_per_hour,
                                        spawn_rate=spawn_rate))
        started = time.monotonic()
        subprocess.run([sys.executable, "run_campaign.py", str(path), "--out", str(out),
                        "--quiet"], cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
        wall = time.monotonic() - started
        if not (out / "analysis.json").exists():
            sys.exit(f"the peak-day campaign produced no analysis ({out}); nothing to report")
        analysis = json.loads((out / "analysis.json").read_text())
        rss = php_fpm_child_rss(out / "metrics.csv") if app == "laravel" else None
        busiest = max((phase for phase in analysis["phases"] if phase["p95"] is not None),
                      key=lambda phase: phase["rps"])
        cpu = cpu_by_group(out / "metrics.csv", busiest["start"], busiest["end"])
    print(f"## Peak day at 500 users on the {app} app, best practices on ({wall:.0f} s wall, "
          f"{seconds_per_hour} s per hour, spawn rate {spawn_rate}/s)\n")
    print("| hour | users | requests/s | p95 ms | errors | meets p95 < 500 ms and errors < 1% |")
    print("|---|---:|---:|---:|---:|---|")
    for phase in analysis["phases"]:
        if phase["p95"] is None:  # no request in the phase (the idle tail)
            continue
        ok = phase["p95"] < P95_TARGET_MS and phase["error_rate"] < ERROR_TARGET
        print(f"| {phase['phase']} | {phase['users_max']:.0f} | {phase['rps']:.1f} | "
              f"{phase['p95']:.0f} | {phase['error_rate'] * 100:.2f}% | "
              f"{'yes' if ok else '**no**'} |")
    print(f"\n{analysis['verdict']}")
    print(f"\nCPU in the busiest hour ({busiest['phase']}, {busiest['rps']:.0f} requests/s), "
          "cores by process group: " + ", ".join(f"{group} {cores:.2f}"
                                                  for group, cores in cpu.items()))
    if rss is not None:
        print(f"\nPHP-FPM children: {rss / 2**20:.0f} MiB RSS each at the peak (pool RSS / "
              "children, 95th percentile of the run); pm.max_children for the RAM left to "
              "PHP: " + ", ".join(f"{ram} GiB -> {int(ram * 2**30 // rss)}"
                                  for ram in (1, 2, 4)))


def cpu_by_group(metrics: Path, start: float, end: float) -> dict[str, float]:
    """Mean cores per process group between start and end, largest first: where a
    request's CPU goes across the stack and the generator."""
    frame = pd.read_csv(metrics)
    frame = frame[frame["metric"].str.startswith("proc.cpu{") & frame["ts"].between(start, end)]
    per_sample = frame.pivot_table(index="ts", columns="metric", values="value", aggfunc="sum")
    means = per_sample.mean().sort_values(ascending=False)
    return {str(metric)[len("proc.cpu{"):-1]: float(cores) for metric, cores in means.items()}


def php_fpm_child_rss(metrics: Path) -> float | None:
    """Bytes per PHP-FPM process (the group's RSS over its process count), 95th percentile."""
    frame = pd.read_csv(metrics)
    by_metric = frame.pivot_table(index="ts", columns="metric", values="value", aggfunc="sum")
    rss, count = by_metric.get("proc.rss{php-fpm}"), by_metric.get("proc.count{php-fpm}")
    if rss is None or count is None:
        return None
    per_child = (rss / count.where(count > 0)).dropna()
    return float(per_child.quantile(0.95)) if len(per_child) else None


def users_at_p95(levels: list[dict[str, Any]], target_ms: float = P95_TARGET_MS) -> float:
    """Users where the steady-step p95 crosses the target (linear between steps);
    inf when it never did, NaN when even the first step was over."""
    previous = None
    for level in levels:
        if level["p95_ms"] >= target_ms:
            if previous is None:
                return math.nan
            span = level["p95_ms"] - previous["p95_ms"]
            share = (target_ms - previous["p95_ms"]) / span if span > 0 else 0.0
            return float(previous["users"] + share * (level["users"] - previous["users"]))
        previous = level
    return math.inf


def knob_ratios(matrix: Path) -> None:
    cases = json.loads((matrix / "matrix.json").read_text())["cases"]
    capacity: dict[str, tuple[float, float, float]] = {}
    for case in cases:
        path = Path(case["results"]) / "analysis.json"
        if case.get("skipped") or not path.is_file():
            continue
        found = json.loads(path.read_text())["capacity"]
        levels = found.get("levels") or []
        peak = max((float(level["throughput"]) for level in levels), default=math.nan)
        capacity[case["case"]] = (peak, usl_ceiling(found.get("usl") or {}),
                                  users_at_p95(levels))
    if BASELINE not in capacity:
        sys.exit(f"{matrix} has no '{BASELINE}' case to compare with")
    base_peak, base_x, base_users = capacity[BASELINE]
    print(f"## Capacity per knob ({matrix.name}; ratios to the baseline of the same run)\n")
    print("| case | peak req/s | ratio | USL X_max (req/s) | ratio | users at p95 = 500 ms "
          "| ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, (peak, x_max, users) in capacity.items():
        if name.startswith("baseline (moderate"):
            continue
        x_text = "no peak in range" if math.isnan(x_max) else f"{x_max:.0f}"
        print(f"| {name} | {peak:.0f} | {_ratio(peak, base_peak)} | {x_text} | "
              f"{_ratio(x_max, base_x)} | {_users(users)} | {_ratio(users, base_users)} |")


def usl_ceiling(usl: dict[str, Any]) -> float:
    """The USL X_max when the fit peaks near the measured load, else NaN."""
    return math.nan if not usl or usl.get("extrapolated") else float(usl["x_max"] or math.nan)


def _users(value: float) -> str:
    if math.isinf(value):
        return "not reached"
    return "below the first step" if math.isnan(value) else f"{value:.0f}"


def _ratio(value: float, base: float) -> str:
    if math.isnan(value) or math.isinf(value) or math.isnan(base) or math.isinf(base):
        return "-"
    return f"{value / base:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", choices=("python", "laravel"), default="python")
    parser.add_argument("--seconds-per-hour", type=int, default=30)
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--matrix", type=Path, help="only the knob ratios, from this matrix")
    args = parser.parse_args()
    print(host_line(), flush=True)
    if args.matrix is None:
        peak_day(args.app, args.seconds_per_hour, args.spawn_rate)
        runs = sorted((ROOT / "results").glob(f"validation-{args.app}-*/matrix.json"))
        if not runs:
            print("\nno validation matrix under results/: run `make validate` for the ratios")
            return
        print()
        args.matrix = runs[-1].parent
    knob_ratios(args.matrix)


if __name__ == "__main__":
    main()
