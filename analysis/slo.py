"""SLOs evaluated per phase: p95, errors, failed waits for queued work, queue length,
cache hit ratio, DB connections, CPU.

Why per phase: a warm-up or a spike should not hide (or fail) the steady phase; the
defaults are the eSPPD plan's, overridable from the campaign's [slo] table or by the
caller. A signal that was not measured in a phase is reported as skipped, not passed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from analysis.context import RAMP_S, WINDOW_S, Context
from analysis.errors import AnalysisError
from analysis.latency import ALL, time_labels
from analysis.signals import (
    CPU_UTIL,
    DB_ACTIVE,
    DB_MAX,
    DB_TOTAL,
    QUEUE_LENGTH,
    REDIS_HIT_RATIO,
    REDIS_LOOKUPS,
)

P95_SLO = "p95 latency"
CACHE_HOW = (f"redis.hit_ratio while requests were served, by lookups; the cold keys of "
             f"users who joined in the last {RAMP_S} s left out")
MIN_P95_REQUESTS = 20


@dataclass(frozen=True)
class SloSpec:
    """Limits; names are the keys accepted in campaign.toml [slo] and as overrides."""

    p95_ms: float = 500.0
    error_rate: float = 0.01
    queue_length: float = 100.0
    cache_hit_ratio: float = 0.80
    db_connections_ratio: float = 0.80
    cpu_util: float = 0.80
    cpu_sustain_s: float = 60.0


@dataclass(frozen=True)
class SloResult:
    """One SLO in one phase; passed is None when the signal was not measured."""

    slo: str
    phase: str
    limit: float
    value: float | None
    unit: str
    passed: bool | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def slo_spec(campaign: Mapping[str, Any], overrides: Mapping[str, float] | None = None) -> SloSpec:
    """Defaults <- campaign [slo] <- overrides; an unknown key fails naming the key."""
    spec = SloSpec()
    known = {f.name for f in fields(SloSpec)}
    for source, values in (("campaign.toml [slo]", campaign.get("slo") or {}),
                           ("SLO override", overrides or {})):
        if not isinstance(values, Mapping):
            raise AnalysisError(f"{source}: expected a table of limits")
        for key, value in values.items():
            if key not in known:
                raise AnalysisError(
                    f"{source}: unknown SLO {key!r} (known: {', '.join(sorted(known))})")
            try:
                spec = replace(spec, **{key: float(value)})
            except (TypeError, ValueError):
                raise AnalysisError(f"{source}: {key} must be a number, got {value!r}") from None
    return spec


def evaluate(ctx: Context, spec: SloSpec) -> list[SloResult]:
    results: list[SloResult] = []
    if float(ctx.w5["count"].sum()) <= 0 if len(ctx.w5) else True:
        # No traffic at all is a failed campaign, not a passed one.
        results.append(SloResult("requests recorded > 0", "run", 0.0, 0.0, "requests", False,
                                 "requests.csv holds no requests"))
    overall = ctx.phase_stats[ctx.phase_stats["name"] == ALL].set_index("label")
    cold = _ramp_windows(ctx)
    for phase in ctx.phases:
        inside = (ctx.w5.index >= phase.start) & (ctx.w5.index < phase.end)
        row = overall.loc[phase.label] if phase.label in overall.index else None
        # Below 20 requests a p95 is the slowest request (a cold start in a 1 s ramp-up):
        # too few to judge, so not measured rather than failed or passed.
        count = int(row["count"]) if row is not None else 0
        enough = row is not None and count >= MIN_P95_REQUESTS
        p95 = float(row["p95"]) if row is not None and enough else math.nan
        errors = float(row["error_rate"]) if row is not None else math.nan
        results.append(_below(P95_SLO, phase.label, p95, spec.p95_ms, "ms",
                              "p95 of the merged latency histogram of the phase"
                              if enough or row is None else
                              f"only {count} requests in the phase: a p95 would "
                              "be its slowest request"))
        results.append(_below("error rate", phase.label, errors, spec.error_rate, "ratio",
                              "failures / requests in the phase"))
        jobs_failed, jobs_ended = ctx.job_waits(inside)
        if jobs_ended > 0:
            # What users waited on (a document, an export) is part of their experience
            # even though it is no page: a wait that ended without the result failed.
            results.append(_below("failed waits for queued work", phase.label,
                                  jobs_failed / jobs_ended, spec.error_rate, "ratio",
                                  "JOB turnarounds that failed or gave up / all that ended"))
        queue = _max_inside(_queue_total(ctx), inside)
        results.append(_below("queue length", phase.label, queue, spec.queue_length, "jobs",
                              "largest 5 s mean of the summed queue lengths"))
        # Users' lookups only: with no requests, what is left (a queue worker polling
        # Laravel's restart key, say) says nothing about the cache users get.
        serving = inside & (ctx.w5["count"] > 0).to_numpy() if len(ctx.w5) else inside
        warm = serving & ~cold
        results.append(_above("cache hit ratio", phase.label, _hit_ratio(ctx, warm),
                              spec.cache_hit_ratio, "ratio",
                              CACHE_HOW if warm.any() or not serving.any() else
                              f"users joined within {RAMP_S} s of every window with "
                              "requests: their keys were cold"))
        results.append(_below("DB connections", phase.label,
                              _max_inside(_connection_ratio(ctx), inside),
                              spec.db_connections_ratio, "ratio of max_connections",
                              "largest 5 s mean of connections / max_connections"))
        results.append(_below("CPU sustained", phase.label,
                              _max_inside(_sustained_cpu(ctx, spec.cpu_sustain_s), inside),
                              spec.cpu_util, "ratio",
                              f"highest {spec.cpu_sustain_s:.0f} s mean of cpu.util on any host"
                              + ("" if phase.duration_s >= spec.cpu_sustain_s else
                                 f", ending inside this {phase.duration_s:.0f} s phase, so "
                                 "partly from the seconds before it")))
    return results


def all_hold(results: list[SloResult]) -> bool:
    """True when no SLO failed (skipped ones do not fail); the runner maps it to exit 0."""
    return all(result.passed is not False for result in results)


def _below(slo: str, phase: str, value: float, limit: float, unit: str, how: str) -> SloResult:
    return _result(f"{slo} < {_fmt(limit, unit)}", phase, value, limit, unit, value < limit, how)


def _above(slo: str, phase: str, value: float, limit: float, unit: str, how: str) -> SloResult:
    return _result(f"{slo} > {_fmt(limit, unit)}", phase, value, limit, unit, value > limit, how)


def _result(name: str, phase: str, value: float, limit: float, unit: str, ok: bool,
            how: str) -> SloResult:
    if value is None or math.isnan(value):
        return SloResult(name, phase, limit, None, unit, None, f"not measured ({how})")
    return SloResult(name, phase, limit, float(value), unit, bool(ok),
                     f"{_fmt(value, unit)} ({how})")


def _fmt(value: float, unit: str) -> str:
    if unit.startswith("ratio"):
        return f"{value * 100:.1f}%"
    return f"{value:.0f} {unit}"


def _max_inside(series: pd.Series, inside: Any) -> float:
    part = series[inside]
    return float(part.max()) if part.notna().any() else math.nan


def _ramp_windows(ctx: Context) -> np.ndarray:
    """Per 5 s window: some second of it lies within RAMP_S s of users joining."""
    if ctx.ramp.empty:
        return np.zeros(len(ctx.w5), dtype=bool)
    ramp = ctx.ramp.groupby(time_labels(ctx.ramp.index, WINDOW_S)).max()
    return ramp.reindex(ctx.w5.index, fill_value=False).to_numpy(dtype=bool)


def _hit_ratio(ctx: Context, windows: np.ndarray) -> float:
    """Hit ratio of the lookups in `windows`: each window weighted by its lookups when the
    collector counted them (a few cold lookups then weigh little), else a plain mean."""
    ratio = ctx.signal(REDIS_HIT_RATIO)[windows]
    lookups = ctx.signal(REDIS_LOOKUPS, how="sum")[windows]
    known = ratio.notna().to_numpy()
    if not known.any():
        return math.nan
    weights = lookups[known]
    if weights.notna().all() and weights.sum() > 0:
        return float((ratio[known] * weights).sum() / weights.sum())
    return float(ratio[known].mean())


def _queue_total(ctx: Context) -> pd.Series:
    names = ctx.labels(QUEUE_LENGTH)
    if not names:
        return pd.Series(math.nan, index=ctx.w5.index)
    return sum((ctx.signal(QUEUE_LENGTH, n, how="sum").fillna(0) for n in names[1:]),
               ctx.signal(QUEUE_LENGTH, names[0], how="sum"))


def _connection_ratio(ctx: Context) -> pd.Series:
    total = ctx.signal(DB_TOTAL, how="sum")
    if total.isna().all():
        total = ctx.signal(DB_ACTIVE, how="sum")
    limit = ctx.signal(DB_MAX)
    return total / limit.where(limit > 0)


def _sustained_cpu(ctx: Context, sustain_s: float) -> pd.Series:
    util = ctx.per_target(CPU_UTIL)
    if util.shape[1] == 0:
        return pd.Series(math.nan, index=ctx.w5.index)
    windows = max(1, round(sustain_s / WINDOW_S))
    # A phase shorter than the sustain window is judged on at least 30 s of samples.
    return util.rolling(windows, min_periods=min(windows, 6)).mean().max(axis=1)
