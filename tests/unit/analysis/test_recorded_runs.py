"""The analysis on real runs: results directories recorded from campaigns against the
reference stacks, each with the verdict it must reach.

Why: the rules are also tested on synthetic data written to their own model; these
runs are what real PHP-FPM, PostgreSQL and Locust produced, with their noise. Each
archive holds a results directory's measurement files only (no outputs); they are
recorded with `tests/fixtures/recorded/record.py`.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.api import analyze
from analysis.context import build_context
from analysis.dataset import read_dataset
from analysis.rules import diagnose

RECORDED = Path(__file__).resolve().parents[2] / "fixtures" / "recorded"
# archive -> (verdict, why this run is here)
CASES = {
    "laravel-opcache-off": ("app.cpu", "workers all busy because the host's CPU is: the CPU "
                                       "saturated first, at 25 users"),
    "laravel-pm-max-children-2": ("app.workers", "2 PHP-FPM children full at 50 users; the "
                                                 "CPU saturated a load step later"),
    "laravel-indexes-off": ("db.query", "19 statements full-scan big tables: together they "
                                        "are the database's CPU"),
    "laravel-cache-off": ("db.query", "a five-year summary recomputed on every dashboard view"),
    "mariadb-indexes-off": ("db.query", "MariaDB times none of Laravel's prepared statements: "
                                        "the full scans are known from sampled sessions"),
    "mariadb-dropped-index": ("db.query", "sppd's user_id index dropped at 40 steady users "
                                          "on the large seed: Laravel's prepared statements "
                                          "full-scan it, known from samples alone"),
    "mariadb-pm-max-children-1": ("app.workers", "one PHP-FPM child full from 44 users, the "
                                                 "host 60% busy; the form, POST, page and "
                                                 "submit of one task come together, and a "
                                                 "per-request fit pinned the task's 28 "
                                                 "statements on the submit (it runs 14)"),
    "mariadb-hot-row-lock": ("db.locks", "InnoDB deadlocks on the agenda counter, 1.9/s, each "
                                         "a 500"),
    "laravel-statistics-lost": ("db.query", "the same on Laravel: Eloquent's two dashboard "
                                            "queries 93-220x slower, p95 35 -> 74 ms"),
    "laravel-statistics-lost-large": ("db.query", "the same on the large seed: p95 61 -> 66 "
                                                  "ms overall, but GET /sppd 17 -> 60 ms; two "
                                                  "clean windows before, after the warm-up"),
    "laravel-cache-wiped-with-sessions": ("cache.misses", "cache keys deleted twice a second; "
                                                          "Laravel's sessions share the prefix: "
                                                          "users signed out, 16% errors"),
    "laravel-throttled-database": ("db.unavailable", "PostgreSQL stopped 200 ms in every 500 "
                                                     "ms: a SELECT 1 of 48 ms (aliased with "
                                                     "the 1 s sampling), p95 64 -> 194 ms"),
    "laravel-full-redis": ("app.errors", "the session Redis at maxmemory under noeviction: "
                                         "57% of requests 500"),
    "laravel-full-disk": ("host.disk", "the app's storage full: the jobs' documents fail"),
    "laravel-read-only-database": ("app.errors", "the app's account read-only: every write "
                                                 "fails, 11% of requests"),
    "laravel-throttled-database-noisy-probe": ("db.unavailable", "the same, on a VM whose "
                                               "idle probe crossed 20 ms once 20 s before "
                                               "the stall: p95 read from its onset"),
    "laravel-row-lock-idle-host": ("db.locks", "every worker waits on a row lock; the idle "
                                               "host's SELECT 1 goes 10 -> 28 ms: no stall"),
    "python-slow-redis-aliased": ("cache.latency", "Redis paused 400 ms in every 500 ms; "
                                                   "the 1 s PING locked to the cycle read a "
                                                   "sawtooth, 47 ms at its highest 30 s "
                                                   "median, while p95 went 15 -> 480 ms"),
    "laravel-database-cpu-quota-bursts": ("db.cpu", "PostgreSQL under a cgroup quota of "
                                                    "0.05 cores, above its 0.02 average: its "
                                                    "bursts throttled in 29% of periods, p95 "
                                                    "70 -> 136 ms, the host 11% busy"),
    "python-statistics-lost": ("db.query", "planner statistics deleted at 40 steady users: two "
                                           "dashboard statements 100x slower per call, p95 "
                                           "16 -> 73 ms, the database never busy"),
    "mariadb-killed-app-server": ("app.errors", "PHP-FPM killed: every page failed at once "
                                                "(502) and the users looped on the first; "
                                                "counted as served, those requests pinned the "
                                                "statements before on the submit, 61 each"),
    "mariadb-killed-app-server-short": ("app.errors", "the same at 0aef8ff: 7 windows served "
                                                      "anything, and 5 tasks fitted on them "
                                                      "read 29 statements for a submit that "
                                                      "ran 7 (statements.log)"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_recorded_run_gets_its_verdict(name: str, tmp_path: Path) -> None:
    with tarfile.open(RECORDED / f"{name}.tar.xz") as archive:
        archive.extractall(tmp_path, filter="data")
    findings = diagnose(build_context(read_dataset(tmp_path)))
    expected, why = CASES[name]
    assert findings[0].bottleneck == expected, (why, [(f.bottleneck, f.confidence)
                                                      for f in findings])


@pytest.mark.parametrize("name", ["mariadb-killed-app-server",
                                  "mariadb-killed-app-server-short"])
def test_requests_that_failed_pin_no_statements_on_the_rest(name: str, tmp_path: Path) -> None:
    """The round-trip fit counts the requests served, failed ones apart, and fits only on
    windows that served some: both runs named a chatty submit at 0.75 (each ran 7)."""
    with tarfile.open(RECORDED / f"{name}.tar.xz") as archive:
        archive.extractall(tmp_path, filter="data")
    findings = diagnose(build_context(read_dataset(tmp_path)))
    assert "db.n_plus_one" not in [f.bottleneck for f in findings]


@pytest.mark.parametrize(("name", "phrases"), [
    # A Redis that refused writes: its error replies name it, Laravel's exception says so.
    ("laravel-full-redis", ("culprit: redis.errors{OOM} on redis",
                            "log: php-fpm.log: ERROR: RedisException: OOM command not allowed")),
    # A full filesystem while the disk idles; the workers' log says what failed there.
    ("laravel-full-disk", ("fs.used_ratio{", "No space left on device")),
    # The quota's bursts, not its average, and the slow round trip its symptom.
    ("laravel-database-cpu-quota-bursts", (
        "cgroup.throttled{postgres:/esppd-fault-quota}: throttled in 29%",
        "its bursts use the quota up within a period", "p95 70 -> 136 ms from the throttling on",
        "chain: db.cpu from")),
    # Nothing measured refuses a write: only the logs (the database's and the app's) say so.
    ("laravel-read-only-database", (
        "log: postgresql.log: ERROR: cannot execute INSERT in a read-only transaction",
        "log: php-fpm.log: ERROR: QueryException: SQLSTATE[25006]")),
])
def test_a_recorded_fault_is_named_in_the_stacks_own_words(name: str, phrases: tuple[str, ...],
                                                           tmp_path: Path) -> None:
    with tarfile.open(RECORDED / f"{name}.tar.xz") as archive:
        archive.extractall(tmp_path, filter="data")
    top = diagnose(build_context(read_dataset(tmp_path)))[0]
    for phrase in phrases:
        assert any(phrase in line for line in top.evidence), (phrase, top.evidence)


def test_statements_known_only_from_samples_are_reported_as_sampled(tmp_path: Path) -> None:
    """MariaDB counts no calls of a prepared statement: the report says so, not NaN."""
    with tarfile.open(RECORDED / "mariadb-indexes-off.tar.xz") as archive:
        archive.extractall(tmp_path, filter="data")
    analyze(tmp_path)
    statements = json.loads((tmp_path / "analysis.json").read_text())["statements"]
    sampled = [s for s in statements if s["sampled"]]
    assert sampled and all(s["calls"] is None and s["total_ms"] > 0 for s in sampled)
    assert ">sampled</td>" in (tmp_path / "report.html").read_text()


def test_a_dropped_index_on_mariadb_is_a_step_with_the_index_to_restore(
        tmp_path: Path) -> None:
    """MariaDB times none of the statements, and counts rows, not scans, per table: the
    full scans since the step are read from rows, the step from sampled sessions."""
    with tarfile.open(RECORDED / "mariadb-dropped-index.tar.xz") as archive:
        archive.extractall(tmp_path, filter="data")
    ctx = build_context(read_dataset(tmp_path))
    top = diagnose(ctx)[0]
    assert top.bottleneck == "db.query" and top.details["table"] == "sppd"
    assert top.details["index_columns"][0] == "user_id"
    assert any("ms per request (none seen before)" in line for line in top.evidence)
    assert top.details["slowed_from"] is not None
    assert top.recommendations[0].startswith("It was fast before")
    assert "ALTER TABLE sppd ADD INDEX" in " ".join(top.recommendations)


def test_a_login_burst_that_saturates_the_cpus_is_said_so(tmp_path: Path) -> None:
    """bcrypt rounds 13 at 20 users spawned in 2 s: the p95 fails only in the ramp (20
    logins at once, 5.8 s each), the rest of the phase is fast. A start-up burst, but
    one that saturated the CPUs, and the verdict says so and names the login."""
    with tarfile.open(RECORDED / "python-bcrypt-13-login-burst.tar.xz") as archive:
        archive.extractall(tmp_path, filter="data")
    top = analyze(tmp_path).verdicts[0]
    assert top.bottleneck == "none" and top.details.get("ramp_only")
    assert "The burst itself saturated the CPUs" in top.summary
    assert "slowest POST /login" in top.summary


def _statistics_lost(tmp_path: Path) -> Path:
    with tarfile.open(RECORDED / "python-statistics-lost.tar.xz") as archive:
        archive.extractall(tmp_path, filter="data")
    return tmp_path


def test_statements_that_slowed_per_call_at_a_steady_load_are_named_with_the_statistics(
        tmp_path: Path) -> None:
    finding = diagnose(build_context(read_dataset(_statistics_lost(tmp_path))))[0]
    assert "slower per call" in finding.summary
    assert any(line.startswith("planner statistics: sppd (7 parts)") for line in
               finding.evidence)
    assert finding.recommendations[0].startswith("Refresh the planner's statistics first")


def _as_sampled(results: Path) -> Path:
    """The run as MariaDB shows Laravel's prepared statements: no digest times them; the
    1 Hz processlist samples see each one running (a Poisson draw of its mean sessions in
    that second, `db.active{id}`), 0 in every sample after it was first seen."""
    statements = pd.read_csv(results / "statements.csv", dtype={"queryid": str})
    sessions = statements.pivot_table(index="ts", columns="queryid",
                                      values="total_exec_time_ms", aggfunc="sum",
                                      fill_value=0.0) / 1000.0
    seen = pd.DataFrame(np.random.default_rng(7).poisson(sessions.to_numpy()),
                        index=sessions.index, columns=sessions.columns).astype(float)
    seen = seen.where(seen.gt(0).cummax()).stack().dropna().rename("value").reset_index()
    samples = pd.DataFrame({
        "ts": seen["ts"], "collector": "mysql", "target": "127.0.0.1",
        "metric": [f"db.active{{{q}}}" for q in seen["queryid"]], "value": seen["value"]})
    metrics = pd.read_csv(results / "metrics.csv")
    pd.concat([metrics, samples]).to_csv(results / "metrics.csv", index=False)
    statements.iloc[0:0].to_csv(results / "statements.csv", index=False)
    return results


def test_statements_no_digest_times_that_slowed_are_named_from_their_samples(
        tmp_path: Path) -> None:
    finding = diagnose(build_context(read_dataset(_as_sampled(_statistics_lost(tmp_path)))))[0]
    assert finding.bottleneck == "db.query", finding.summary
    assert "per request" in finding.summary and "at a steady load" in finding.summary
    assert any("sampled sessions: the server does not time prepared statements" in line
               for line in finding.evidence)


@pytest.mark.parametrize("seen_as", ["timed", "sampled"])
def test_a_slowdown_below_five_times_per_call_is_no_step(tmp_path: Path, seen_as: str) -> None:
    """The same run with the statements' time after the change cut to 3x their own
    before it: requests still slowed, but no statement stepped up enough to be named,
    whether the engine times it or only samples see it."""
    results = _statistics_lost(tmp_path)
    statements = pd.read_csv(results / "statements.csv", dtype={"queryid": str})
    tables = pd.read_csv(results / "tables.csv")
    change = tables.loc[tables["unanalyzed"] > 0, "ts"].min()
    after = statements["ts"] >= change
    per_call = (statements.loc[~after].groupby("queryid")["total_exec_time_ms"].sum()
                / statements.loc[~after].groupby("queryid")["calls"].sum())
    capped = statements.loc[after, "queryid"].map(per_call * 3) * statements.loc[after, "calls"]
    statements.loc[after, "total_exec_time_ms"] = capped.fillna(
        statements.loc[after, "total_exec_time_ms"])
    statements.to_csv(results / "statements.csv", index=False)
    if seen_as == "sampled":
        _as_sampled(results)
    findings = diagnose(build_context(read_dataset(results)))
    assert not any("slower per" in finding.summary for finding in findings)
