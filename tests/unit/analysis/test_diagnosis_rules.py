"""Each rule positive and negative on synthetic campaigns, and the ranking."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.context import Context, Onset, build_context
from analysis.dataset import read_dataset
from analysis.findings import TAXONOMY
from analysis.recommend import recommendations
from analysis.rules import REGISTRY, diagnose, rule_for
from analysis.rules.common import knee_alignment, latency_change
from analysis.use import use_growth
from scenarios.histogram import Histogram
from testkit.synthetic import HOT_ROW_QUERYID, SCENARIOS

CLASSES = [c for c in TAXONOMY if c != "none"]
# A scenario where the rule must stay silent although something else is saturated.
CONTRAST = {c: "app.workers" for c in CLASSES} | {"app.workers": "loadgen.cpu"}


def test_registry_has_one_rule_per_taxonomy_class() -> None:
    assert [spec.bottleneck for spec in REGISTRY] == list(TAXONOMY)
    assert set(SCENARIOS) == {*CLASSES, "baseline"}


@pytest.mark.parametrize("bottleneck", CLASSES)
def test_rule_fires_on_its_own_scenario(bottleneck: str,
                                        context_of: Callable[[str], Context]) -> None:
    finding = rule_for(bottleneck).rule(context_of(bottleneck))
    assert finding is not None
    assert finding.bottleneck == bottleneck
    assert finding.confidence >= 0.6
    assert finding.evidence and any(ch.isdigit() for ch in " ".join(finding.evidence))


@pytest.mark.parametrize("bottleneck", CLASSES)
def test_rule_is_silent_on_baseline_and_on_a_contrasting_bottleneck(
        bottleneck: str, context_of: Callable[[str], Context]) -> None:
    assert rule_for(bottleneck).rule(context_of("baseline")) is None
    assert rule_for(bottleneck).rule(context_of(CONTRAST[bottleneck])) is None


def test_none_rule_reports_headroom_only_without_saturation(
        context_of: Callable[[str], Context]) -> None:
    finding = rule_for("none").rule(context_of("baseline"))
    assert finding is not None and finding.details["headroom_users"] > 500
    assert any(line.startswith("headroom: about") for line in finding.evidence)
    assert rule_for("none").rule(context_of("db.query")) is None


def _flatten(results: Path, prefix: str, level: float | None = None) -> None:
    """Every metric starting with prefix held at one value (its run mean by default):
    a utilization that does not follow the users, like a pre-opened pool."""
    metrics = pd.read_csv(results / "metrics.csv")
    rows = metrics["metric"].str.startswith(prefix)
    assert rows.any(), prefix
    for metric in metrics.loc[rows, "metric"].unique():
        these = metrics["metric"] == metric
        metrics.loc[these, "value"] = (metrics.loc[these, "value"].mean()
                                       if level is None else level)
    metrics.to_csv(results / "metrics.csv", index=False)


def test_headroom_comes_only_from_a_resource_whose_use_grows_with_the_users(
        copy_of: Callable[[str], Path]) -> None:
    """A pool opened before the load sits at the same share at 20 and at 500 users; a
    ratio of that share to the users would invent a limit."""
    results = copy_of("baseline")
    metrics = pd.read_csv(results / "metrics.csv")
    limit = metrics.loc[metrics["metric"] == "db.connections.max", "value"].max()
    _flatten(results, "db.connections.total", 0.7 * limit)
    ctx = build_context(read_dataset(results))
    growth = {g.resource: g for g in use_growth(ctx)}
    assert "DB connections" not in growth or not growth["DB connections"].load_driven
    finding = rule_for("none").rule(ctx)
    assert finding is not None and finding.details["headroom_users"] > 500
    assert finding.details["headroom_resource"] != "DB connections"


def test_no_headroom_is_claimed_when_no_use_grows_with_the_users(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    for prefix in ("cpu.", "proc.", "mem.", "disk.", "db.connections.total", "app.",
                   "loadgen."):
        _flatten(results, prefix)
    finding = rule_for("none").rule(build_context(read_dataset(results)))
    assert finding is not None and math.isnan(finding.details["headroom_users"])
    assert any("no measured resource's use grew with the users" in line
               for line in finding.evidence)


def test_headroom_is_not_read_from_the_share_of_backends_waiting(
        copy_of: Callable[[str], Path]) -> None:
    """One active backend reading a page is 100% waiting at any load: no resource limit."""
    results = copy_of("baseline")
    metrics = pd.read_csv(results / "metrics.csv")
    active = metrics[metrics["metric"] == "db.connections.active"]
    reading = active.assign(metric="db.wait{IO}")
    metrics = pd.concat([metrics[metrics["metric"] != "db.wait{IO}"], reading])
    metrics.sort_values("ts").to_csv(results / "metrics.csv", index=False)
    finding = rule_for("none").rule(build_context(read_dataset(results)))
    assert finding is not None and finding.details["headroom_users"] > 500
    assert not any("DB wait events" in line for line in finding.evidence)


def test_an_app_pool_that_runs_dry_is_told_apart_from_max_connections(
        copy_of: Callable[[str], Path], context_of: Callable[[str], Context]) -> None:
    results = copy_of("db.connections")
    metrics = pd.read_csv(results / "metrics.csv")
    few = metrics["metric"] == "db.connections.total"
    metrics.loc[few, "value"] = 5.0   # PostgreSQL has room: only the app's pool is short
    metrics.to_csv(results / "metrics.csv", index=False)
    pool_only = rule_for("db.connections").rule(build_context(read_dataset(results)))
    server = rule_for("db.connections").rule(context_of("db.connections"))
    assert pool_only is not None and server is not None
    assert pool_only.evidence[0].startswith("app.db_pool.waiting") and "sustained" in \
        pool_only.evidence[0]
    assert "pool ran out" in pool_only.summary and "5% of max_connections" in pool_only.summary
    assert server.evidence[0].startswith("db.connections.total / max_connections")
    ranked = {f.bottleneck: f for f in diagnose(build_context(read_dataset(results)))}
    assert ranked["db.connections"].recommendations[0].startswith("If the app has its own pool")


@pytest.mark.parametrize("recovers", [False, True])
def test_a_refused_monitoring_connection_is_evidence_of_exhausted_connections(
        recovers: bool, copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    metrics = pd.read_csv(results / "metrics.csv")
    since = float(metrics["ts"].quantile(0.25))
    if not recovers:  # the collector retried but never got a slot again
        metrics = metrics[~((metrics["collector"] == "postgres") & (metrics["ts"] >= since))]
        metrics.to_csv(results / "metrics.csv", index=False)
    refusal = {"ts": since, "kind": "collector_error", "collector": "postgres", "target": "db",
               "message": "OperationalError: connection failed: FATAL:  sorry, too many "
                          "clients already"}
    with open(results / "events.jsonl", "a") as events:
        events.write(json.dumps(refusal) + "\n")
    finding = rule_for("db.connections").rule(build_context(read_dataset(results)))
    assert finding is not None and finding.confidence >= 0.6
    assert "refused from" in finding.evidence[0] and "too many clients" in finding.evidence[0]
    assert ("got a slot again later" in finding.evidence[0]) is recovers
    assert ("no PostgreSQL sample succeeded" in finding.evidence[0]) is not recovers


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_top_verdict_names_the_injected_bottleneck(scenario: str,
                                                   context_of: Callable[[str], Context]) -> None:
    findings = diagnose(context_of(scenario))
    expected = "none" if scenario == "baseline" else scenario
    assert findings[0].bottleneck == expected
    assert findings[0].recommendations
    # Strongest first, but for a cause ranked with the stronger symptom it explains.
    plain = [f.confidence for f in findings
             if not any(line.startswith("ranked with its chain") for line in f.evidence)]
    assert plain == sorted(plain, reverse=True)


def test_symptoms_are_ranked_below_their_cause(context_of: Callable[[str], Context]) -> None:
    findings = {f.bottleneck: f for f in diagnose(context_of("db.query"))}
    assert findings["db.query"].confidence > findings["db.cpu"].confidence
    assert any("consequence of" in line and "db.query" in line
               for line in findings["db.cpu"].evidence)


def test_db_query_names_statement_table_and_index(context_of: Callable[[str], Context]) -> None:
    finding = rule_for("db.query").rule(context_of("db.query"))
    assert finding is not None
    assert finding.details["table"] == "sppd"
    assert finding.details["index_columns"] == ["user_id", "status", "tanggal_berangkat"]
    assert finding.details["share"] > 0.5 and finding.details["mean_ms"] > 20
    assert finding.onset_users is not None and 200 <= finding.onset_users <= 380
    text = " ".join(finding.evidence)
    assert "sequential scans" in text and "sppd(user_id, status, tanggal_berangkat)" in text


def test_n_plus_one_finds_the_request_and_ratio(context_of: Callable[[str], Context]) -> None:
    finding = rule_for("db.n_plus_one").rule(context_of("db.n_plus_one"))
    assert finding is not None
    assert finding.details["request"] == "GET /sppd"
    assert finding.details["calls_per_request"] == pytest.approx(25, rel=0.1)
    assert finding.affected_requests == ["GET /sppd"]


def test_a_session_statement_run_per_request_is_no_n_plus_one(
        copy_of: Callable[[str], Path], context_of: Callable[[str], Context]) -> None:
    """Laravel's MySQL connector runs `USE db` on every connect: many calls, no rows."""
    found = rule_for("db.n_plus_one").rule(context_of("db.n_plus_one"))
    assert found is not None
    results = copy_of("db.n_plus_one")
    queries = pd.read_csv(results / "queries.csv")
    queries.loc[queries["queryid"].astype(str) == found.details["queryid"], "query"] = \
        "USE `esppd`"
    queries.to_csv(results / "queries.csv", index=False)
    assert rule_for("db.n_plus_one").rule(build_context(read_dataset(results))) is None


