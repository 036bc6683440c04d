"""Collector overhead at 1 Hz: the whole collectors process and the servers it asks, per
collector and all together, on a host with 100 and 500 processes; against the Python
app on PostgreSQL, then Laravel on PHP-FPM, nginx and MariaDB.

Each row runs the real standalone collectors process (`python -m collectors`, as a
campaign does) for `--seconds` after a warm-up, at 1 Hz, and measures:
- collector CPU: the whole process (every thread: the sampler threads, paramiko's
  transport thread, the CSV writers), from psutil's process times;
- target CPU: what the watched servers spend answering (PostgreSQL, MariaDB, Redis,
  the app, PHP-FPM, nginx, or sshd and the commands it runs for the SSH host
  collector), above their own idle rate measured right before the row.
The bench fills the host with idle `sleep` processes up to each count, so the host
collector's cost can be read against the process count. Nothing else loads the stack,
so the deltas are the collectors' own cost. At 1 Hz, CPU seconds per second =
share of one core.

    .venv/bin/python bench/collector_overhead.py [--seconds 20] [--counts 100,500]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psutil

from bench.hostinfo import host_line, host_processes
from reference_app.stack import EmbeddedStack, StackConfig
from supervision.servers import SSHServer

WARM_UP_S = 4.0  # imports, connections and the first (full-scan) samples


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


@contextmanager
def crowded(count: int) -> Iterator[int]:
    """Idle processes added until the host runs `count` (never fewer than it has)."""
    sleepers = [subprocess.Popen(["sleep", "3600"])
                for _ in range(max(0, count - host_processes()))]
    try:
        yield host_processes()
    finally:
        for sleeper in sleepers:
            sleeper.kill()
        for sleeper in sleepers:
            sleeper.wait()


@dataclass
class Cost:
    name: str
    processes: int
    sample_ms: float
    collector_pct: float
    target_pct: float

    @property
    def on_target_pct(self) -> float:
        """What the target host pays: the servers' answers, and the collectors process
        itself unless it reads the host over SSH from another machine."""
        return self.target_pct + (0.0 if "SSH" in self.name else self.collector_pct)


def measure(name: str, flags: list[str], servers: Servers, asked: list[str],
            seconds: float, processes: int, env: dict[str, str]) -> Cost:
    """One collectors process with `flags`, measured over `seconds` after the warm-up;
    `asked` names the servers it reads, whose CPU above their idle rate is its cost."""
    idle_per_s = servers.idle_s(asked, seconds)
    out = Path(tempfile.mkdtemp(prefix="esppd-bench-collectors-"))
    child = subprocess.Popen(
        [sys.executable, "-m", "collectors", "--out", str(out), "--interval", "1",
         "--duration", str(WARM_UP_S + seconds + 5), *flags],
        env=env, stderr=subprocess.DEVNULL)
    process = psutil.Process(child.pid)
    time.sleep(WARM_UP_S)
    own_before, started = sum(process.cpu_times()[:2]), time.monotonic()
    target_before = servers.cpu_s(asked)
    time.sleep(seconds)
    own_s = sum(process.cpu_times()[:2]) - own_before
    span = time.monotonic() - started
    target_s = servers.cpu_s(asked) - target_before - idle_per_s * span
    child.terminate()
    child.wait()
    metrics = pd.read_csv(out / "metrics.csv")
    costs = metrics[metrics["metric"].str.startswith("collector.sample_ms")]
    per_tick = costs.groupby("ts")["value"].sum()  # all collectors of one tick
    return Cost(name, processes, float(per_tick.median()) if len(per_tick) else 0.0,
                own_s / span * 100, target_s / span * 100)


@dataclass
class Servers:
    """The watched servers' process trees (their CPU seconds, live and reaped)."""

    pids: dict[str, int | None]

    def cpu_s(self, names: list[str]) -> float:
        return sum(tree_cpu_s(self.pids[name]) for name in names)

    def idle_s(self, names: list[str], seconds: float) -> float:
        """What they spend per second with nobody asking: measured right before each
        row (background work such as Redis's cron or PostgreSQL's writers drifts)."""
        if not names:
            return 0.0
        before, started = self.cpu_s(names), time.monotonic()
        time.sleep(seconds)
        return (self.cpu_s(names) - before) / (time.monotonic() - started)


