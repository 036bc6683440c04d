"""The report's figures (matplotlib, Agg, object API: no pyplot global state).

Why one time axis: latency next to every resource over the same UTC axis is how a
reader checks a verdict by eye. Every figure has a title, units and a legend; text
from the data (SQL, error messages) has `$` escaped so matplotlib does not read it
as math.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.capacity import UslFit, usl
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

DPI = 100
SIZE = (11, 4.2)


def write_figures(ctx: Context, statements: pd.DataFrame, directory: Path) -> dict[str, Path]:
    """Render every figure that has data; name -> PNG path."""
    directory.mkdir(parents=True, exist_ok=True)
    makers: dict[str, Callable[[Context, pd.DataFrame], Figure | None]] = {
        "timeline": _timeline, "capacity": _capacity, "resources": _resources,
        "cpu_groups": _cpu_groups, "statements": _statements, "queue": _queue,
        "errors": _errors,
    }
    out: dict[str, Path] = {}
    for name, maker in makers.items():
        figure = maker(ctx, statements)
        if figure is None:
            continue
        path = directory / f"{name}.png"
        figure.savefig(path, dpi=DPI, bbox_inches="tight")
        out[name] = path
    return out


def _text(value: str) -> str:
    return value.replace("$", r"\$")


def _times(index: pd.Index) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(index, dtype=float), unit="s", utc=True)


def _time_axis(ax: Axes) -> None:
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S", tz="UTC"))
    ax.set_xlabel("time (UTC)")


def _phase_bands(ax: Axes, ctx: Context, label: bool) -> None:
    colors = ("#f2f2f2", "#e3ecf7")
    for i, phase in enumerate(ctx.phases):
        start, end = _times(pd.Index([phase.start, phase.end]))
        ax.axvspan(start, end, color=colors[i % 2], zorder=0)
        if label:
            ax.text(start, 1.0, f" {_text(phase.label)}", transform=ax.get_xaxis_transform(),
                    va="top", fontsize=8, color="#555")


def _timeline(ctx: Context, _: pd.DataFrame) -> Figure | None:
    if ctx.w5.empty:
        return None
    figure = Figure(figsize=(11, 8))
    axes = figure.subplots(3, 1, sharex=True)
    times = _times(ctx.w5.index)
    for ax in axes:
        _phase_bands(ax, ctx, ax is axes[0])
    axes[0].plot(times, ctx.w5["target_users"], label="target users", color="#888", ls="--")
    axes[0].plot(times, ctx.w5["users"], label="running users", color="#1f77b4")
    axes[0].set_ylabel("users")
    axes[1].plot(times, ctx.w5["rps"], label="throughput", color="#2ca02c")
    axes[1].plot(times, ctx.w5["failures"] / 5.0, label="failures", color="#d62728")
    axes[1].set_ylabel("requests/s")
    for column, color in (("p50", "#9467bd"), ("p95", "#ff7f0e"), ("p99", "#8c564b")):
        axes[2].plot(times, ctx.w5[column], label=column, color=color)
    axes[2].set_ylabel("latency (ms)")
    if (ctx.w5["p99"] > 0).any():
        axes[2].set_yscale("log")
    for ax in axes:
        ax.legend(loc="upper left", fontsize=8)
        ax.grid(alpha=0.3)
    _time_axis(axes[2])
    figure.suptitle("Users, throughput and latency over time (5 s windows, phases shaded)")
    return figure


def _capacity(ctx: Context, _: pd.DataFrame) -> Figure | None:
    levels = ctx.capacity.levels
    if not levels:
        return None
    figure = Figure(figsize=SIZE)
    ax = figure.subplots()
    users = np.array([lv.users for lv in levels])
    ax.plot(users, [lv.throughput for lv in levels], "o", color="#2ca02c",
            label="measured (steady state)")
    fit = ctx.capacity.usl
    if isinstance(fit, UslFit):
        grid = np.linspace(1, max(users.max(), 500) * 1.05, 300)
        ax.plot(grid, usl(grid, fit.alpha, fit.beta, fit.gamma), color="#2ca02c", alpha=0.6,
                label=f"USL fit (alpha={fit.alpha:.3g}, beta={fit.beta:.3g}, "
                      f"R\u00b2={fit.r_squared:.3f})")
    knee = ctx.capacity.knee
    if knee:
        ax.axvline(knee.users, color="#d62728", ls=":", label=f"knee at {knee.users:.0f} users")
    ax.set_xlabel("concurrent users (N)")
    ax.set_ylabel("throughput (requests/s)")
    ax.grid(alpha=0.3)
    right = ax.twinx()
    right.plot(users, [lv.p95_ms for lv in levels], "s--", color="#ff7f0e", label="p95 (ms)")
    right.set_ylabel("p95 latency (ms)")
    lines = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8)
    title = "Throughput vs users with the Universal Scalability Law fit"
    if not isinstance(fit, UslFit):
        title += " (not fitted: too few load levels)"
    ax.set_title(title)
    return figure


def _resources(ctx: Context, _: pd.DataFrame) -> Figure | None:
    series: dict[str, pd.Series] = {}
    for target in ctx.per_target(CPU_UTIL).columns:
        series[f"cpu.util {target}"] = ctx.per_target(CPU_UTIL)[target]
    memory = ctx.per_target(MEM_AVAILABLE)
    for target in memory.columns:
        series[f"memory used {target}"] = 1 - memory[target]
    for device in ctx.labels(DISK_UTIL):
        series[f"disk.util {device}"] = ctx.signal(DISK_UTIL, device)
    connections = ctx.signal(DB_TOTAL, how="sum") / ctx.signal(DB_MAX)
    if connections.notna().any():
        series["DB connections / max"] = connections
    workers = ctx.signal(APP_WORKERS_BUSY, how="sum") / ctx.signal(APP_WORKERS_TOTAL, how="sum")
    if workers.notna().any():
        series["app workers busy"] = workers
    loadgen = ctx.signal(LOADGEN_CPU)
    if loadgen.notna().any():
        series["loadgen.cpu (busiest, cores)"] = loadgen
    hit = ctx.signal(REDIS_HIT_RATIO)
    if hit.notna().any():
        series["redis hit ratio"] = hit
    if not series or ctx.w5.empty:
        return None
    figure = Figure(figsize=(11, 6.5))
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(1, 2))
    times = _times(ctx.w5.index)
    _phase_bands(top, ctx, True)
    _phase_bands(bottom, ctx, False)
    top.plot(times, ctx.w5["p95"], color="#ff7f0e", label="p95 latency")
    top.set_ylabel("p95 (ms)")
    top.legend(loc="upper left", fontsize=8)
    for name, values in series.items():
        bottom.plot(times, values.reindex(ctx.w5.index), label=_text(name))
    bottom.axhline(0.8, color="#d62728", ls=":", label="80% limit")
    bottom.set_ylabel("utilization (ratio)")
    bottom.set_ylim(bottom=0)
    bottom.legend(loc="upper left", fontsize=7, ncol=3)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    _time_axis(bottom)
    figure.suptitle("Resources on the same time axis as latency (5 s means)")
    return figure


def _cpu_groups(ctx: Context, _: pd.DataFrame) -> Figure | None:
    groups = ctx.groups()
    if not groups or not ctx.ncpu:
        return None
    targets = sorted(ctx.ncpu)
    figure = Figure(figsize=(11, 3.2 * len(targets)))
    axes = np.atleast_1d(figure.subplots(len(targets), 1, sharex=True, squeeze=False)[:, 0])
    times = _times(ctx.w5.index)
    for ax, target in zip(axes, targets, strict=True):
        stacks = [ctx.signal_for(g, target).fillna(0).to_numpy() for g in groups]
        ax.stackplot(times, *stacks, labels=[_text(g) for g in groups], alpha=0.85)
        ax.axhline(ctx.ncpu[target], color="black", ls="--", label=f"{ctx.ncpu[target]:.0f} CPUs")
        ax.set_ylabel("cores")
        ax.set_title(f"CPU by process group on {_text(target)}", fontsize=10)
        ax.legend(loc="upper left", fontsize=7, ncol=4)
        ax.grid(alpha=0.3)
    _time_axis(axes[-1])
    figure.suptitle("CPU attributed to process groups (proc.cpu, cores)")
    return figure


def _statements(_: Context, statements: pd.DataFrame) -> Figure | None:
    if statements.empty:
        return None
    top = statements.head(8).iloc[::-1]
    figure = Figure(figsize=SIZE)
    ax = figure.subplots()
    labels = [_text(shorten(f"{qid[-6:]}: {text}", 70)) for qid, text in
              zip(top.index.astype(str), top["query"], strict=True)]
    ax.barh(labels, top["share"] * 100, color="#1f77b4", label="share of DB execution time")
    for y, (share, mean) in enumerate(zip(top["share"], top["mean_ms"], strict=True)):
        ax.text(share * 100, y, f" {mean:.1f} ms/call", va="center", fontsize=7)
    ax.set_xlabel("share of DB execution time (%)")
    ax.set_title("Top statements by total execution time (pg_stat_statements)")
    ax.legend(loc="lower right", fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    return figure


def _queue(ctx: Context, _: pd.DataFrame) -> Figure | None:
    names = ctx.labels(QUEUE_LENGTH)
    if not names:
        return None
    figure = Figure(figsize=SIZE)
    ax = figure.subplots()
    _phase_bands(ax, ctx, True)
    times = _times(ctx.w5.index)
    for name in names:
        ax.plot(times, ctx.signal(QUEUE_LENGTH, name, how="sum"), label=f"queue {_text(name)}")
    ax.axhline(100, color="#d62728", ls=":", label="SLO 100 jobs")
    ax.set_ylabel("jobs waiting")
    ax.set_title("Queue length over time (5 s means)")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    _time_axis(ax)
    return figure


def _errors(ctx: Context, _: pd.DataFrame) -> Figure | None:
    errors = ctx.errors
    if errors.empty or errors["count"].sum() == 0:
        return None
    figure = Figure(figsize=SIZE)
    ax = figure.subplots()
    _phase_bands(ax, ctx, True)
    windows = np.floor(errors["ts"] / 5.0) * 5.0
    top = errors.groupby("error")["count"].sum().sort_values(ascending=False).head(5).index
    for message in top:
        part = errors[errors["error"] == message]
        per_window = part.groupby(windows[part.index])["count"].sum().reindex(
            ctx.w5.index).fillna(0) / 5.0
        ax.plot(_times(ctx.w5.index), per_window, label=_text(shorten(str(message), 80)))
    ax.set_ylabel("failures/s")
    ax.set_title("Errors over time by message (top 5)")
    ax.legend(loc="upper left", fontsize=7)
    ax.grid(alpha=0.3)
    _time_axis(ax)
    return figure

