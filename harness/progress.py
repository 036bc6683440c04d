"""The progress line of a running campaign: phase, time, users, rps, p95, errors, hottest resource.

Why from files for the resource part: collectors run in their own process and
stream to metrics.csv; the tail of that file is the freshest truth, and reading
a few KiB from its end every few seconds costs nothing.
"""

from __future__ import annotations

import csv
import io
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


@dataclass
class ProgressLine:
    """Prints a refreshed status line on a TTY; one plain line every `every` s otherwise.
    Lines that stay (stages, warnings) are log records (harness/logs.py)."""

    stream: TextIO = sys.stderr
    quiet: bool = False

    @property
    def interactive(self) -> bool:
        return self.stream.isatty()

    def show(self, *, phase: str, elapsed: float, total: float | None, users: int, rps: float,
             p95_ms: float, error_ratio: float, workers: int,
             hottest: tuple[str, float] | None) -> None:
        if self.quiet:
            return
        remaining = f"/{_clock(total)}" if total else ""
        resource = f" | hottest {hottest[0]} {hottest[1]:.0%}" if hottest else ""
        text = (f"[{phase}] {_clock(elapsed)}{remaining} | {workers} workers | {users} users | "
                f"{rps:.1f} rps | p95 {p95_ms:.0f} ms | errors {error_ratio:.2%}{resource}")
        if self.interactive:
            self.stream.write("\r\x1b[2K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()



def _clock(seconds: float | None) -> str:
    seconds = int(seconds or 0)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"
