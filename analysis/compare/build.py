"""Before and after: what changed between a base run and each newer run, and whether
each difference is beyond noise (analysis.compare.noise).

Runs are matched by what they share: phases by name, requests by method and name,
statements by their normalized text (a fresh database gives the same statement
another PostgreSQL queryid), process groups by name. Verdicts, SLOs and capacity come
from each run's own analysis.json, so a comparison never re-judges a run differently.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.api import analyze
from analysis.compare.noise import Change, Seconds, compare, error_points
from analysis.context import Context, build_context
from analysis.dataset import read_dataset
from analysis.latency import ALL, request_keys
from analysis.rules.statements import statement_totals
from analysis.signals import PROC_CPU
from scenarios.aggregate import NOT_PAGES

MIN_REQUESTS = 20       # per group and run, below it percentiles say little
TOP_STATEMENTS = 15
STATEMENT_CHANGE = 1.25  # mean time per call this much slower (or faster) is a change
RUN = "whole run"


@dataclass(frozen=True)
class Run:
    path: Path
    name: str
    ctx: Context
    pages: pd.DataFrame       # requests.csv rows that are pages (not JOB/VISIT)
    analysis: dict[str, Any]  # its analysis.json

    @property
    def start(self) -> float:
        return float(self.ctx.w5.index.min()) if len(self.ctx.w5) else math.nan

    def spans(self) -> dict[str, tuple[float, float]]:
        """Phase label -> [start, end), and the whole run."""
        spans = {phase.label: (phase.start, phase.end) for phase in self.ctx.phases}
        if self.ctx.phases:
            spans[RUN] = (self.ctx.phases[0].start, self.ctx.phases[-1].end)
        return spans


def load_run(path: Path) -> Run:
    """A results directory, analyzed first when it has no analysis.json yet."""
    path = Path(path)
    if not (path / "analysis.json").is_file():
        analyze(path)
    dataset = read_dataset(path)
    pages = dataset.requests[~dataset.requests["method"].astype(str).isin(NOT_PAGES)]
    analysis = json.loads((path / "analysis.json").read_text(encoding="utf-8"))
    return Run(path, path.name, build_context(dataset), pages.reset_index(drop=True), analysis)


def request_rows(base: Run, new: Run) -> list[dict[str, Any]]:
    """Per phase (and the whole run) and request (and all pages together): latency
    percentiles and throughput of both runs, their change and its noise interval."""
    rows = []
    base_spans, new_spans = base.spans(), new.spans()
    base_keys, new_keys = request_keys(base.pages), request_keys(new.pages)
    for phase in [label for label in new_spans if label in base_spans]:
        (b0, b1), (n0, n1) = base_spans[phase], new_spans[phase]
        in_base = base.pages[(base.pages["ts"] >= b0) & (base.pages["ts"] < b1)]
        in_new = new.pages[(new.pages["ts"] >= n0) & (new.pages["ts"] < n1)]
        names = sorted(set(base_keys[in_base.index]) & set(new_keys[in_new.index]))
        for name in [ALL, *names]:
            mine_b = in_base if name == ALL else in_base[base_keys[in_base.index] == name]
            mine_n = in_new if name == ALL else in_new[new_keys[in_new.index] == name]
            seconds_b, seconds_n = Seconds.of(mine_b, b0, b1), Seconds.of(mine_n, n0, n1)
            if min(seconds_b.total, seconds_n.total) < MIN_REQUESTS:
                continue
            changes: dict[str, Change] = {
                "p50": compare(seconds_b, seconds_n, 0.50),
                "p95": compare(seconds_b, seconds_n, 0.95),
                "p99": compare(seconds_b, seconds_n, 0.99),
                "rps": compare(seconds_b, seconds_n, None)}
            errors_b, errors_n, errors_moved = error_points(seconds_b, seconds_n)
            rows.append({"phase": phase, "request": name, "count_base": seconds_b.total,
                         "count_new": seconds_n.total,
                         **{key: change.to_dict() for key, change in changes.items()},
                         "errors": {"base": errors_b, "new": errors_n,
                                    "significant": errors_moved}})
    return rows


def capacity_change(base: Run, new: Run) -> dict[str, Any]:
    def knee(run: Run) -> float | None:
        found = (run.analysis.get("capacity") or {}).get("knee")
        return float(found["users"]) if found else None

    def x_max(run: Run) -> float | None:
        usl = (run.analysis.get("capacity") or {}).get("usl")
        return float(usl["x_max"]) if usl and usl.get("x_max") is not None else None

    base_x, new_x = x_max(base), x_max(new)
    return {"knee_base": knee(base), "knee_new": knee(new), "x_max_base": base_x,
            "x_max_new": new_x,
            "x_max_ratio": new_x / base_x if base_x and new_x is not None else None}


def slo_changes(base: Run, new: Run) -> list[dict[str, Any]]:
    """SLO rows (phase, SLO) whose pass/fail differs between the runs."""
    def results(run: Run) -> dict[tuple[str, str], dict[str, Any]]:
        return {(str(r["phase"]), str(r["slo"])): r
                for r in (run.analysis.get("slo") or {}).get("results", [])}

    before, after = results(base), results(new)
    out = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key, {}).get("passed"), after.get(key, {}).get("passed")
        if was != now and None not in (was, now):
            out.append({"phase": key[0], "slo": key[1], "base": was, "new": now,
                        "detail_base": before[key].get("detail", ""),
                        "detail_new": after[key].get("detail", "")})
    return out


def cpu_by_group(run: Run) -> dict[str, float]:
    """Mean cores per process group over the run's windows with traffic."""
    rows = run.ctx.metrics5[run.ctx.metrics5["base"].isin(PROC_CPU.names)]
    busy = run.ctx.w5.index[run.ctx.w5["count"] > 0]
    rows = rows[rows["window"].isin(busy)]
    if rows.empty:
        return {}
    per_window = rows.groupby(["label", "window"])["value"].sum()
    return {str(group): float(values.mean()) for group, values in per_window.groupby(level=0)}


