"""The report's time charts as data, drawn twice: as PNG (figures.py, for summary.md
and mail) and as interactive uPlot charts in report.html (zoom into a phase, hover
a second's value).

Why one definition: the picture a reader zooms into and the one in summary.md
must never disagree; only the grid differs (the interactive traffic chart is per
second, the PNG's 5 s windows stay readable at print size).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.context import Context
from analysis.signals import (
    APP_WORKERS_BUSY,
    APP_WORKERS_TOTAL,
    CPU_UTIL,
    DB_MAX,
    DB_TOTAL,
    DISK_UTIL,
    LOADGEN_CPU,
    MEM_AVAILABLE,
    QUEUE_LENGTH,
    REDIS_HIT_RATIO,
)
from analysis.sqltext import shorten

WINDOW_S = 5.0
LIMIT_COLOR = "#d62728"


@dataclass(frozen=True)
class Series:
    label: str
    values: pd.Series  # on the chart's grid (index: window start, epoch seconds)
    color: str | None = None
    dashed: bool = False


@dataclass(frozen=True)
class Limit:
    """A horizontal reference line: a threshold or a capacity."""

    label: str
    y: float
    color: str = LIMIT_COLOR


@dataclass(frozen=True)
class Panel:
    ylabel: str
    series: list[Series]
    limits: list[Limit] = field(default_factory=list)
    log: bool = False
    stacked: bool = False  # the PNG stacks (shares of a whole); the interactive one hovers each
    from_zero: bool = True
    weight: float = 1.0  # relative height


@dataclass(frozen=True)
class TimeChart:
    name: str
    title: str
    grid: pd.Index  # window starts, epoch seconds
    panels: list[Panel]


def time_charts(ctx: Context, per_second: bool = False) -> list[TimeChart]:
    """Every time chart that has data, in report order."""
    makers = (_traffic, _resources, _cpu_groups, _queue, _errors)
    charts = [maker(ctx, per_second) for maker in makers]
    return [chart for chart in charts if chart is not None and len(chart.grid)]


def _traffic_frame(ctx: Context, per_second: bool) -> tuple[pd.DataFrame, float]:
    """users, target_users, rps, failures/s and p50/p95/p99 per window."""
    if not per_second:
        frame = ctx.w5.copy()
        frame["failures_rate"] = frame["failures"] / WINDOW_S
        return frame, WINDOW_S
    stats = ctx.w1.set_index("start")
    frame = ctx.per_second[["users", "target_users"]].join(
        stats[["rps", "failures", "p50", "p95", "p99"]], how="outer")
    frame["rps"] = frame["rps"].fillna(0.0)
    frame["failures_rate"] = frame["failures"].fillna(0.0)
    return frame, 1.0


def _traffic(ctx: Context, per_second: bool) -> TimeChart | None:
    if ctx.w5.empty:
        return None
    frame, step = _traffic_frame(ctx, per_second)
    window = "1 s" if step == 1 else "5 s windows"
    latency = [Series(column, frame[column], color) for column, color in
               (("p50", "#9467bd"), ("p95", "#ff7f0e"), ("p99", "#8c564b"))]
    return TimeChart("timeline", f"Users, throughput and latency over time ({window})",
                     frame.index, [
                         Panel("users", [Series("target users", frame["target_users"], "#888",
                                                dashed=True),
                                         Series("running users", frame["users"], "#1f77b4")]),
                         Panel("requests/s", [Series("throughput", frame["rps"], "#2ca02c"),
                                              Series("failures", frame["failures_rate"],
                                                     LIMIT_COLOR)]),
                         Panel("latency (ms)", latency, log=bool((frame["p99"] > 0).any())),
                     ])


def _resources(ctx: Context, _per_second: bool) -> TimeChart | None:
    series: list[Series] = []
    for target in ctx.per_target(CPU_UTIL).columns:
        series.append(Series(f"cpu.util {target}", ctx.per_target(CPU_UTIL)[target]))
    memory = ctx.per_target(MEM_AVAILABLE)
    for target in memory.columns:
        series.append(Series(f"memory used {target}", 1 - memory[target]))
    for device in ctx.labels(DISK_UTIL):
        series.append(Series(f"disk.util {device}", ctx.signal(DISK_UTIL, device)))
    optional = {
        "DB connections / max": ctx.signal(DB_TOTAL, how="sum") / ctx.signal(DB_MAX),
        "app workers busy": ctx.signal(APP_WORKERS_BUSY, how="sum")
        / ctx.signal(APP_WORKERS_TOTAL, how="sum"),
        "loadgen.cpu (busiest, cores)": ctx.signal(LOADGEN_CPU),
        "redis hit ratio": ctx.signal(REDIS_HIT_RATIO),
    }
    series += [Series(label, values) for label, values in optional.items()
               if values.notna().any()]
    if not series or ctx.w5.empty:
        return None
    return TimeChart("resources", "Resources on the same time axis as latency (5 s means)",
                     ctx.w5.index, [
                         Panel("p95 (ms)", [Series("p95 latency", ctx.w5["p95"], "#ff7f0e")]),
                         Panel("utilization (ratio)", series, [Limit("80% limit", 0.8)],
                               weight=2.0),
                     ])


def _cpu_groups(ctx: Context, _per_second: bool) -> TimeChart | None:
    groups = ctx.groups()
    if not groups or not ctx.ncpu:
        return None
    panels = [Panel(f"cores on {target}",
                    [Series(group, ctx.signal_for(group, target)) for group in groups],
                    [Limit(f"{ctx.ncpu[target]:.0f} CPUs", ctx.ncpu[target], "#000")],
                    stacked=True)
              for target in sorted(ctx.ncpu)]
    return TimeChart("cpu_groups", "CPU by process group (proc.cpu, cores; 5 s means)",
                     ctx.w5.index, panels)


def _queue(ctx: Context, _per_second: bool) -> TimeChart | None:
    names = ctx.labels(QUEUE_LENGTH)
    if not names:
        return None
    return TimeChart("queue", "Queue length over time (5 s means)", ctx.w5.index, [
        Panel("jobs waiting", [Series(f"queue {name}", ctx.signal(QUEUE_LENGTH, name, how="sum"))
                               for name in names], [Limit("SLO 100 jobs", 100)])])


def _errors(ctx: Context, _per_second: bool) -> TimeChart | None:
    errors = ctx.errors
    if errors.empty or errors["count"].sum() == 0:
        return None
    windows = np.floor(errors["ts"] / WINDOW_S) * WINDOW_S
    top = errors.groupby("error")["count"].sum().sort_values(ascending=False).head(5).index
    series = []
    for message in top:
        part = errors[errors["error"] == message]
        per_window = part.groupby(windows[part.index])["count"].sum().reindex(
            ctx.w5.index).fillna(0) / WINDOW_S
        series.append(Series(shorten(str(message), 80), per_window))
    return TimeChart("errors", "Errors over time by message (top 5, 5 s windows)",
                     ctx.w5.index, [Panel("failures/s", series)])


def chart_data(chart: TimeChart) -> dict[str, Any]:
    """JSON for the report's script: x in epoch seconds, one array per series (null
    where there is no value), 4 significant digits."""
    grid = chart.grid
    return {"name": chart.name, "title": chart.title,
            "x": [float(value) for value in grid],
            "panels": [{"ylabel": panel.ylabel, "log": panel.log,
                        "from_zero": panel.from_zero, "weight": panel.weight,
                        "limits": [{"label": limit.label, "y": limit.y, "color": limit.color}
                                   for limit in panel.limits],
                        "series": [{"label": series.label, "color": series.color,
                                    "dashed": series.dashed,
                                    "values": [_rounded(value) for value in
                                               series.values.reindex(grid).to_numpy(float)]}
                                   for series in panel.series]}
                       for panel in chart.panels]}


def _rounded(value: float) -> float | None:
    if math.isnan(value) or math.isinf(value):
        return None
    return float(f"{value:.4g}")