def test_cpu_is_attributed_by_process_group(context_of: Callable[[str], Context]) -> None:
    finding = rule_for("db.cpu").rule(context_of("db.cpu"))
    assert finding is not None
    breakdown = next(line for line in finding.evidence if line.startswith("CPU by process"))
    assert breakdown.index("postgres") < breakdown.index("app ")  # biggest consumer first
    host = rule_for("host.cpu").rule(context_of("host.cpu"))
    assert host is not None and host.details["outside_share"] > 0.5


def test_app_errors_names_the_dominant_error_and_onset(
        context_of: Callable[[str], Context]) -> None:
    finding = rule_for("app.errors").rule(context_of("app.errors"))
    assert finding is not None
    assert "500 Server Error" in finding.details["dominant_error"]
    assert finding.onset_ts is not None and finding.onset_users is not None
    assert finding.onset_users > 100  # errors began mid-run, not at the start


def _with_one_sample(results: Path, series: tuple[str, str, str], at: float,
                     value: float) -> Context:
    """The results with one more (collector, target, metric) series: `value` in the
    sample nearest `at`, 0 in every other."""
    metrics = pd.read_csv(results / "metrics.csv")
    seconds = sorted(metrics["ts"].unique())
    nearest = min(seconds, key=lambda ts: abs(ts - at))
    collector, target, metric = series
    added = pd.DataFrame({"ts": seconds, "collector": collector, "target": target,
                          "metric": metric,
                          "value": [value if ts == nearest else 0.0 for ts in seconds]})
    pd.concat([metrics, added]).to_csv(results / "metrics.csv", index=False)
    return build_context(read_dataset(results))


