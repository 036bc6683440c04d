"""Collector overhead at 1 Hz: per collector, ms per sample and CPU% of a core, on both sides.

Collector side: the sampling thread's CPU time. Target side: the CPU the watched server
spends answering (PostgreSQL backends, Redis, the app, sshd and the commands it runs).
Everything runs against the small embedded stack and a throwaway sshd on loopback,
idle apart from the collectors, so the server-side deltas are the collectors' own cost.

    .venv/bin/python bench/collector_overhead.py [--samples 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from collectors.appstatus import AppStatusCollector
from collectors.base import Collector
from collectors.host import HostCollector
from collectors.postgres import PostgresCollector
from collectors.redisq import RedisCollector
from collectors.shell import LocalShell, SSHShell, SSHTarget
from reference_app.stack import EmbeddedStack, StackConfig
from supervision.servers import SSHServer


def tree_cpu_s(pid: int | None) -> float:
    """CPU seconds of a process, its live descendants and its reaped children."""
    if pid is None:
        return 0.0
    total = 0.0
    try:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    except psutil.Error:
        pass
    return total


@dataclass
class Cost:
    name: str
    wall_ms: float
    collector_cpu_pct: float
    target_cpu_pct: float


def measure(name: str, collector: Collector, target_cpu: Callable[[], float],
            samples: int) -> Cost:
    collector.sample(time.time())  # connect and take the baseline
    time.sleep(0.2)
    walls, cpus = [], []
    target_before = target_cpu()
    for _ in range(samples):
        wall, cpu = time.perf_counter(), time.thread_time()
        collector.sample(time.time())
        cpus.append(time.thread_time() - cpu)
        walls.append(time.perf_counter() - wall)
        time.sleep(0.1)
    target_s = (target_cpu() - target_before) / samples
    collector.close()
    # At 1 Hz, CPU seconds per sample is the share of one core.
    return Cost(name, statistics.median(walls) * 1000, statistics.mean(cpus) * 100,
                target_s * 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="esppd-bench-"))
    with EmbeddedStack(StackConfig(size="small", log_dir=logs)) as stack, \
            SSHServer(logs) as sshd:
        postgres_pid = stack.database.pid
        runs: list[tuple[str, Collector, Callable[[], float]]] = [
            ("host (local, psutil)", HostCollector(LocalShell(), {stack.app_port}),
             lambda: 0.0),
            ("host (SSH, /proc)", HostCollector(SSHShell(
                SSHTarget.parse(sshd.target), sshd.key, sshd.known_hosts), {stack.app_port}),
             lambda: tree_cpu_s(sshd.pid)),
            ("postgres", PostgresCollector(stack.monitor_dsn),
             lambda: tree_cpu_s(postgres_pid)),
            ("redis (cache)", RedisCollector(stack.redis_url),
             lambda: tree_cpu_s(stack.redis.pid)),
            ("redis (queue)", RedisCollector(stack.queue_redis_url, cache_stats=False),
             lambda: tree_cpu_s(stack.queue_redis.pid)),
            ("app /status", AppStatusCollector(f"{stack.url}/status", "reference"),
             lambda: tree_cpu_s(stack.pids()["app"][0])),
        ]
        costs = [measure(name, collector, target, args.samples)
                 for name, collector, target in runs]
    print(f"Collector overhead at 1 Hz ({args.samples} samples each, idle small stack)\n")
    print("| collector | ms/sample (median) | collector CPU % of a core | "
          "target CPU % of a core |")
    print("|---|---:|---:|---:|")
    for cost in costs:
        print(f"| {cost.name} | {cost.wall_ms:.1f} | {cost.collector_cpu_pct:.2f} | "
              f"{cost.target_cpu_pct:.2f} |")
    servers = sum(c.target_cpu_pct for c in costs if not c.name.startswith("host"))
    clients = sum(c.collector_cpu_pct for c in costs if not c.name.startswith("host"))
    local, remote = costs[0], costs[1]
    print(f"\nCollectors running on the target host (local /proc): "
          f"{local.collector_cpu_pct + clients + servers:.2f}% of a core (goal < 2%)")
    print(f"Collectors on another machine (host over SSH): "
          f"{remote.target_cpu_pct + servers:.2f}% of a core on the target (goal < 2%)")

if __name__ == "__main__":
    main()
