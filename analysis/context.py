"""The measured facts every rule needs, computed once: windows, signals, onsets, correlations.

Why a context object: rules stay small (one question each) and all share one
definition of a window, a sustained onset and a correlation. It is built from the
dataset's measurements only; campaign.toml (knobs, target config) never enters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from analysis.arrivals import PhaseArrivals, by_phase, planned_rates, rate_rises
from analysis.capacity import Capacity, Level, analyze_capacity
from analysis.dataset import Dataset
from analysis.latency import ALL, Grouping, time_labels, window_stats
from analysis.run_status import RunStatus, run_status
from analysis.signals import (
    CPU_COUNT,
    CPU_UTIL,
    DB_ACTIVE_STATEMENT,
    PEAK_SIGNALS,
    PROC_COUNT,
    PROC_CPU,
    WORKER_GROUPS,
    Signal,
    role_of,
)
from analysis.timeline import Span, Step, label_rows, phases, steps, users_per_second
from scenarios.aggregate import JOB_METHOD, NOT_PAGES, VISIT_METHOD

WINDOW_S = 5.0
SUSTAIN_WINDOWS = 6      # 30 s of 5 s windows
SUSTAIN_SHARE = 0.8      # of which at least 80% above the threshold
MIN_CORRELATION_POINTS = 8
LOAD_BINS = 10


@dataclass(frozen=True)
class Onset:
    """When a condition became sustained, and the load at that moment."""

    ts: float
    users: float


@dataclass
class Context:
    """Derived frames on one 5 s grid (index = window start, epoch seconds)."""

    per_second: pd.DataFrame
    phases: list[Span]
    steps: list[Step]
    w1: pd.DataFrame
    w5: pd.DataFrame
    w5_names: pd.DataFrame
    phase_stats: pd.DataFrame
    run_stats: pd.DataFrame
    level_stats: pd.DataFrame
    metrics5: pd.DataFrame
    statements: pd.DataFrame
    queries: pd.DataFrame
    tables: pd.DataFrame
    errors: pd.DataFrame
    events: pd.DataFrame
    capacity: Capacity
    ncpu: dict[str, float]
    notes: list[str] = field(default_factory=list)
    db_engine: str = "postgresql"  # or "mysql": whose collector wrote the db.* rows
    # Queued-work turnarounds users waited for (method JOB) per 5 s window: count,
    # failures (the user gave up or the job failed), sum_ms.
    jobs: pd.DataFrame = field(default_factory=pd.DataFrame)
    blockers: pd.DataFrame = field(default_factory=pd.DataFrame)  # blockers.csv rows
    processes: pd.DataFrame = field(default_factory=pd.DataFrame)  # processes.csv rows
    sessions: pd.DataFrame = field(default_factory=pd.DataFrame)  # sessions.csv rows
    # Per phase, requests sent while users were being added (label "<phase> ramp") and the
    # rest ("<phase> steady"): a p95 that fails only in the ramps is a start-up burst.
    ramp_stats: pd.DataFrame = field(default_factory=pd.DataFrame)
    # The highest sample per 5 s window of the signals whose limit bites at an instant
    # (PEAK_SIGNALS), long format like metrics5.
    peaks5: pd.DataFrame = field(default_factory=pd.DataFrame)
    run: RunStatus = field(default_factory=RunStatus)  # did the load run to its end
    ramp: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))  # ramp_seconds
    # Open model only: planned vs achieved arrivals per phase (empty: a closed-model run).
    arrivals: list[PhaseArrivals] = field(default_factory=list)
    # per_target's answers on metrics5 and peaks5 (the rules ask for the same signal many
    # times; each answer is a pivot of the long frame).
    _wide: dict[tuple[str, tuple[str, ...], str | None], pd.DataFrame] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    @property
    def open_model(self) -> bool:
        return bool(self.arrivals)

    @property
    def mysql(self) -> bool:
        return self.db_engine == "mysql"

    @property
    def db_server(self) -> str:
        """The database server's name for findings and advice."""
        return "MySQL/MariaDB" if self.mysql else "PostgreSQL"

    # --- signals -----------------------------------------------------------
    def has(self, signal: Signal) -> bool:
        return bool(self.metrics5["base"].isin(signal.names).any())

    def labels(self, signal: Signal) -> list[str]:
        rows = self.metrics5[self.metrics5["base"].isin(signal.names)]
        return sorted(rows["label"].unique().tolist())

    def peak(self, signal: Signal, how: str = "max") -> pd.Series:
        """The highest 1 s sample per 5 s window (a PEAK_SIGNALS signal), combined over
        targets like signal(): a connection refused at a full second is missed by a mean."""
        return self.signal(signal, how=how, frame=self.peaks5)

    def per_target(self, signal: Signal, label: str | None = None,
                   frame: pd.DataFrame | None = None) -> pd.DataFrame:
        """Window x target (labels combined by max when label is None); a copy, so the
        caller may change it."""
        frame = self.metrics5 if frame is None else frame
        name = "metrics5" if frame is self.metrics5 else "peaks5" if frame is self.peaks5 \
            else None
        key = (name or "", signal.names, label)
        wide = self._wide.get(key) if name else None
        if wide is None:
            rows = frame[frame["base"].isin(signal.names)]
            if label is not None:
                rows = rows[rows["label"] == label]
            wide = pd.DataFrame(index=self.w5.index) if rows.empty else \
                rows.groupby(["window", "target"])["value"].max().unstack("target") \
                    .dropna(axis="columns", how="all").reindex(self.w5.index)
            if name:
                self._wide[key] = wide
        return wide.copy()

    def signal(self, signal: Signal, label: str | None = None, how: str = "max",
               frame: pd.DataFrame | None = None) -> pd.Series:
        """One series on the 5 s grid, combined over targets (max by default, or sum)."""
        wide = self.per_target(signal, label, frame)
        if wide.shape[1] == 0:
            return pd.Series(np.nan, index=self.w5.index, name=signal.name)
        series = wide.sum(axis=1, min_count=1) if how == "sum" else wide.max(axis=1)
        return series.rename(signal.name if label is None else f"{signal.name}{{{label}}}")

    def role_cores(self, role: str) -> pd.DataFrame:
        """Window x target: cores used by all process groups of one role."""
        rows = self.metrics5[self.metrics5["base"].isin(PROC_CPU.names)]
        rows = rows[rows["label"].map(role_of) == role]
        if rows.empty:
            return pd.DataFrame(index=self.w5.index)
        wide = rows.pivot_table(index="window", columns="target", values="value", aggfunc="sum")
        return wide.reindex(self.w5.index)

    def role_share(self, role: str) -> tuple[pd.Series, str | None]:
        """Share of its host's cores used by one role, on the host where it is highest."""
        cores = self.role_cores(role)
        best: pd.Series | None = None
        best_target = None
        for target in cores.columns:
            cpus = self.ncpu.get(target)
            if not cpus:
                continue
            share = cores[target] / cpus
            if best is None or share.mean() > best.mean():
                best, best_target = share, target
        if best is None:
            return pd.Series(np.nan, index=self.w5.index), None
        return best.rename(f"{role} CPU share"), best_target

    def signal_for(self, group: str, target: str) -> pd.Series:
        """proc.cpu{group} on one target (cores)."""
        wide = self.per_target(PROC_CPU, group)
        if target not in wide.columns:
            return pd.Series(np.nan, index=self.w5.index)
        return wide[target]

    def groups(self) -> list[str]:
        rows = self.metrics5[self.metrics5["base"].isin(PROC_CPU.names)]
        return sorted(rows["label"].unique().tolist())

    def worker_group(self) -> str | None:
        """The process group that serves the app's requests: the largest worker group."""
        counts = {group: float(self.signal(PROC_COUNT, group, how="sum").mean())
                  for group in WORKER_GROUPS if group in self.labels(PROC_COUNT)}
        return max(counts, key=counts.__getitem__) if counts else None

    # --- time and load -----------------------------------------------------
    def onset(self, series: pd.Series, threshold: float, above: bool = True) -> Onset | None:
        """First window of the first 30 s in which >= 80% of windows cross the threshold."""
        values = series.reindex(self.w5.index)
        hit = (values >= threshold) if above else (values <= threshold)
        hit = hit & values.notna()
        rolling = hit.astype(float).rolling(SUSTAIN_WINDOWS, min_periods=SUSTAIN_WINDOWS).mean()
        sustained = np.flatnonzero(rolling.to_numpy() >= SUSTAIN_SHARE)
        if len(sustained) == 0:
            return None
        end = sustained[0]
        block = hit.to_numpy()[end - SUSTAIN_WINDOWS + 1: end + 1]
        first = end - SUSTAIN_WINDOWS + 1 + int(np.argmax(block))
        ts = float(self.w5.index[first])
        return Onset(ts, self.users_at(ts))

    def users_at(self, ts: float) -> float:
        value = self.value_at(self.w5["users"], ts)
        return math.nan if value is None else float(value)

    @staticmethod
    def value_at(series: pd.Series, ts: float) -> Any:
        """A windowed series' value in the window holding `ts` (None when it is empty)."""
        position = int(np.searchsorted(series.index.to_numpy(), ts, side="right")) - 1
        return series.iloc[max(position, 0)] if len(series) else None

    def after(self, series: pd.Series, ts: float) -> pd.Series:
        return series[series.index >= ts]

    def correlation(self, series: pd.Series) -> float | None:
        """Spearman rho between windowed p95 and a signal (5 s windows with traffic)."""
        frame = pd.DataFrame({"p95": self.w5["p95"], "signal": series.reindex(self.w5.index)})
        frame = frame[(self.w5["count"] > 0)].dropna()
        if len(frame) < MIN_CORRELATION_POINTS or frame["signal"].nunique() < 3 \
                or frame["p95"].nunique() < 3:
            return None
        rho = spearmanr(frame["p95"], frame["signal"]).statistic
        return None if rho is None or math.isnan(rho) else float(rho)

    def affected_requests(self, since: float | None, limit: int = 5) -> list[str]:
        """Request names whose mean latency (exact, from sums) rose most after `since`."""
        frame = self.w5_names[self.w5_names["name"] != ALL]
        if frame.empty:
            return []
        if since is None:
            since = float(self.w5.index[len(self.w5) // 2]) if len(self.w5) else 0.0
        before = latency_by_name(frame[frame["start"] < since])["mean_ms"]
        after = latency_by_name(frame[frame["start"] >= since])["mean_ms"]
        ratio = (after / before).dropna().sort_values(ascending=False)
        return [str(name) for name, value in ratio.items() if value >= 1.5][:limit]

    def db_time(self) -> pd.Series:
        """Statement execution time per 5 s window (ms), all statements: timed by the
        engine, plus the sampled time of statements it does not time."""
        sampled = self.sampled_statement_time()
        extra = sampled.sum(axis=1, min_count=1) if sampled.shape[1] else None
        if self.statements.empty:
            return extra if extra is not None else pd.Series(np.nan, index=self.w5.index)
        frame = self.statements.assign(window=time_labels(self.statements["ts"], WINDOW_S))
        timed = frame.groupby("window")["total_exec_time_ms"].sum().reindex(self.w5.index)
        return timed if extra is None else timed.add(extra, fill_value=0.0)

    def job_waits(self, inside: np.ndarray | None = None) -> tuple[float, float]:
        """(failed, ended) waits for queued work (JOB rows), in the windows `inside` or all."""
        jobs = self.jobs if inside is None or self.jobs.empty else self.jobs[inside]
        if jobs.empty:
            return 0.0, 0.0
        return float(jobs["failures"].sum()), float(jobs["count"].sum())

    def sampled_statement_time(self) -> pd.DataFrame:
        """Window x statement id: DB time (ms) of statements no digest times (MariaDB's
        prepared statements), estimated as the mean sessions seen running them times
        the window's length (Little's law, as ASH does)."""
        rows = self.metrics5[self.metrics5["base"].isin(DB_ACTIVE_STATEMENT.names)]
        if rows.empty:
            return pd.DataFrame(index=self.w5.index)
        wide = rows.pivot_table(index="window", columns="label", values="value",
                                aggfunc="sum")
        return wide.reindex(self.w5.index) * WINDOW_S * 1000.0



def build_context(dataset: Dataset) -> Context:
    """All derived frames from the dataset's measurement files (never campaign.toml)."""
    per_second = users_per_second(dataset.users)
    phase_spans = phases(per_second)
    load_steps = steps(per_second)
    # JOB rows time queued work (document/export turnaround), not pages: keep them out of
    # page latency, throughput and the SLOs.
    methods = dataset.requests["method"].astype(str)
    is_job, is_visit = methods == JOB_METHOD, methods == VISIT_METHOD
    requests = dataset.requests[~methods.isin(NOT_PAGES)].reset_index(drop=True)
    planned = planned_rates(dataset.events)
    ramp = ramp_seconds(per_second, planned)
    ts = requests["ts"].to_numpy(dtype=float)
    level_labels, level_spans, level_source = _levels(per_second, load_steps, ts)
    groupings = [
        Grouping("1s", time_labels(ts, 1.0), by_name=False, width=1.0),
        Grouping("5s", time_labels(ts, WINDOW_S), by_name=True, width=WINDOW_S),
        Grouping("phase", label_rows(ts, [(p.label, p.start, p.end) for p in phase_spans]),
                 by_name=True, spans={p.label: (p.start, p.end) for p in phase_spans}),
        Grouping("level", level_labels, by_name=False, spans=level_spans),
        Grouping("run", np.full(len(ts), "run", dtype=object), by_name=True,
                 spans={"run": _run_span(per_second, ts)}),
        _ramp_grouping(ramp, phase_spans, ts),
    ]
    stats = window_stats(requests, groupings)
    w5_names = stats["5s"]
    w5 = _grid(w5_names, per_second, requests, dataset.users)
    levels = _level_points(stats["level"], per_second)
    metrics5 = _metrics_windows(dataset.metrics)
    notes = list(dataset.notes)
    if is_job.any():
        notes.append(f"{int(dataset.requests.loc[is_job, 'count'].sum())} queued-job turnarounds "
                     "(method JOB) are excluded from page latency and throughput")
    if is_visit.any():
        notes.append(f"{int(dataset.requests.loc[is_visit, 'count'].sum())} open-model "
                     "arrivals (method VISIT) are excluded from page latency, throughput "
                     "and errors; the arrivals table has them")
    errors = dataset.errors[dataset.errors["method"].astype(str) != VISIT_METHOD]
    ncpu = _cpu_counts(metrics5, notes)
    return Context(
        per_second=per_second, phases=phase_spans, steps=load_steps, w1=stats["1s"], w5=w5,
        w5_names=w5_names, phase_stats=stats["phase"], run_stats=stats["run"],
        level_stats=stats["level"], ramp_stats=stats["ramp"],
        metrics5=metrics5, statements=dataset.statements, queries=dataset.queries,
        tables=dataset.tables, errors=errors, events=dataset.events,
        capacity=analyze_capacity(levels, level_source), ncpu=ncpu, notes=notes,
        db_engine="mysql" if (dataset.metrics["collector"] == "mysql").any() else "postgresql",
        jobs=_job_windows(dataset.requests[is_job], w5.index),
        blockers=dataset.blockers,
        peaks5=_metrics_windows(dataset.metrics[dataset.metrics["base"].isin(
            [name for signal in PEAK_SIGNALS for name in signal.names])], "max"),
        processes=dataset.processes,
        sessions=dataset.sessions,
        ramp=ramp,
        arrivals=by_phase(dataset.requests[is_visit], phase_spans, planned),
        run=run_status(dataset.events, float(per_second.index.max()) + 1.0
                       if len(per_second) else math.nan),
    )


def _job_windows(jobs: pd.DataFrame, grid: pd.Index) -> pd.DataFrame:
    """JOB rows summed per 5 s window on the grid (zeros where none ended)."""
    columns = ["count", "failures", "sum_ms"]
    if jobs.empty:
        return pd.DataFrame(0.0, index=grid, columns=columns)
    window = time_labels(jobs["ts"].to_numpy(dtype=float), WINDOW_S)
    sums = jobs[columns].astype(float).groupby(window).sum()
    return sums.reindex(grid, fill_value=0.0)


def _run_span(per_second: pd.DataFrame, ts: np.ndarray) -> tuple[float, float]:
    """[first, last + 1 s) over users and requests: the duration rps is computed over."""
    starts = [*per_second.index[:1].tolist(), *ts[:1].tolist()]
    ends = [*per_second.index[-1:].tolist(), *ts[-1:].tolist()]
    return (min(starts, default=0.0), max(ends, default=0.0) + 1.0)


def _grid(w5_names: pd.DataFrame, per_second: pd.DataFrame, requests: pd.DataFrame,
          users: pd.DataFrame) -> pd.DataFrame:
    """Overall 5 s stats plus mean users and the phase, on a gap-free grid."""
    start_ts = min([*requests["ts"].tolist()[:1], *users["ts"].tolist()[:1]], default=0.0)
    end_ts = max([*requests["ts"].tolist()[-1:], *users["ts"].tolist()[-1:]], default=0.0)
    first, last = (math.floor(ts / WINDOW_S) for ts in (start_ts, end_ts))
    # counted in whole windows: at epoch magnitudes a float `stop` of end + 1e-9 is end
    # itself, and a run inside one window got no window at all
    index = pd.Index((first + np.arange(last - first + 1)) * WINDOW_S, name="window",
                     dtype="float64")
    overall = w5_names[w5_names["name"] == ALL].set_index("label").drop(columns=["name"])
    grid = overall.reindex(index)
    grid["count"] = grid["count"].fillna(0)
    grid["failures"] = grid["failures"].fillna(0)
    grid["rps"] = grid["rps"].fillna(0.0)
    seconds = per_second.assign(window=time_labels(per_second.index.to_numpy(), WINDOW_S))
    by_window = seconds.groupby("window").agg(users=("users", "mean"),
                                              target_users=("target_users", "max"),
                                              phase=("phase", "last"))
    return grid.join(by_window.reindex(index))


def _levels(per_second: pd.DataFrame, load_steps: list[Step],
            ts: np.ndarray) -> tuple[np.ndarray, dict[str, tuple[float, float]], str]:
    """Row labels of the load levels: steady parts of steps, else bins of target users."""
    if len(load_steps) >= 3:
        spans = {s.label: (s.steady_start, s.end) for s in load_steps}
        labels = label_rows(ts, [(label, a, b) for label, (a, b) in spans.items()])
        return labels, spans, "steady state of each load step"
    target = per_second["target_users"]
    target = target[target > 0]
    if target.nunique() < 3:
        return np.full(len(ts), None, dtype=object), {}, "none (fewer than 3 load levels)"
    edges = np.linspace(target.min(), target.max() + 1e-9, LOAD_BINS + 1)
    bins = np.clip(np.searchsorted(edges, target.to_numpy(), side="right") - 1, 0, LOAD_BINS - 1)
    second_label = pd.Series([f"users {edges[b]:.0f}-{edges[b + 1]:.0f}" for b in bins],
                             index=target.index)
    labels = second_label.reindex(np.floor(ts)).to_numpy(dtype=object)
    spans = {}
    for label, group in second_label.groupby(second_label):
        spans[label] = (float(group.index.min()), float(group.index.min()) + len(group))
    return labels, spans, "bins of target users (no steady steps)"


def _level_points(level_stats: pd.DataFrame, per_second: pd.DataFrame) -> list[Level]:
    points = []
    for row in level_stats.itertuples():
        seconds = per_second.loc[(per_second.index >= row.start) & (per_second.index < row.end)]
        users = float(seconds["users"].mean()) if len(seconds) else math.nan
        points.append(Level(str(row.label), users, float(row.rps), float(row.p95),
                            float(row.mean_ms), float(row.start), float(row.end)))
    return [p for p in points if p.users > 0]


def latency_by_name(windows: pd.DataFrame) -> pd.DataFrame:
    """Requests and mean latency per request name over some 5 s windows of `w5_names`,
    exact from the windows' sums (NaN mean where none was served)."""
    counts = windows.groupby("name")["count"].sum()
    weighted = (windows["mean_ms"] * windows["count"]).groupby(windows["name"]).sum()
    return pd.DataFrame({"count": counts, "mean_ms": weighted / counts.where(counts > 0)})


RAMP_S = 15  # seconds after users rose in which requests count as the ramp's


def ramp_seconds(per_second: pd.DataFrame, planned: pd.Series | None = None) -> pd.Series:
    """Per second of the run: True within RAMP_S seconds after the load rose (logins,
    cold caches and a burst of new sessions, not the steady state): the running users
    rose, or in an open-model run (`planned` arrival rates) the planned rate rose,
    since its visits in flight come and go every second."""
    if per_second.empty:
        return pd.Series(dtype=bool)
    users = per_second["users"].astype(float)
    seconds = pd.RangeIndex(int(users.index.min()), int(users.index.max()) + 1)
    if planned is not None and not planned.empty:
        rose = pd.Series(rate_rises(planned, seconds).to_numpy(dtype=bool), index=seconds)
    else:
        users = users.groupby(np.floor(users.index.to_numpy(dtype=float)).astype(int)).max()
        rose = users.reindex(seconds).ffill().diff().fillna(users.iloc[0]) > 0
    return rose.astype(float).rolling(RAMP_S, min_periods=1).max() > 0


def _ramp_grouping(ramp: pd.Series, spans: list[Span], ts: np.ndarray) -> Grouping:
    phase_of = label_rows(ts, [(p.label, p.start, p.end) for p in spans])
    seconds = np.floor(ts).astype(int)
    in_ramp = ramp.reindex(seconds, fill_value=False).to_numpy(dtype=bool) if len(ramp) else \
        np.zeros(len(ts), dtype=bool)
    labels = np.array([None if phase is None else f"{phase} {'ramp' if up else 'steady'}"
                       for phase, up in zip(phase_of, in_ramp, strict=True)], dtype=object)
    return Grouping("ramp", labels, by_name=False,
                    spans={f"{p.label} {part}": (p.start, p.end) for p in spans
                           for part in ("ramp", "steady")})


def _metrics_windows(metrics: pd.DataFrame, how: str = "mean") -> pd.DataFrame:
    """Mean (or max) of each (metric, label, target) per 5 s window, long format."""
    if metrics.empty:
        return pd.DataFrame({"window": pd.Series(dtype="float64"), "base": pd.Series(dtype="str"),
                             "label": pd.Series(dtype="str"), "target": pd.Series(dtype="str"),
                             "value": pd.Series(dtype="float64")})
    frame = metrics.assign(window=time_labels(metrics["ts"], WINDOW_S))
    return frame.groupby(["window", "base", "label", "target"], as_index=False,
                         observed=True)["value"].agg(how)


def _cpu_counts(metrics5: pd.DataFrame, notes: list[str]) -> dict[str, float]:
    """CPUs per target: `cpu.count` when measured, else sum(proc.cpu) / cpu.util."""
    counts: dict[str, float] = {}
    measured = metrics5[metrics5["base"].isin(CPU_COUNT.names)]
    for target, value in measured.groupby("target")["value"].max().items():
        counts[str(target)] = float(value)
    util = metrics5[metrics5["base"].isin(CPU_UTIL.names)].groupby(
        ["target", "window"])["value"].mean()
    procs = metrics5[metrics5["base"].isin(PROC_CPU.names)].groupby(
        ["target", "window"])["value"].sum()
    joined = pd.DataFrame({"util": util, "cores": procs}).dropna()
    joined = joined[joined["util"] >= 0.1]
    for target, part in joined.groupby(level="target"):
        if str(target) in counts:
            continue
        estimate = float(np.median(part["cores"] / part["util"]))
        counts[str(target)] = max(1.0, round(estimate))
        notes.append(f"CPU count of {target} estimated as {counts[str(target)]:.0f} "
                     "from proc.cpu / cpu.util (no cpu.count metric)")
    return counts