def test_a_refusal_after_the_errors_began_does_not_explain_them(
        copy_of: Callable[[str], Path], context_of: Callable[[str], Context]) -> None:
    """One connection the server turned away, a minute after the 500s began: a finding of
    refusals alone had no onset, and a finding without one explained every symptom."""
    errors = rule_for("app.errors").rule(context_of("app.errors"))
    assert errors is not None and errors.onset_ts is not None
    ctx = _with_one_sample(copy_of("app.errors"), ("mysql", "db", "db.connections.refused_rate"),
                           errors.onset_ts + 60, 1.0)
    connections = rule_for("db.connections").rule(ctx)
    assert connections is not None and connections.onset_ts is not None
    assert connections.onset_ts >= errors.onset_ts + 55
    assert diagnose(ctx)[0].bottleneck == "app.errors"


@pytest.mark.parametrize(("kill_after_s", "verdict"), [
    (-10.0, "host.memory"),   # the OOM killer took a worker, then its requests failed
    (60.0, "app.errors"),     # kills a minute into the errors did not start them
])
def test_oom_kills_are_memory_running_out_where_the_host_has_plenty(
        copy_of: Callable[[str], Path], context_of: Callable[[str], Context],
        kill_after_s: float, verdict: str) -> None:
    """A cgroup's memory limit kills inside it while the host keeps memory available:
    the kill is the one sign it leaves."""
    errors = rule_for("app.errors").rule(context_of("app.errors"))
    assert errors is not None and errors.onset_ts is not None
    ctx = _with_one_sample(copy_of("app.errors"), ("host", "local", "mem.oom_kills"),
                           errors.onset_ts + kill_after_s, 2.0)
    memory = rule_for("host.memory").rule(ctx)
    assert memory is not None and memory.evidence[0].startswith("mem.oom_kills: the kernel")
    assert "journalctl -k" in recommendations(memory, ctx)[0]
    assert diagnose(ctx)[0].bottleneck == verdict


def test_an_onset_at_unknown_users_weighs_no_knee_alignment(
        context_of: Callable[[str], Context]) -> None:
    """min(1.0, nan) is 1.0 in Python: an unknown load read as a perfect alignment."""
    ctx = context_of("app.cpu")
    assert ctx.capacity.knee is not None
    assert knee_alignment(ctx, Onset(ctx.capacity.knee.ts, math.nan)) is None