def cpu_changes(base: Run, new: Run) -> list[dict[str, Any]]:
    before, after = cpu_by_group(base), cpu_by_group(new)
    return [{"group": group, "base": before.get(group), "new": after.get(group)}
            for group in sorted(set(before) | set(after),
                                key=lambda g: -max(before.get(g, 0.0), after.get(g, 0.0)))]


def statement_changes(base: Run, new: Run) -> list[dict[str, Any]]:
    """DB time per statement text: slower or faster per call, more or fewer calls per
    page request (an N+1 shows as the same statement called many times more),
    appeared, disappeared, or the same."""
    def by_text(run: Run) -> pd.DataFrame:
        totals = statement_totals(run.ctx)
        if totals.empty:
            return totals
        totals = totals[totals.index != "other"]
        return totals.groupby("query").agg(calls=("calls", "sum"), total_ms=("total_ms", "sum"))

    before, after = by_text(base), by_text(new)
    if before.empty and after.empty:
        return []
    pages = (max(1.0, float(base.pages["count"].sum())), max(1.0, float(new.pages["count"].sum())))
    texts = set(before.index) | set(after.index)
    weight = {t: max(float(before["total_ms"].get(t, 0.0)) if len(before) else 0.0,
                     float(after["total_ms"].get(t, 0.0)) if len(after) else 0.0) for t in texts}
    out = []
    for text in sorted(texts, key=lambda t: -weight[t])[:TOP_STATEMENTS]:
        sides = [_statement_side(frame, text, requests)
                 for frame, requests in zip((before, after), pages, strict=True)]
        out.append({"query": text, "base": sides[0], "new": sides[1],
                    "change": _statement_status(sides[0], sides[1])})
    return out


def _statement_side(frame: pd.DataFrame, text: str,
                    pages: float) -> dict[str, float] | None:
    if frame.empty or text not in frame.index:
        return None
    calls, total = float(frame.at[text, "calls"]), float(frame.at[text, "total_ms"])
    return {"calls": calls, "total_ms": total, "calls_per_request": calls / pages,
            "mean_ms": total / calls if calls > 0 else math.nan}


def _statement_status(before: dict[str, float] | None, after: dict[str, float] | None) -> str:
    if before is None:
        return "appeared"
    if after is None:
        return "disappeared"
    if math.isnan(before["mean_ms"]) or math.isnan(after["mean_ms"]) or not before["mean_ms"]:
        return "sampled"  # known from sampling only (MariaDB's prepared statements)
    per_call = after["mean_ms"] / before["mean_ms"]
    calls = after["calls_per_request"] / before["calls_per_request"] \
        if before["calls_per_request"] else math.inf
    # the larger of the two changes names it: an N+1 is many more calls of a statement
    # that got faster per call (cached), a lost index the same calls each much slower
    moved = [(abs(math.log(ratio)), name) for ratio, name in (
        (per_call, "slower" if per_call > 1 else "faster"),
        (calls, "more calls" if calls > 1 else "fewer calls"))
        if ratio > 0 and not 1 / STATEMENT_CHANGE < ratio < STATEMENT_CHANGE]
    return max(moved)[1] if moved else "same"


def verdict(run: Run) -> dict[str, Any]:
    top = (run.analysis.get("verdicts") or [{}])[0]
    return {"bottleneck": top.get("bottleneck"), "confidence": top.get("confidence"),
            "summary": top.get("summary", ""), "slo_ok": (run.analysis.get("slo") or {}).get("ok")}


def timeline(run: Run) -> dict[str, list[float]]:
    """p95 and requests per second per 5 s window, on time since the run's start."""
    w5 = run.ctx.w5
    return {"t": [float(t - run.start) for t in w5.index],
            "p95": [float(v) for v in w5["p95"]], "rps": [float(v) for v in w5["rps"]]}


def comparison(base: Run, new: Run) -> dict[str, Any]:
    return {"base": base.name, "new": new.name, "requests": request_rows(base, new),
            "capacity": capacity_change(base, new), "slo": slo_changes(base, new),
            "cpu": cpu_changes(base, new), "statements": statement_changes(base, new),
            "verdicts": {"base": verdict(base), "new": verdict(new)}}
