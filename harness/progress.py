"""The progress line of a running campaign: phase, time, users, rps, p95, errors, hottest resource.

Why from files for the resource part: collectors run in their own process and
stream to metrics.csv; the tail of that file is the freshest truth, and reading
a few KiB from its end every few seconds costs nothing.
"""

from __future__ import annotations

import csv
import io
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

# Utilization (0-1) worth naming as "the most saturated resource": a metric that is a
# ratio already, or a (used, capacity) pair of metrics.
RATIO_PREFIXES = ("cpu.util", "disk.util")
RATIO_PAIRS = {"app.workers": ("app.workers.busy", "app.workers.total"),
               "pg.connections": ("db.connections.total", "db.connections.max"),
               "app.db_pool": ("app.db_pool.in_use", "app.db_pool.size")}
TAIL_BYTES = 64 * 1024


def hottest_resource(metrics_csv: Path, newer_than: float) -> tuple[str, float] | None:
    """The ratio metric with the highest latest value among rows newer than `newer_than`."""
    try:
        with metrics_csv.open("rb") as handle:
            size = handle.seek(0, io.SEEK_END)
            handle.seek(max(0, size - TAIL_BYTES))
            tail = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    lines = tail.splitlines()[1:]  # the header, or a line cut by the seek
    latest: dict[str, float] = {}
    values: dict[tuple[str, str], float] = {}
    for row in csv.reader(lines):
        if len(row) != 5:
            continue
        ts, _collector, target, metric, value = row
        try:
            if float(ts) < newer_than:
                continue
            number = float(value)
        except ValueError:
            continue
        if metric.startswith(RATIO_PREFIXES):
            latest[f"{metric}@{target}" if target else metric] = number
        elif metric == "mem.available_ratio":
            latest[f"mem.used@{target}"] = 1 - number
        values[(target, metric)] = number
    for name, (used, capacity) in RATIO_PAIRS.items():
        for (target, metric), number in values.items():
            if metric == capacity and number > 0 and (target, used) in values:
                latest[f"{name}@{target}"] = values[(target, used)] / number
    if not latest:
        return None
    name = max(latest, key=lambda key: latest[key])
    return name, latest[name]


@dataclass(frozen=True)
class LiveStats:
    """What the progress line shows: the load generator's users and workers, and the
    recorder's last written seconds."""

    phase: str
    users: int
    rps: float
    p95_ms: float
    error_ratio: float
    workers: int
    window_s: int  # the last whole seconds written that rps, p95 and errors cover


@dataclass
class ProgressLine:
    """Prints a refreshed status line on a TTY; one plain line every `every` s otherwise.
    Lines that stay (stages, warnings) are log records (harness/logs.py)."""

    stream: TextIO = sys.stderr
    quiet: bool = False

    @property
    def interactive(self) -> bool:
        return self.stream.isatty()

    def show(self, live: LiveStats, *, elapsed: float, total: float | None,
             hottest: tuple[str, float] | None) -> None:
        if self.quiet:
            return
        self.write(status_text(live, elapsed, total, hottest))

    def write(self, text: str) -> None:
        if self.interactive:
            self.stream.write("\r\x1b[2K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def status_text(live: LiveStats, elapsed: float, total: float | None,
                hottest: tuple[str, float] | None) -> str:
    """One status line; rps, p95 and errors over the same last seconds of pages (the
    recorder's merged histograms, as the report computes them)."""
    remaining = f"/{_clock(total)}" if total else ""
    resource = f" | hottest {hottest[0]} {hottest[1]:.0%}" if hottest else ""
    p95 = "-" if math.isnan(live.p95_ms) else f"{live.p95_ms:.0f} ms"
    errors = "-" if math.isnan(live.error_ratio) else f"{live.error_ratio:.2%}"
    return (f"[{live.phase}] {_clock(elapsed)}{remaining} | {live.workers} workers | "
            f"{live.users} users | last {live.window_s} s: {live.rps:.1f} rps, p95 {p95}, "
            f"errors {errors}{resource}")


def _clock(seconds: float | None) -> str:
    seconds = int(seconds or 0)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"
