"""Laravel page latency with OPcache on and off, measured side by side in one run.

Starts the Laravel stack twice (best practices, then `opcache=off`), walks every
role's main flow `--rounds` times on each (one request at a time: latency, not
throughput), and prints each page's median with the ratio off/on. Also the RSS
of a PHP-FPM child after the walk, the number that sizes pm.max_children.

    .venv/bin/python bench/laravel_pages.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict
from pathlib import Path

import psutil

from bench.hostinfo import host_line
from reference_app.knobs import Knobs
from reference_app.smoke import walk
from reference_app.stack import EmbeddedStack, StackConfig

ROOT = Path(__file__).resolve().parent.parent


def medians(opcache: bool, rounds: int) -> tuple[dict[str, float], float]:
    """Median ms per page over `rounds` walks, and the mean RSS (bytes) of a PHP-FPM child."""
    config = StackConfig(app="laravel", knobs=Knobs(opcache=opcache))
    timings: dict[str, list[float]] = defaultdict(list)
    with EmbeddedStack(config) as stack:
        walk(stack.url)  # warm-up: OPcache fills, caches fill
        for _ in range(rounds):
            for name, ms, _status in walk(stack.url):
                timings[name].append(ms)
        children = psutil.Process(stack.pids()["app"][0]).children()
        rss = statistics.mean(child.memory_info().rss for child in children)
    return {name: statistics.median(values) for name, values in timings.items()}, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(host_line(), flush=True)
    on, rss_on = medians(True, args.rounds)
    off, rss_off = medians(False, args.rounds)
    print(f"## Laravel page latency, OPcache on vs off ({args.rounds} walks each, median ms)\n")
    print("| page | OPcache on | OPcache off | off / on |")
    print("|---|---:|---:|---:|")
    for name in on:
        print(f"| {name} | {on[name]:.1f} | {off[name]:.1f} | {off[name] / on[name]:.1f} |")
    print(f"\nPHP-FPM child RSS after the walks: {rss_on / 2**20:.0f} MiB with OPcache "
          f"(shared memory counted in each), {rss_off / 2**20:.0f} MiB without.")


if __name__ == "__main__":
    main()
