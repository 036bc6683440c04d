"""The report's figures as PNG (matplotlib, Agg, object API: no pyplot global state).

Why one time axis: latency next to every resource over the same UTC axis is how a
reader checks a verdict by eye. The time charts' series come from analysis/charts.py,
which report.html also draws interactively. Every figure has a title, units and a
legend beside the plot (never over the phase labels); text from the data (SQL, error
messages) has `$` escaped so matplotlib does not read it as math.
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
from analysis.charts import TimeChart, time_charts
from analysis.context import Context
from analysis.sqltext import shorten

DPI = 100
SIZE = (11, 4.2)


def write_figures(ctx: Context, statements: pd.DataFrame, directory: Path) -> dict[str, Path]:
    """Render every figure that has data; name -> PNG path (time charts first)."""
    directory.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Figure] = {chart.name: _draw(chart, ctx) for chart in time_charts(ctx)}
    makers: dict[str, Callable[[Context, pd.DataFrame], Figure | None]] = {
        "capacity": _capacity, "statements": _statements}
    for name, maker in makers.items():
        figure = maker(ctx, statements)
        if figure is not None:
            figures[name] = figure
    out: dict[str, Path] = {}
    for name, figure in figures.items():
        path = directory / f"{name}.png"
        figure.savefig(path, dpi=DPI, bbox_inches="tight")
        out[name] = path
    return out


def _text(value: str) -> str:
    return value.replace("$", r"\$")


def _times(index: pd.Index) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(index, dtype=float), unit="s", utc=True)


def _phase_bands(ax: Axes, ctx: Context, label: bool) -> None:
    colors = ("#f2f2f2", "#e3ecf7")
    for i, phase in enumerate(ctx.phases):
        start, end = _times(pd.Index([phase.start, phase.end]))
        ax.axvspan(start, end, color=colors[i % 2], zorder=0)
        if label:
            ax.text(start, 1.0, f" {_text(phase.label)}", transform=ax.get_xaxis_transform(),
                    va="top", fontsize=8, color="#555")


def _draw(chart: TimeChart, ctx: Context) -> Figure:
    """One time chart: panels on a shared UTC axis, phases shaded and labelled on the
    first panel, each panel's legend to its right."""
    weights = [panel.weight for panel in chart.panels]
    figure = Figure(figsize=(11, 1.2 + 2.4 * sum(weights)), layout="constrained")
    axes = figure.subplots(len(chart.panels), 1, sharex=True, squeeze=False,
                           height_ratios=weights)[:, 0]
    times = _times(chart.grid)
    for ax, panel in zip(axes, chart.panels, strict=True):
        _phase_bands(ax, ctx, ax is axes[0])
        labels = [_text(series.label) for series in panel.series]
        # as floats: a signal with no sample in the run reindexes to an all-None object array
        values = [series.values.reindex(chart.grid).to_numpy(dtype=float)
                  for series in panel.series]
        if panel.stacked:
            ax.stackplot(times, *[np.nan_to_num(column) for column in values], labels=labels,
                         alpha=0.85)
        else:
            for series, column, label in zip(panel.series, values, labels, strict=True):
                ax.plot(times, column, label=label, color=series.color,
                        ls="--" if series.dashed else "-")
        for limit in panel.limits:
            ax.axhline(limit.y, color=limit.color, ls=":", label=_text(limit.label))
        ax.set_ylabel(panel.ylabel)
        if panel.log:
            ax.set_yscale("log")
        elif panel.from_zero:
            ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, fontsize=7)
        ax.grid(alpha=0.3)
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S", tz="UTC"))
    axes[-1].set_xlabel("time (UTC)")
    figure.suptitle(chart.title)
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
    ax.set_ylim(bottom=0)
    right.set_ylim(bottom=0)
    lines = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8)
    title = "Throughput vs users with the Universal Scalability Law fit"
    if not isinstance(fit, UslFit):
        title += " (not fitted: too few load levels)"
    ax.set_title(title)
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