def python_stack(seconds: float, counts: list[int], logs: Path) -> list[Cost]:
    """The Python app on PostgreSQL: each collector alone, then all of them, locally and
    with the host read over SSH, at each host process count."""
    costs: list[Cost] = []
    with EmbeddedStack(StackConfig(size="small", log_dir=logs)) as stack, \
            SSHServer(logs) as sshd:
        env = {**os.environ, "BENCH_POSTGRES": stack.monitor_dsn,  # secrets stay out of argv
               "BENCH_REDIS": stack.redis_url, "BENCH_QUEUE_REDIS": stack.queue_redis_url}
        servers = Servers({"postgres": stack.database.pid, "redis": stack.redis.pid,
                           "queue redis": stack.queue_redis.pid,
                           "app": stack.pids()["app"][0], "sshd": sshd.pid})
        ssh = ["--no-host", "--ssh", sshd.target, "--key", str(sshd.key),
               "--known-hosts", str(sshd.known_hosts)]
        ports = ["--ports", str(stack.app_port)]
        postgres = ["--postgres", "env:BENCH_POSTGRES"]
        redis = ["--redis", "env:BENCH_REDIS", "--queue-redis", "env:BENCH_QUEUE_REDIS"]
        status = ["--app-status", f"{stack.url}/status"]
        logs_of = [flag for path in stack.log_files() for flag in ("--log", path)]
        stack_servers = ["postgres", "redis", "queue redis", "app"]
        with crowded(counts[0]) as processes:
            for name, flags, asked in [
                    ("postgres", ["--no-host", *postgres], ["postgres"]),
                    ("redis (cache and queue)", ["--no-host", *redis],
                     ["redis", "queue redis"]),
                    ("app /status", ["--no-host", *status], ["app"])]:
                costs.append(measure(name, flags, servers, asked, seconds, processes, env))
        for count in counts:
            with crowded(count) as processes:
                for name, flags, asked in [
                        ("host (local /proc)", ports, []),
                        ("host (over SSH)", [*ssh, *ports], ["sshd"]),
                        ("all on the target host",
                         [*postgres, *redis, *status, *logs_of, *ports], stack_servers),
                        ("all, host over SSH",
                         [*ssh, *postgres, *redis, *status, *logs_of, *ports],
                         [*stack_servers, "sshd"])]:
                    costs.append(measure(name, flags, servers, asked, seconds, processes,
                                         env))
    return costs


def laravel_stack(seconds: float, count: int, logs: Path) -> list[Cost]:
    """Laravel on PHP-FPM, nginx and MariaDB: the MySQL and status-page collectors alone,
    then every collector a campaign runs against it."""
    costs: list[Cost] = []
    config = StackConfig(app="laravel", db="mariadb", size="small", log_dir=logs)
    with EmbeddedStack(config) as stack, crowded(count) as processes:
        env = {**os.environ, "BENCH_MYSQL": stack.monitor_dsn,
               "BENCH_REDIS": stack.redis_url, "BENCH_QUEUE_REDIS": stack.queue_redis_url}
        runtime = stack.pids()
        servers = Servers({"mariadb": stack.database.pid, "redis": stack.redis.pid,
                           "queue redis": stack.queue_redis.pid,
                           "php-fpm": runtime["app"][0], "nginx": runtime["web"][0]})
        urls = stack.describe()
        mysql = ["--mysql", "env:BENCH_MYSQL"]
        fpm = ["--fpm-status", urls["fpm_status"]]
        nginx = ["--nginx-status", urls["nginx_status"]]
        redis = ["--redis", "env:BENCH_REDIS", "--queue-redis", "env:BENCH_QUEUE_REDIS"]
        ports = ["--ports", ",".join(map(str, [stack.app_port, *stack.backend_ports()]))]
        logs_of = [flag for path in stack.log_files() for flag in ("--log", path)]
        for name, flags, asked in [
                ("mysql (MariaDB)", ["--no-host", *mysql], ["mariadb"]),
                ("PHP-FPM status", ["--no-host", *fpm], ["php-fpm", "nginx"]),
                ("nginx stub_status", ["--no-host", *nginx], ["nginx"]),
                ("logs (every server's)", ["--no-host", *logs_of], []),
                ("all on the target host (Laravel)",
                 [*mysql, *redis, *fpm, *nginx, *logs_of, *ports], list(servers.pids))]:
            costs.append(measure(name, flags, servers, asked, seconds, processes, env))
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--counts", default="100,500",
                        help="host process counts to measure the host collector at")
    args = parser.parse_args()
    counts = [int(count) for count in args.counts.split(",")]
    logs = Path(tempfile.mkdtemp(prefix="esppd-bench-"))
    costs = [*python_stack(args.seconds, counts, logs),
             *laravel_stack(args.seconds, counts[-1], logs)]
    print(f"Collector overhead at 1 Hz ({args.seconds:.0f} s each after a {WARM_UP_S:.0f} s "
          "warm-up; idle small stack, the servers' own idle CPU subtracted)\n"
          f"{host_line()} (at the end)\n")
    print("| collectors | host processes | ms per tick (median, all its collectors) | "
          "collectors process CPU % of a core | target servers CPU % of a core | "
          "on the target host, % of a core |")
    print("|---|---:|---:|---:|---:|---:|")
    for cost in costs:
        print(f"| {cost.name} | {cost.processes} | {cost.sample_ms:.1f} | "
              f"{cost.collector_pct:.2f} | {cost.target_pct:.2f} | {cost.on_target_pct:.2f} |")
    worst = max((cost for cost in costs if cost.name.startswith("all")),
                key=lambda cost: cost.on_target_pct)
    print(f"\nAll collectors together cost the target host at most {worst.on_target_pct:.2f}% "
          f"of a core ({worst.name}, {worst.processes} processes; goal < 1%).")

if __name__ == "__main__":
    main()
