"""A failure named in the stack's own words: a log message that began with a finding is
its evidence, and a Redis that refused the app's commands is the culprit of the errors.
Messages already there before, or far from any onset, are not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.context import build_context
from analysis.dataset import read_dataset
from analysis.findings import Finding
from analysis.rules import diagnose, rule_for

MESSAGE = "laravel.log: ERROR: QueryException: SQLSTATE[N]: disk full"
STEADY = "php-fpm.log: WARNING: [pool esppd] a warning there all along"


def _errors_onset(results: Path) -> float:
    finding = rule_for("app.errors").rule(build_context(read_dataset(results)))
    assert finding is not None and finding.onset_ts is not None
    return finding.onset_ts


def _add(results: Path, collector: str, metric: str, rate: Callable[[pd.Series], pd.Series]
         ) -> None:
    """One metric per second of the run, its value `rate(ts)`."""
    metrics = pd.read_csv(results / "metrics.csv")
    seconds = pd.Series(sorted(metrics["ts"].unique()))
    added = pd.DataFrame({"ts": seconds, "collector": collector, "target": "local",
                          "metric": metric, "value": rate(seconds)})
    pd.concat([metrics, added]).to_csv(results / "metrics.csv", index=False)


def _errors_finding(results: Path) -> Finding:
    found = {f.bottleneck: f for f in diagnose(build_context(read_dataset(results)))}
    return found["app.errors"]


def test_a_log_message_that_began_with_the_errors_is_their_evidence(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("app.errors")
    onset = _errors_onset(results)
    _add(results, "log", f"log.errors{{{MESSAGE}}}", lambda ts: 2.0 * (ts >= onset - 5))
    _add(results, "log", f"log.errors{{{STEADY}}}", lambda ts: 0.2 + 0 * ts)
    finding = _errors_finding(results)
    assert finding.details["log_messages"] == [MESSAGE]
    assert any(line.startswith(f"log: {MESSAGE}") and "none before" in line
               for line in finding.evidence)
    assert not any(STEADY in line for line in finding.evidence)
    assert any(f"The stack's log said at the onset: {MESSAGE}" in line
               for line in finding.recommendations)


def test_a_message_that_began_long_after_is_not_the_errors_evidence(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("app.errors")
    onset = _errors_onset(results)
    _add(results, "log", f"log.errors{{{MESSAGE}}}", lambda ts: 2.0 * (ts >= onset + 120))
    assert "log_messages" not in _errors_finding(results).details


def test_a_message_that_multiplied_at_the_onset_counts_from_then(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("app.errors")
    onset = _errors_onset(results)
    _add(results, "log", f"log.errors{{{STEADY}}}",
         lambda ts: 0.2 + 3.0 * (ts >= onset))
    finding = _errors_finding(results)
    assert finding.details["log_messages"] == [STEADY]
    assert any("0.20 lines/s before" in line for line in finding.evidence)


def test_a_redis_that_refused_commands_is_the_errors_culprit(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("app.errors")
    onset = _errors_onset(results)
    _add(results, "redis", "redis.errors{OOM}", lambda ts: 40.0 * (ts >= onset - 10))
    finding = _errors_finding(results)
    assert finding.details["refused_by"] == "OOM"
    assert finding.evidence[1].startswith("culprit: redis.errors{OOM} on local")
    assert any("maxmemory-policy noeviction" in line for line in finding.recommendations)


def test_refusals_there_all_along_name_no_culprit(copy_of: Callable[[str], Path]) -> None:
    results = copy_of("app.errors")
    _add(results, "redis", "redis.errors{OOM}", lambda ts: 40.0 + 0 * ts)
    finding = _errors_finding(results)
    assert finding.details["refused_by"] == ""
    assert not any(line.startswith("culprit:") for line in finding.evidence)


def test_a_burst_of_refusals_is_no_culprit(copy_of: Callable[[str], Path]) -> None:
    """Two seconds of errors 30 s before the failures: an echo of something, not a Redis
    that refuses the app's commands."""
    results = copy_of("app.errors")
    onset = _errors_onset(results)
    _add(results, "redis", "redis.errors{ERR}",
         lambda ts: 50.0 * ((ts >= onset - 25) & (ts < onset - 23)))
    assert _errors_finding(results).details["refused_by"] == ""
