"""Mechanisms beyond the knobs: a stalled queue, waits users gave up on, no `none` while
something fails or saturates, and the cause -> symptom chain with its times.

Each on a synthetic baseline (healthy: the verdict is `none`) with one fault written in
from outside, positive and negative.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.context import Context, build_context, ramp_seconds
from analysis.dataset import read_dataset
from analysis.findings import Finding
from analysis.rules import diagnose, rule_for
from analysis.slo import SloResult, SloSpec, evaluate
from analysis.timeline import users_per_second
from scenarios.histogram import Histogram


def _rewrite(results: Path, metric: str, values: Callable[[np.ndarray], np.ndarray]) -> None:
    """Replace one metric's values as a function of seconds since the run began."""
    metrics = pd.read_csv(results / "metrics.csv")
    rows = metrics["metric"] == metric
    assert rows.any(), metric
    seconds = metrics.loc[rows, "ts"].to_numpy(dtype=float) - float(metrics["ts"].min())
    metrics.loc[rows, "value"] = values(seconds)
    metrics.to_csv(results / "metrics.csv", index=False)


def _stall_queue(results: Path, *, workers_cores: float, falls: bool = False) -> None:
    """From mid-run, 0.3 jobs/s arrive; stalled workers finish none (the queue only grows
    to about 70 jobs, below the length SLO), or working ones drain it every 20 s."""
    span = float(pd.read_csv(results / "metrics.csv")["ts"].agg(np.ptp))

    def length(t: np.ndarray) -> np.ndarray:
        grown = np.clip(t - span / 2, 0, None) * 0.3
        return np.where(t % 20 < 10, grown % 6, 0.0) if falls else grown

    _rewrite(results, "queue.length{default}", length)
    _rewrite(results, "proc.cpu{queue}",
             lambda t: np.where(t >= span / 2, workers_cores, 0.1))