def _with_commits(results: Path, slow_ms: float) -> Context:
    """The results with each write's COMMIT timed: 0.5 ms, then `slow_ms` from mid-run."""
    statements = pd.read_csv(results / "statements.csv")
    seconds = sorted(statements["ts"].unique())
    middle = seconds[len(seconds) // 2]
    commits = pd.DataFrame({"ts": seconds, "target": "db", "queryid": "commit", "calls": 10.0,
                            "total_exec_time_ms": [10 * (slow_ms if ts >= middle else 0.5)
                                                   for ts in seconds],
                            "rows": 0.0, "shared_blks_hit": 0.0, "shared_blks_read": 0.0,
                            "temp_blks_written": 0.0, "blk_read_time_ms": 0.0})
    pd.concat([statements, commits]).to_csv(results / "statements.csv", index=False)
    queries = pd.read_csv(results / "queries.csv")
    pd.concat([queries, pd.DataFrame({"queryid": ["commit"], "query": ["COMMIT"]})]) \
        .to_csv(results / "queries.csv", index=False)
    return build_context(read_dataset(results))


def test_slow_commits_are_the_write_path_not_a_query_to_index(
        copy_of: Callable[[str], Path]) -> None:
    """A COMMIT reads nothing: when commits take the database's time (a slow fsync, a
    synchronous standby, a commit delay), the finding is its storage's write path, and
    no COMMIT is called a statement to index or the one that slowed."""
    ctx = _with_commits(copy_of("baseline"), slow_ms=120.0)
    finding = rule_for("db.io").rule(ctx)
    assert finding is not None and finding.details["commit_ms"] > 50
    assert finding.onset_ts is not None and finding.confidence >= 0.5
    assert "WAL flush" in " ".join(recommendations(finding, ctx))
    query = rule_for("db.query").rule(ctx)
    assert query is None or "COMMIT" not in query.details.get("query", "")
    assert rule_for("db.io").rule(_with_commits(copy_of("baseline"), slow_ms=0.5)) is None


@pytest.mark.parametrize(("waiting", "found"), [(2.0, True), (0.6, False)])
def test_backends_waiting_on_the_wal_are_the_write_path(
        copy_of: Callable[[str], Path], waiting: float, found: bool) -> None:
    """PostgreSQL flushes a commit's WAL after pg_stat_statements stopped timing the
    COMMIT, which reads microseconds: the backends waiting on the WAL show the slow write
    path (here 3 active from mid-run, `waiting` of them on the WAL). Under one backend
    waiting, a share is noise."""
    results = copy_of("baseline")
    metrics = pd.read_csv(results / "metrics.csv")
    active = metrics["metric"] == "db.connections.active"
    seconds = sorted(metrics["ts"].unique())
    middle = seconds[len(seconds) // 2]
    metrics.loc[active & (metrics["ts"] >= middle), "value"] = 3.0
    target = metrics.loc[active, "target"].iloc[0]
    wal = pd.DataFrame({"ts": seconds, "collector": "postgres", "target": target,
                        "metric": "db.wait{WAL}",
                        "value": [waiting if ts >= middle else 0.0 for ts in seconds]})
    pd.concat([metrics, wal]).to_csv(results / "metrics.csv", index=False)
    ctx = build_context(read_dataset(results))
    finding = rule_for("db.io").rule(ctx)
    if not found:
        assert finding is None or not finding.details.get("write_path")
        return
    assert finding is not None and finding.details["write_path"]
    assert finding.evidence[0].startswith("db.wait{WAL}: 67% of active backends (2.0) "
                                          "waiting on the write-ahead log")
    assert finding.onset_ts is not None and abs(finding.onset_ts - middle) <= 10
    assert "WAL flush" in " ".join(recommendations(finding, ctx))


@pytest.mark.parametrize(("engine", "named"), [("postgres", True), ("mysql", False)])
def test_one_database_process_at_a_core_is_its_limit_only_when_single_threaded(
        copy_of: Callable[[str], Path], engine: str, named: bool) -> None:
    """One PostgreSQL process at 0.95 cores is a backend at its limit; MariaDB's one
    process serves every connection from its threads, and at 0.95 cores of four CPUs it
    has room."""
    results = copy_of("baseline")
    metrics = pd.read_csv(results / "metrics.csv")
    metrics.loc[metrics["metric"] == "proc.cpu{postgres}", "value"] = 0.95
    seconds = metrics.loc[metrics["metric"] == "proc.cpu{postgres}", "ts"]
    count = pd.DataFrame({"ts": seconds, "collector": "host", "target": "app1",
                          "metric": "proc.count{postgres}", "value": 1.0})
    metrics.loc[metrics["collector"] == "postgres", "collector"] = engine
    pd.concat([metrics, count]).to_csv(results / "metrics.csv", index=False)
    ctx = build_context(read_dataset(results))
    assert ctx.mysql is (engine == "mysql")
    assert (rule_for("db.cpu").rule(ctx) is not None) is named


def test_loadgen_finding_flags_results_as_untrustworthy(
        context_of: Callable[[str], Context]) -> None:
    finding = rule_for("loadgen.cpu").rule(context_of("loadgen.cpu"))
    assert finding is not None and "not eSPPD" in finding.summary
    assert finding.details["peak_cores"] >= 0.85


def test_windowed_p95_correlates_with_the_saturated_signal(
        context_of: Callable[[str], Context]) -> None:
    for scenario in ("app.cpu", "db.locks", "host.disk"):
        finding = rule_for(scenario).rule(context_of(scenario))
        assert finding is not None and finding.correlation is not None
        assert finding.correlation > 0.7, scenario


def test_a_saturated_shared_host_blames_its_dominant_consumer(
        copy_of: Callable[[str], Path]) -> None:
    """The CPU that host.cpu blames on outsiders is app.cpu when those are queue workers."""
    results = copy_of("host.cpu")
    metrics = pd.read_csv(results / "metrics.csv")
    # The outsiders become more queue workers: their usage adds to the workers' own.
    metrics["metric"] = metrics["metric"].str.replace("{other}", "{queue}", regex=False)
    keys = ["ts", "collector", "target", "metric"]
    metrics.groupby(keys, as_index=False)["value"].sum().to_csv(results / "metrics.csv",
                                                                index=False)
    findings = diagnose(build_context(read_dataset(results)))
    top = findings[0]
    assert top.bottleneck == "app.cpu", [(f.bottleneck, f.confidence) for f in findings]
    assert any("of the busy CPU used by the application" in line for line in top.evidence)
    assert "host.cpu" not in {f.bottleneck for f in findings if f.confidence >= 0.5}


def test_db_locks_names_the_statement_waiting_on_the_lock(
        context_of: Callable[[str], Context]) -> None:
    finding = rule_for("db.locks").rule(context_of("db.locks"))
    assert finding is not None
    line = next(e for e in finding.evidence if e.startswith("statement waiting on locks most"))
    assert HOT_ROW_QUERYID in line and 'update "sppd"' in line


def test_db_query_discounts_time_spent_waiting_on_a_lock(
        copy_of: Callable[[str], Path]) -> None:
    """A statement that mostly queues behind a row lock is not an expensive query."""
    results = copy_of("db.query")
    plain = rule_for("db.query").rule(build_context(read_dataset(results)))
    assert plain is not None
    queryid = plain.details["queryid"]
    statements = pd.read_csv(results / "statements.csv", dtype={"queryid": str})
    mine = statements[statements["queryid"] == queryid]
    # Sampled once a second: 90% of the backends executing it were waiting on a lock.
    waiting = pd.DataFrame({"ts": mine["ts"], "collector": "postgres", "target": "db",
                            "metric": f"db.lock_wait{{{queryid}}}",
                            "value": 0.9 * mine["total_exec_time_ms"] / 1000.0})
    waiting.to_csv(results / "metrics.csv", mode="a", header=False, index=False)
    locked = rule_for("db.query").rule(build_context(read_dataset(results)))
    assert locked is not None
    assert locked.details["lock_wait_share"] == pytest.approx(0.9, abs=0.02)
    assert locked.confidence < plain.confidence * 0.6
    assert any("90% of its execution time was spent waiting on a lock" in e
               for e in locked.evidence)


def test_a_saturation_that_began_later_does_not_explain_an_earlier_symptom() -> None:
    from analysis.findings import Finding
    from analysis.rules import _cannot_explain

    workers = Finding("app.workers", 0.9, "", [], onset_ts=1000.0, onset_users=75)
    late_cpu = Finding("app.cpu", 0.8, "", [], onset_ts=1050.0, onset_users=125)
    early_cpu = Finding("app.cpu", 0.8, "", [], onset_ts=1010.0, onset_users=75)
    slow_statement = Finding("db.query", 0.8, "", [], onset_ts=1050.0, onset_users=125)
    step_later_cpu = Finding("app.cpu", 0.8, "", [], onset_ts=1030.0, onset_users=100)
    assert _cannot_explain(late_cpu, workers)
    assert _cannot_explain(step_later_cpu, workers)  # a whole 30 s load step later
    assert not _cannot_explain(early_cpu, workers)
    assert not _cannot_explain(slow_statement, workers)  # a defect is there from the start


def test_a_pool_filled_by_arrivals_is_no_symptom_of_a_saturation() -> None:
    """Little's law: a saturated CPU fills a pool only by making each request hold its
    worker longer; requests that held theirs as long as at low load were simply more
    than the workers serve, and the pool is a limit of its own. A cause there since the
    low-load pace was measured is in that pace: the growth says nothing of it."""
    from analysis.findings import Finding
    from analysis.rules import demote_symptoms

    def found(growth: float, quiet_until: float = 900.0) -> dict[str, Finding]:
        return {"app.workers": Finding("app.workers", 0.9, "", [], onset_ts=1000.0,
                                       details={"hold_growth": growth,
                                                "hold_quiet_until": quiet_until}),
                "app.cpu": Finding("app.cpu", 0.85, "", [], onset_ts=1000.0),
                "db.query": Finding("db.query", 0.3, "", [], onset_ts=1000.0)}

    by_arrivals = found(1.1)
    demote_symptoms(by_arrivals)
    assert by_arrivals["app.workers"].confidence == 0.9
    slowed = found(2.5)
    demote_symptoms(slowed)
    assert slowed["app.workers"].confidence == 0.45
    assert "app.cpu" in slowed["app.workers"].evidence[-1]
    # A defect slows every request from the first: the pool's low-load pace includes it.
    defect = found(1.1)
    defect["db.query"].confidence = 0.8
    demote_symptoms(defect)
    assert defect["app.workers"].confidence == 0.45
    assert "db.query" in defect["app.workers"].evidence[-1]
    already_there = found(1.1, quiet_until=1010.0)
    demote_symptoms(already_there)
    assert already_there["app.workers"].confidence == 0.45


def test_workers_say_whether_arrivals_or_slower_requests_filled_them(
        context_of: Callable[[str], Context]) -> None:
    """The synthetic pool is too small for the load at a steady per-request time; the
    synthetic slow database makes each request hold its worker longer."""
    small_pool = rule_for("app.workers").rule(context_of("app.workers"))
    assert small_pool is not None
    assert small_pool.details["hold_growth"] < 1.5
    assert any("the pool itself is the limit" in line for line in small_pool.evidence)
    slow_database = rule_for("app.workers").rule(context_of("db.cpu"))
    assert slow_database is not None
    assert slow_database.details["hold_growth"] > 2
    assert any("what slowed the requests filled the pool" in line
               for line in slow_database.evidence)


def test_queue_workers_that_wait_are_a_symptom_of_the_database_stopped_ones_not() -> None:
    """Laravel on MariaDB with its indexes off (validation at 36f6d67): the document jobs'
    statements full-scanned like the pages', the workers used no CPU and finished nothing,
    and the queue read 1.00 over the database's own db.query 0.95."""
    from analysis.findings import Finding
    from analysis.rules import demote_symptoms

    def found(workers: str) -> dict[str, Finding]:
        return {"queue.backlog": Finding("queue.backlog", 1.0, "", [], onset_ts=1060.0,
                                         details={"workers": workers}),
                "db.query": Finding("db.query", 0.95, "", [], onset_ts=1035.0)}

    waiting = found("blocked")
    demote_symptoms(waiting)
    assert waiting["queue.backlog"].confidence == 0.5
    assert waiting["db.query"].evidence == [
        "chain: db.query from 00:17:15Z -> queue.backlog from 00:17:40Z",
        "ranked with its chain: it alone explains queue.backlog (confidence 1.00), above its "
        "own 0.95"]
    for kind in ("stopped", "gone", "busy"):
        alone = found(kind)
        demote_symptoms(alone)
        assert alone["queue.backlog"].confidence == 1.0, kind


def test_a_pool_that_lost_its_slots_to_stopped_processes_is_no_symptom() -> None:
    """Laravel/MariaDB fault matrix at ebbebab: 14 of 16 PHP-FPM children stopped, the two
    left kept up (app.workers 0.80), and a finding that slow requests fill a pool (here a
    round-trip fit at 0.55) halved it to 0.40 and took the verdict. Slow requests stop no
    process; the same pool full of running workers stays their symptom."""
    from analysis.findings import Finding
    from analysis.rules import demote_symptoms

    def found(lost: float) -> dict[str, Finding]:
        return {"app.workers": Finding("app.workers", 0.8, "", [], onset_ts=1060.0,
                                       details={"lost": lost}),
                "db.n_plus_one": Finding("db.n_plus_one", 0.55, "", [])}

    stopped = found(0.88)
    demote_symptoms(stopped)
    assert stopped["app.workers"].confidence == 0.8
    running = found(0.0)
    demote_symptoms(running)
    assert running["app.workers"].confidence == 0.4


def test_in_a_cycle_of_explanations_the_strongest_explains_the_rest() -> None:
    """The heavy report of the Laravel fault matrix (6c05404): an outside session's
    self-join (db.query 0.84) saturated PostgreSQL's CPU (db.cpu 0.78), which answered
    SELECT 1 slowly (db.unavailable 0.77), and statements wait on a slow server: each
    explains the next, around. Each halving the other left the verdict at 0.42."""
    from analysis.findings import Finding
    from analysis.rules import demote_symptoms

    found = {name: Finding(name, confidence, "", [], onset_ts=1000.0)
             for name, confidence in (("db.query", 0.84), ("db.cpu", 0.78),
                                      ("db.unavailable", 0.77))}
    demote_symptoms(found)
    assert found["db.query"].confidence == 0.84
    assert found["db.cpu"].confidence == 0.39
    assert found["db.unavailable"].confidence == pytest.approx(0.385)
    assert found["db.unavailable"].evidence == ["probably a consequence of db.cpu "
                                                "(confidence 0.78, from 00:16:40Z)"]
    # Outside a cycle an explanation holds whatever the strength: a weaker cause still
    # explains its symptom.
    found = {"db.query": Finding("db.query", 0.6, "", [], onset_ts=1000.0),
             "db.cpu": Finding("db.cpu", 0.9, "", [], onset_ts=1000.0)}
    demote_symptoms(found)
    assert (found["db.query"].confidence, found["db.cpu"].confidence) == (0.6, 0.45)


def test_saturated_app_cpu_next_to_an_n_plus_one_is_the_n_plus_one_first() -> None:
    """The eager_loading=off validation run of 2026-11-25: app CPU 0.87 at 125 users, the
    N+1 (13.5 lookups per GET /approvals) 0.82 from 150 users."""
    from analysis.findings import Finding
    from analysis.rules import demote_symptoms

    found = {"app.cpu": Finding("app.cpu", 0.87, "", [], onset_ts=1000.0, onset_users=125),
             "db.n_plus_one": Finding("db.n_plus_one", 0.82, "", [], onset_ts=1060.0,
                                      onset_users=150)}
    demote_symptoms(found)
    assert found["app.cpu"].confidence == pytest.approx(0.435)
    assert found["app.cpu"].evidence == ["probably a consequence of db.n_plus_one "
                                         "(confidence 0.82, from 00:17:40Z)"]
    assert found["db.n_plus_one"].evidence == [
        "chain: db.n_plus_one from 00:17:40Z -> app.cpu from 00:16:40Z",
        "ranked with its chain: it alone explains app.cpu (confidence 0.87), above its own 0.82"]
    assert found["db.n_plus_one"].confidence == 0.82


def _with_redis_latency(results: Path, latency_ms: Callable[[float], float]) -> Context:
    """The results with redis.latency_ms per second, as a function of seconds since start
    (in place of the one they had)."""
    metrics = pd.read_csv(results / "metrics.csv")
    metrics = metrics[metrics["metric"] != "redis.latency_ms"]
    seconds = sorted(metrics["ts"].unique())
    extra = pd.DataFrame({"ts": seconds, "collector": "redis", "target": "redis",
                          "metric": "redis.latency_ms",
                          "value": [latency_ms(ts - seconds[0]) for ts in seconds]})
    pd.concat([metrics, extra]).to_csv(results / "metrics.csv", index=False)
    return build_context(read_dataset(results))


@pytest.mark.parametrize(("stall", "named"), [
    ("from the start", True),      # Redis slow before the pool filled: they waited on it
    ("never", False),              # Redis answered as usual: the pool is simply too small
    ("after the onset", False),    # it stalled 2 min after the pool filled: not the cause
])
def test_busy_workers_name_a_stalled_redis_only_when_it_stalled_first(
        copy_of: Callable[[str], Path], context_of: Callable[[str], Context], stall: str,
        named: bool) -> None:
    plain = rule_for("app.workers").rule(context_of("app.workers"))
    assert plain is not None and plain.onset_ts is not None
    start = float(context_of("app.workers").w5.index.min())
    stall_from = {"from the start": 0.0, "never": math.inf,
                  "after the onset": plain.onset_ts - start + 120.0}[stall]
    ctx = _with_redis_latency(copy_of("app.workers"),
                              lambda s: 150.0 if s >= stall_from else 0.3)
    finding = rule_for("app.workers").rule(ctx)
    assert finding is not None
    said = any(line.startswith("redis.latency_ms on redis") for line in finding.evidence)
    assert said is named and (finding.details.get("waited_on") == "redis") is named
    advice = " ".join(recommendations(finding, ctx))
    assert ("SLOWLOG" in advice) is named and ("pm.max_children" in advice) is not named


def test_a_probe_below_its_mark_is_a_stall_only_when_the_requests_felt_it(
        copy_of: Callable[[str], Path]) -> None:
    """A pause cycle sampled once a second can read 40 ms where requests wait hundreds
    (real runs: tests/fixtures/recorded); with the requests' latency unchanged at the same
    load, a PING 40x its best is no stall."""
    results = copy_of("baseline")
    plain = build_context(read_dataset(results))
    start = float(plain.w5.index.min())
    # From the middle of a load step, where the same load ran 10 s before: a baseline.
    slow_from = next(float(ts) for ts in plain.w5.index
                     if ts >= start + (plain.w5.index.max() - start) / 2
                     and latency_change(plain, float(ts)) is not None)
    change = latency_change(plain, slow_from)
    assert change is not None and change.p95_rise < 1.2
    ctx = _with_redis_latency(results, lambda s: 40.0 if s + start >= slow_from else 1.0)
    assert rule_for("cache.latency").rule(ctx) is None


def test_open_model_latency_is_compared_at_the_same_planned_rate(
        copy_of: Callable[[str], Path]) -> None:
    """In the open model the users are visits in flight, a count that moves each second
    (and grows as the target slows): the load is the phase's planned arrival rate, and a
    baseline at the same users was never found, which silenced the slowed-statement and
    the felt-stall checks on every open-model run."""
    results = copy_of("baseline")
    users = pd.read_csv(results / "users.csv")
    users["users"] += np.random.default_rng(5).integers(0, 3, len(users))
    users.to_csv(results / "users.csv", index=False)
    events = [json.loads(line) for line in (results / "events.jsonl").read_text().splitlines()]
    for rate, event in enumerate(e for e in events if e["kind"] == "phase_start"):
        event["arrivals_per_s"] = 4.0 + rate
    (results / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    ctx = build_context(read_dataset(results))
    assert ctx.open_model
    middle = float(ctx.w5.index[len(ctx.w5) // 2])
    change = next((found for ts in ctx.w5.index if ts >= middle
                   and (found := latency_change(ctx, float(ts))) is not None), None)
    assert change is not None and change.load.endswith(" arrivals/s")


def test_a_probe_slower_behind_a_lock_is_the_locks_echo(
        copy_of: Callable[[str], Path], context_of: Callable[[str], Context]) -> None:
    """Every worker waits on a lock, the host idles, and the PING pays the wake-up of
    sleeping processes: the stall after the locks began is their symptom."""
    locks = rule_for("db.locks").rule(context_of("db.locks"))
    assert locks is not None and locks.onset_ts is not None
    start = float(context_of("db.locks").w5.index.min())
    ctx = _with_redis_latency(copy_of("db.locks"),
                              lambda s: 60.0 if s + start >= locks.onset_ts + 10 else 1.0)
    assert rule_for("cache.latency").rule(ctx) is not None  # alone, it is a stall
    findings = diagnose(ctx)
    assert findings[0].bottleneck == "db.locks"
    # Demoted as the locks' symptom: said so, or too weak then to be reported.
    echo = [f for f in findings if f.bottleneck == "cache.latency"]
    assert not echo or any(line.startswith("probably a consequence of db.locks")
                           for line in echo[0].evidence)


def _as_prepared_statements(results: Path, per_request: Callable[[str], float]) -> Context:
    """The results as MySQL/MariaDB shows Laravel's prepared statements: no statement row
    counts them; only Com_stmt_execute does, `per_request("GET /sppd")` per request
    served (a failed request runs none)."""
    requests = pd.read_csv(results / "requests.csv")
    kind = requests["method"] + " " + requests["name"]
    served = requests["count"] - requests["failures"]
    executions = requests.assign(n=served * kind.map(per_request)) \
        .groupby("ts")["n"].sum()
    metrics = pd.read_csv(results / "metrics.csv")
    extra = pd.DataFrame({"ts": executions.index, "collector": "mysql", "target": "db",
                          "metric": "mysql.prepared_executions_rate",
                          "value": executions.to_numpy()})
    pd.concat([metrics, extra]).to_csv(results / "metrics.csv", index=False)
    statements = pd.read_csv(results / "statements.csv")
    statements.iloc[0:0].to_csv(results / "statements.csv", index=False)
    assert not statements.empty
    return build_context(read_dataset(results))


def test_round_trips_name_an_n_plus_one_no_statement_counts(
        copy_of: Callable[[str], Path]) -> None:
    ctx = _as_prepared_statements(copy_of("db.n_plus_one"),
                                  lambda kind: 31.0 if kind == "GET /sppd" else 6.0)
    finding = rule_for("db.n_plus_one").rule(ctx)
    assert finding is not None and finding.details["round_trips"]
    assert finding.details["request"] == "GET /sppd"
    assert finding.details["calls_per_request"] == pytest.approx(31, rel=0.1)
    assert finding.confidence >= 0.6
    assert "preventLazyLoading" in " ".join(recommendations(finding, ctx))


def _short_prepared_run(results: Path, seed: int) -> Context:
    """80 s at a steady 40 users: eight request names about once a second each, every
    request 5 prepared statements, plus the noise of everything else the server runs."""
    rng = np.random.default_rng(seed)
    results.mkdir()
    (results / "campaign.toml").write_text('name = "short"\n')
    (results / "users.csv").write_text("ts,phase,target_users,user_class,users\n" + "".join(
        f"{1000 + i},steady,40,Dosen,40\n" for i in range(80)))
    requests = ["ts,name,method,count,failures,sum_ms,max_ms,hist"]
    metrics = ["ts,collector,target,metric,value"]
    for second in range(1000, 1080):
        served = 0
        for name in ("/dashboard", "/sppd", "/sppd/[id]", "/approvals", "/laporan", "/login",
                     "/sppd/create", "/documents/[id]"):
            count = int(rng.poisson(1.4))
            if count:
                histogram = Histogram()
                histogram.record(40, count)
                requests.append(f"{second},{name},GET,{count},0,{40 * count},40,"
                                f"{histogram.encode()}")
                served += count
        metrics.append(f"{second},mysql,db,mysql.prepared_executions_rate,"
                       f"{5 * served + rng.exponential(15)}")
    (results / "requests.csv").write_text("\n".join(requests) + "\n")
    (results / "metrics.csv").write_text("\n".join(metrics) + "\n")
    return build_context(read_dataset(results))


def test_a_fit_with_as_many_windows_as_terms_names_no_chatty_request(tmp_path: Path) -> None:
    """16 windows, 8 per half, for 8 request names: each half fits its noise exactly, and
    two of these runs had both halves agree on a chatty request that is not there."""
    for seed in range(16):
        ctx = _short_prepared_run(tmp_path / str(seed), seed)
        assert rule_for("db.n_plus_one").rule(ctx) is None, seed


def test_requests_of_one_task_are_fitted_together() -> None:
    """All counts grow with the users; the shares of a form and its POST rise and fall
    together, a page visited on its own does not follow them."""
    from analysis.rules.statements import _tasks

    rng = np.random.default_rng(3)
    users = np.linspace(10, 150, 60)
    form = rng.poisson(users * rng.uniform(0.05, 0.25, 60))
    counts = pd.DataFrame({"GET /sppd/create": form, "POST /sppd": rng.binomial(form, 0.95),
                           "GET /sppd": rng.poisson(users * 0.3),
                           "GET /dashboard": rng.poisson(users * 0.4)})
    tasks = _tasks(counts)
    assert ["GET /sppd/create", "POST /sppd"] in tasks
    assert ["GET /sppd"] in tasks and ["GET /dashboard"] in tasks


def test_many_statements_on_every_request_are_no_n_plus_one(
        copy_of: Callable[[str], Path]) -> None:
    ctx = _as_prepared_statements(copy_of("db.n_plus_one"), lambda kind: 12.0)
    assert rule_for("db.n_plus_one").rule(ctx) is None


def test_a_cause_ranks_with_the_saturation_it_explains() -> None:
    """Laravel/MariaDB knob matrix at 1c19501, eager_loading=off: the app's CPU saturated
    (0.78), explained by the N+1 (0.64); a monthly report's full scan of a database 0.8
    sessions busy (db.query 0.74), apart from that chain, took the verdict."""
    from analysis.findings import Finding
    from analysis.rules import demote_symptoms, rank

    def found(*names: str) -> dict[str, Finding]:
        confidences = {"app.cpu": 0.78, "db.n_plus_one": 0.64, "db.query": 0.74}
        return {name: Finding(name, confidences[name], "", [], onset_ts=1000.0)
                for name in names}

    chain = found("app.cpu", "db.n_plus_one", "db.query")
    ranked = rank(chain, demote_symptoms(chain))
    assert [f.bottleneck for f in ranked] == ["db.n_plus_one", "db.query", "app.cpu"]
    assert ranked[0].confidence == 0.64  # its own; the chain only ranks it
    assert ranked[0].evidence[-1] == ("ranked with its chain: it alone explains app.cpu "
                                      "(confidence 0.78), above its own 0.64")
    alone = found("db.n_plus_one", "db.query")  # no saturation it explains
    assert rank(alone, demote_symptoms(alone))[0].bottleneck == "db.query"
    # A full pool, which every slow request fills, is explained by both: it ranks neither.
    shared = {**found("db.n_plus_one", "db.query"),
              "app.workers": Finding("app.workers", 0.98, "", [], onset_ts=1000.0)}
    assert rank(shared, demote_symptoms(shared))[0].bottleneck == "db.query"
