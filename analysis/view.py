"""The analysis as plain data: the one model that analysis.json, summary.md and the
report are all rendered from, so the three never disagree.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.capacity import Capacity
from analysis.context import Context
from analysis.findings import Finding
from analysis.latency import ALL
from analysis.slo import SloResult, SloSpec
from analysis.timefmt import iso
from analysis.tuning import tuning_sheet

SECRET_KEY = re.compile(r"pass(word)?|secret|token|api_?key|private", re.IGNORECASE)
DSN_PASSWORD = re.compile(r"(://[^:/@\s]+:)([^@\s]+)(@)")
TOP_STATEMENTS = 10


@dataclass(frozen=True)
class Model:
    """Everything the outputs show, as JSON-ready values."""

    data: dict[str, Any]


def verdict_sentence(finding: Finding) -> str:
    when = ""
    if finding.onset_users is not None and finding.onset_ts is not None:
        when = f", from {finding.onset_users:.0f} users at {iso(finding.onset_ts)}"
    return (f"Verdict: {finding.bottleneck} (confidence {finding.confidence:.2f}{when}). "
            f"{finding.summary}")


def build_model(ctx: Context, campaign: dict[str, Any], findings: list[Finding],
                slo: list[SloResult], spec: SloSpec, slo_ok: bool,
                statements: pd.DataFrame, use: pd.DataFrame, results_dir: str) -> Model:
    start = float(ctx.w5.index.min()) if len(ctx.w5) else math.nan
    end = float(ctx.w5.index.max()) + 5.0 if len(ctx.w5) else math.nan
    data = {
        "results_dir": results_dir,
        "campaign": str(campaign.get("name", results_dir)),
        "start": iso(start), "end": iso(end),
        "duration_s": end - start if not math.isnan(start) else None,
        "run": ctx.run.to_dict() | {"partial": ctx.run.describe()},
        "verdict": verdict_sentence(findings[0]),
        "verdicts": [f.to_dict() for f in findings],
        "slo": {"ok": slo_ok, "limits": spec.__dict__, "results": [r.to_dict() for r in slo],
                "not_judged": not_judged(slo, [phase.label for phase in ctx.phases])},
        "capacity": _capacity(ctx.capacity),
        "phases": _phases(ctx),
        "arrivals": [item.to_dict() for item in ctx.arrivals],
        "requests": _per_request(ctx.run_stats),
        "overall": _overall(ctx),
        "tuning": tuning_sheet(ctx).to_dict(),
        "use": _records(use),
        "statements": _statements(statements),
        "errors": _errors(ctx),
        "caveats": _caveats(campaign, ctx, slo),
        "notes": list(ctx.notes),
        "config": redact(campaign),
    }
    return Model(clean(data))


def not_judged(results: list[SloResult], phases: list[str]) -> list[str]:
    """The skipped SLO rows said once per SLO and reason (not one row per phase), so
    the table lists only what was judged."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for result in results:
        if result.passed is None:
            grouped.setdefault((result.slo, result.detail), []).append(result.phase)
    return [f"{slo}: {detail}, " + ("in every phase" if set(where) >= set(phases) and
                                    len(where) > 1 else ", ".join(where))
            for (slo, detail), where in grouped.items()]


def clean(value: Any) -> Any:
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def redact(value: Any, key: str = "") -> Any:
    """Belt and braces: campaign.toml is redacted by the runner; redact again here."""
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    if isinstance(value, str):
        if SECRET_KEY.search(key) and value:
            return "***"
        return DSN_PASSWORD.sub(r"\1***\3", value)
    return value


def config_text(config: dict[str, Any]) -> str:
    return json.dumps(config, indent=2, default=str, ensure_ascii=False)


def _capacity(capacity: Capacity) -> dict[str, Any]:
    data = capacity.to_dict()
    if data["knee"]:
        data["knee"]["iso"] = iso(data["knee"]["ts"])
    return data


def _phases(ctx: Context) -> list[dict[str, Any]]:
    out = []
    stats = ctx.phase_stats
    for phase in ctx.phases:
        rows = stats[stats["label"] == phase.label]
        overall = rows[rows["name"] == ALL]
        users = ctx.per_second.loc[(ctx.per_second.index >= phase.start)
                                   & (ctx.per_second.index < phase.end), "users"]
        item: dict[str, Any] = {"phase": phase.label, "start": phase.start, "end": phase.end,
                                "start_iso": iso(phase.start), "duration_s": phase.duration_s,
                                "users_max": float(users.max()) if len(users) else None}
        if len(overall):
            item |= _stat(overall.iloc[0])
        else:  # a phase without requests (e.g. idle after the shape ended)
            item |= dict.fromkeys(STAT_KEYS) | {"count": 0, "failures": 0}
        item["requests"] = _per_request(rows)
        out.append(item)
    return out


STAT_KEYS = ("count", "failures", "rps", "error_rate", "mean_ms", "p50", "p90", "p95", "p99",
             "max_ms", "p95_co", "p99_co")


def _stat(row: pd.Series) -> dict[str, Any]:
    return {k: float(row[k]) if k not in ("count", "failures") else int(row[k])
            for k in STAT_KEYS}