def test_a_stalled_queue_is_named_whatever_latency_does(copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    _stall_queue(results, workers_cores=0.0)
    findings = diagnose(build_context(read_dataset(results)))
    top = findings[0]
    assert top.bottleneck == "queue.backlog", [(f.bottleneck, f.confidence) for f in findings]
    assert top.confidence >= 0.6 and "stalled" in top.summary
    assert any("finished nothing" in line for line in top.evidence)
    assert any("used 0.00 cores: stopped" in line for line in top.evidence), top.evidence
    assert top.recommendations[0].startswith("The workers finish nothing: find why")
    # Where the host collector says none of them was stopped, they were blocked waiting.
    metrics = pd.read_csv(results / "metrics.csv")
    cores = metrics[metrics["metric"] == "proc.cpu{queue}"]
    pd.concat([metrics, cores.assign(metric="proc.stopped{queue}", value=0.0)]).to_csv(
        results / "metrics.csv", index=False)
    blocked = rule_for("queue.backlog").rule(build_context(read_dataset(results)))
    assert blocked is not None and blocked.details["workers"] == "blocked"
    assert any("none was stopped (state T): blocked waiting" in line
               for line in blocked.evidence), blocked.evidence


def test_a_queue_the_workers_keep_draining_is_not_a_stall(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    _stall_queue(results, workers_cores=0.2, falls=True)
    ctx = build_context(read_dataset(results))
    assert rule_for("queue.backlog").rule(ctx) is None
    assert diagnose(ctx)[0].bottleneck == "none"


def _add_job_waits(results: Path, failed_share: float) -> None:
    requests = pd.read_csv(results / "requests.csv")
    seconds = np.sort(requests["ts"].unique())[::4]
    failures = (np.arange(len(seconds)) < failed_share * len(seconds)).astype(int)
    jobs = pd.DataFrame({"ts": seconds, "name": "document ready", "method": "JOB", "count": 1,
                         "failures": failures, "sum_ms": 30000.0, "max_ms": 30000.0,
                         "hist": "30000:1"})
    pd.concat([requests, jobs]).sort_values("ts").to_csv(results / "requests.csv", index=False)


def test_waits_users_gave_up_on_fail_an_slo_and_rule_out_none(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    _add_job_waits(results, failed_share=0.5)
    ctx = build_context(read_dataset(results))
    waits = [r for r in evaluate(ctx, SloSpec()) if r.slo.startswith("failed waits")]
    assert waits and any(r.passed is False for r in waits)
    assert rule_for("none").rule(ctx) is None


def test_waits_that_all_ended_well_keep_the_none_verdict(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    _add_job_waits(results, failed_share=0.0)
    ctx = build_context(read_dataset(results))
    assert all(r.passed for r in evaluate(ctx, SloSpec()) if r.slo.startswith("failed waits"))
    assert diagnose(ctx)[0].bottleneck == "none"
    assert ctx.w5["count"].sum() == build_context(read_dataset(results)).w5["count"].sum()


def test_no_headroom_is_claimed_on_a_resource_past_its_limit(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    metrics = pd.read_csv(results / "metrics.csv")
    limit = metrics.loc[metrics["metric"] == "db.connections.max", "value"].max()
    _rewrite(results, "db.connections.total", lambda t: np.full_like(t, 0.99 * limit))
    assert rule_for("none").rule(build_context(read_dataset(results))) is None


def test_a_failed_slo_turns_none_into_unexplained(context_of: Callable[[str], Context]) -> None:
    healthy = diagnose(context_of("baseline"))[0]
    failing = diagnose(context_of("baseline"), [
        SloResult("error rate < 1%", "step-01", 0.01, 0.05, "ratio", False, "")])[0]
    assert healthy.bottleneck == "none" and "No bottleneck" in healthy.summary
    assert failing.bottleneck == "none" and failing.confidence <= 0.2
    assert "SLOs failed (error rate < 1%)" in failing.summary
    assert "Keep this configuration" not in " ".join(failing.recommendations)


def test_the_cause_shows_the_chain_of_its_symptoms_in_time_order(
        context_of: Callable[[str], Context]) -> None:
    findings = {f.bottleneck: f for f in diagnose(context_of("db.query"))}
    chain = [line for line in findings["db.query"].evidence if line.startswith("chain: ")]
    assert chain and chain[0].startswith("chain: db.query from ") and "-> db.cpu from " in chain[0]
    assert "db.cpu" in findings["db.query"].details["consequences"]


def test_a_full_pool_counts_full_although_the_status_request_holds_a_worker(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("app.workers")
    metrics = pd.read_csv(results / "metrics.csv")
    total = metrics["metric"] == "app.workers.total"
    metrics.loc[total, "value"] = 2.0
    busy = metrics["metric"] == "app.workers.busy"
    metrics.loc[busy, "value"] = metrics.loc[busy, "value"].clip(upper=1.0)  # one is ours
    metrics.to_csv(results / "metrics.csv", index=False)
    finding = rule_for("app.workers").rule(build_context(read_dataset(results)))
    assert finding is not None and finding.details["busy_ratio"] == 1.0


def _slow_ramps(results: Path, steady_too: bool) -> None:
    """Requests sent within 15 s after users rose take 3 s (logins in a burst, cold
    caches); with steady_too, every request of the run does."""
    requests = pd.read_csv(results / "requests.csv")
    ramp = ramp_seconds(users_per_second(pd.read_csv(results / "users.csv")))
    slow = ramp.reindex(np.floor(requests["ts"]).astype(int), fill_value=False).to_numpy()
    if steady_too:
        slow = np.ones(len(requests), dtype=bool)
    for row in np.flatnonzero(slow):
        histogram = Histogram()
        histogram.record(3000.0, int(requests.at[row, "count"]))
        requests.at[row, "hist"] = histogram.encode()
        requests.at[row, "sum_ms"] = 3000.0 * requests.at[row, "count"]
    requests.to_csv(results / "requests.csv", index=False)


def _judged(results: Path) -> tuple[list[SloResult], Finding]:
    """The failed SLOs and the top verdict given them, as analysis.api does."""
    ctx = build_context(read_dataset(results))
    failed = [r for r in evaluate(ctx, SloSpec()) if r.passed is False]
    return failed, diagnose(ctx, failed)[0]


def test_a_p95_that_fails_only_in_the_ramps_is_a_start_up_burst(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    _slow_ramps(results, steady_too=False)
    failed, verdict = _judged(results)
    assert failed and all(r.slo.startswith("p95 latency") for r in failed)
    assert verdict.bottleneck == "none" and verdict.details.get("ramp_only")
    assert "only while users were being added" in verdict.summary
    assert any("after users rose" in line for line in verdict.evidence)
    assert "spawn_rate" in verdict.recommendations[0]


def test_a_ramp_up_phase_that_only_adds_users_is_judged_against_the_steady_state_after(
        copy_of: Callable[[str], Path]) -> None:
    """A constant shape's `ramp-up` phase has no steady part of its own: its slow logins
    are a start-up burst when the next phase's steady state meets the SLO."""
    results = copy_of("baseline")
    users = pd.read_csv(results / "users.csv")
    first = users["ts"].min()
    users.loc[users["ts"] < first + 10, "phase"] = "ramp-up"
    users.to_csv(results / "users.csv", index=False)
    _slow_ramps(results, steady_too=False)
    failed, verdict = _judged(results)
    assert "ramp-up" in {r.phase for r in failed}
    assert verdict.bottleneck == "none" and verdict.details.get("ramp_only")
    assert any(line.startswith("ramp-up: ") and " in the steady part of " in line
               for line in verdict.evidence), verdict.evidence


def test_a_p95_that_fails_in_the_steady_state_too_stays_unexplained(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    _slow_ramps(results, steady_too=True)
    _, verdict = _judged(results)
    assert verdict.bottleneck == "none" and not verdict.details.get("ramp_only")
    assert verdict.confidence <= 0.2