def _overall(ctx: Context) -> dict[str, Any]:
    """All pages over the whole run, and the most users at once (the history's row)."""
    rows = ctx.run_stats[ctx.run_stats["name"] == ALL]
    users = ctx.per_second["users"]
    return {**(_stat(rows.iloc[0]) if len(rows) else dict.fromkeys(STAT_KEYS)),
            "users_max": float(users.max()) if len(users) else None}


def _per_request(stats: pd.DataFrame) -> list[dict[str, Any]]:
    rows = stats[stats["name"] != ALL].sort_values("count", ascending=False)
    return [{"name": str(row["name"]), **_stat(row)} for _, row in rows.iterrows()]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def _statements(totals: pd.DataFrame) -> list[dict[str, Any]]:
    if totals.empty:
        return []
    out = []
    for queryid, row in totals.head(TOP_STATEMENTS).iterrows():
        out.append({"queryid": str(queryid), "share": float(row["share"]),
                    "calls": _counted(row["calls"], int), "total_ms": float(row["total_ms"]),
                    "mean_ms": _counted(row["mean_ms"], float),
                    "rows_per_call": _counted(row["rows_per_call"], float),
                    "shared_blks_read": _counted(row["read"], int),
                    "temp_blks_written": int(row["temp"]),
                    "sampled": bool(row.get("sampled", False)), "query": str(row["query"])})
    return out


def _counted(value: Any, cast: type[int] | type[float]) -> int | float | None:
    """None for what the server did not count (a statement known only from sampling
    its running sessions has a time but no calls, rows or blocks)."""
    return None if pd.isna(value) else cast(value)


def _errors(ctx: Context) -> list[dict[str, Any]]:
    errors = ctx.errors
    if errors.empty:
        return []
    grouped = errors.groupby("error").agg(count=("count", "sum"), first=("ts", "min"),
                                          last=("ts", "max"))
    keys = errors["method"].astype(str) + " " + errors["name"].astype(str)
    names = keys.groupby(errors["error"]).agg(lambda s: sorted(set(s)))
    out = []
    for message, row in grouped.sort_values("count", ascending=False).head(10).iterrows():
        out.append({"error": str(message), "count": int(row["count"]),
                    "first": iso(row["first"]), "last": iso(row["last"]),
                    "requests": names[message][:5]})
    return out


def _caveats(campaign: dict[str, Any], ctx: Context, slo: list[SloResult]) -> list[str]:
    """Caveats that apply to this run: coordinated omission only bends the tail of a
    closed-model run that stalled (a knee, or a failed latency SLO); an open-model run
    is only as open as its visitor pool let it be."""
    if ctx.open_model:
        return [_open_model_caveat(ctx)]
    stalled = ctx.capacity.knee is not None or any(
        result.passed is False and result.unit == "ms" for result in slo)
    imported = campaign.get("imported") if isinstance(campaign.get("imported"), dict) else {}
    waits = (imported or {}).get("waits") or "Locust users"
    caveats = []
    if stalled:
        corrected = _worst_correction(ctx)
        caveats.append(
            f"Coordinated omission: this was a closed-model run ({waits} wait for each "
            "response, and constant pacing does not catch up), so during a stall fewer requests "
            "were sent and measured latency percentiles look better than what users "
            "experienced. " + (corrected or "Treat tail latencies above the knee as lower "
                                             "bounds."))
    return caveats


def _open_model_caveat(ctx: Context) -> str:
    text = ("Open model: visits arrived at the planned rate whatever the responses did, so "
            "a slow target met the whole planned load and the percentiles include what its "
            "users waited (no coordinated omission between visits; the pages of one visit "
            "still follow each other).")
    arrived = sum(item.arrivals for item in ctx.arrivals)
    dropped = sum(item.dropped for item in ctx.arrivals)
    if not dropped:
        return text + f" All {arrived} arrivals started a visit."
    worst = max(ctx.arrivals, key=lambda item: item.dropped / max(1, item.arrivals))
    return (text + f" But {dropped} of {arrived} arrivals ({dropped / arrived:.1%}) were "
            f"dropped because every visitor of their class was busy (most in {worst.phase}: "
            f"{worst.dropped} of {worst.arrivals}), so the target received less than planned "
            "there; raise [load] users (the most visits in flight) and run again.")


def _worst_correction(ctx: Context) -> str:
    """The phase whose p99 the coordinated-omission correction raises most, said with
    the method; '' when the run recorded no correction."""
    stats = ctx.phase_stats[ctx.phase_stats["name"] == ALL].dropna(subset=["p99", "p99_co"])
    if stats.empty:
        return ""
    worst = stats.loc[(stats["p99_co"] / stats["p99"]).idxmax()]
    if worst["p99_co"] <= worst["p99"] and worst["p95_co"] <= worst["p95"]:
        return ("Corrected (HdrHistogram's expected-interval method, each user's mean think "
                "time as its interval): no response outlasted its user's interval enough to "
                "hide a request, so the measured percentiles stand.")
    return (f"Corrected (HdrHistogram's expected-interval method, each user's mean think "
            f"time as its interval): {worst['label']} p99 {worst['p99_co']:.0f} ms and p95 "
            f"{worst['p95_co']:.0f} ms, where the responses say {worst['p99']:.0f} and "
            f"{worst['p95']:.0f} ms; the phases table has the corrected p99 of each phase.")
