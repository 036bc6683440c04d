"""Users signed out by the server: a fault of the store that kept their sessions.

A Redis whose keys are flushed or evicted loses the sessions kept there (Laravel's
redis session driver uses the cache's prefix): the errors that follow are its symptom,
other errors are not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from analysis.context import build_context
from analysis.dataset import read_dataset
from analysis.findings import Finding
from analysis.recommend import recommendations
from analysis.rules import demote_symptoms, rule_for
from scenarios.aggregate import SESSION_LOST


def _errors_become(results: Path, message: str) -> None:
    """Every recorded failure of the run carries `message` instead of its own error."""
    errors = pd.read_csv(results / "errors.csv")
    errors["error"] = message
    errors.to_csv(results / "errors.csv", index=False)


@pytest.mark.parametrize(("share", "explained"), [(0.9, True), (0.1, False)])
def test_lost_sessions_are_a_symptom_of_the_cache_that_lost_them(share: float,
                                                                  explained: bool) -> None:
    errors = Finding("app.errors", 1.0, "", [], onset_ts=1020.0,
                     details={"session_lost_share": share, "lost_sessions_dominate": share > 0.5})
    found = {"app.errors": errors,
             "cache.misses": Finding("cache.misses", 0.69, "", [], onset_ts=1000.0)}
    demote_symptoms(found)
    assert (found["app.errors"].confidence == 0.5) is explained
    assert ("consequences" in found["cache.misses"].details) is explained


def test_errors_of_lost_sessions_say_so(copy_of: Callable[[str], Path]) -> None:
    results = copy_of("app.errors")
    _errors_become(results, SESSION_LOST)
    finding = rule_for("app.errors").rule(build_context(read_dataset(results)))
    assert finding is not None and finding.details["session_lost_share"] == pytest.approx(1.0)
    assert any("signed out" in line for line in finding.evidence)
    ctx = build_context(read_dataset(results))
    assert any("session store" in line for line in recommendations(finding, ctx))
    plain = rule_for("app.errors").rule(build_context(read_dataset(copy_of("app.errors"))))
    assert plain is not None and plain.details["session_lost_share"] == 0.0


def test_a_cache_that_lost_the_sessions_says_so_and_how_to_keep_them(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("cache.misses")
    metrics = pd.read_csv(results / "metrics.csv")
    start, end = float(metrics["ts"].min()), float(metrics["ts"].max())
    pd.DataFrame({"ts": [start + 5, end - 5], "name": "/dashboard", "method": "GET",
                  "error": SESSION_LOST, "count": [3, 4]}).to_csv(
        results / "errors.csv", index=False)
    ctx = build_context(read_dataset(results))
    finding = rule_for("cache.misses").rule(ctx)
    assert finding is not None and finding.details["sessions_lost"] >= 4
    assert "lost their sessions" in finding.summary
    assert any("SESSION_CONNECTION" in line for line in recommendations(finding, ctx))
    plain = rule_for("cache.misses").rule(build_context(read_dataset(copy_of("cache.misses"))))
    assert plain is not None and plain.details["sessions_lost"] == 0
    assert "sessions" not in plain.summary


def _with_key_signals(results: Path, keys_after: float, evicted: float, expired: float,
                      deletes: float) -> None:
    """The cache hits until the run's middle, then misses; the cache Redis's key count
    and how keys left it step there too."""
    metrics = pd.read_csv(results / "metrics.csv")
    seconds = pd.Series(sorted(metrics["ts"].unique()))
    since = float(seconds.median())
    metrics.loc[(metrics["metric"] == "redis.hit_ratio") & (metrics["ts"] < since),
                "value"] = 0.95
    late = seconds >= since
    added = [pd.DataFrame({"ts": seconds, "collector": "redis", "target": "redis",
                           "metric": metric, "value": before + (after - before) * late})
             for metric, before, after in (("redis.keys", 1200.0, keys_after),
                                           ("redis.evicted_keys", 0.0, evicted),
                                           ("redis.expired_keys", 0.2, expired),
                                           ("redis.deletes_rate", 0.5, deletes))]
    pd.concat([metrics, *added]).to_csv(results / "metrics.csv", index=False)


@pytest.mark.parametrize(("keys_after", "evicted", "expired", "deletes", "how", "advice"), [
    (40.0, 0.0, 0.2, 2.5, "deleted", "CLIENT LIST"),     # a client clears the cache
    (300.0, 150.0, 0.2, 0.5, "evicted", "maxmemory"),    # Redis is full
    (40.0, 0.0, 90.0, 0.5, "expired", "jitter"),         # one TTL for everything
    (1150.0, 0.0, 0.2, 0.5, "", "Cache::tags"),          # the keys stay: the app misses
])
def test_how_the_keys_left_decides_the_advice(copy_of: Callable[[str], Path], keys_after: float,
                                              evicted: float, expired: float, deletes: float,
                                              how: str, advice: str) -> None:
    results = copy_of("cache.misses")
    _with_key_signals(results, keys_after, evicted, expired, deletes)
    ctx = build_context(read_dataset(results))
    finding = rule_for("cache.misses").rule(ctx)
    assert finding is not None and finding.details["keys_left"] == how
    assert any(advice in line for line in recommendations(finding, ctx))
    assert bool(how) == any(line.startswith(("redis.keys", "redis.evicted")) for line in
                            finding.evidence)


@pytest.mark.parametrize(("every", "named"), [(1, True), (10, False)])
def test_the_client_caught_deleting_again_and_again_is_the_culprit(
        copy_of: Callable[[str], Path], every: int, named: bool) -> None:
    """A client that deletes in a loop shows as CLIENT LIST's `cmd=del` sample after
    sample; the app's connections, caught at a delete now and then, are no culprit."""
    results = copy_of("cache.misses")
    _with_key_signals(results, 40.0, 0.0, 0.2, 2.5)
    metrics = pd.read_csv(results / "metrics.csv")
    seconds = sorted(metrics["ts"].unique())
    late = [ts for ts in seconds if ts >= seconds[len(seconds) // 2]]
    caught = pd.DataFrame({"ts": late[::every], "collector": "redis", "target": "redis",
                           "metric": [f"redis.deleting_client{{127.0.0.1:{51000 + index}}}"
                                      if every > 1 else "redis.deleting_client{127.0.0.1:51234}"
                                      for index in range(len(late[::every]))],
                           "value": 1.0})
    pd.concat([metrics, caught]).to_csv(results / "metrics.csv", index=False)
    ctx = build_context(read_dataset(results))
    finding = rule_for("cache.misses").rule(ctx)
    assert finding is not None and finding.details["keys_left"] == "deleted"
    culprit = [line for line in finding.evidence if line.startswith("culprit:")]
    advice = recommendations(finding, ctx)
    if named:
        assert culprit and "127.0.0.1:51234" in culprit[0], finding.evidence
        assert any("CLIENT KILL ADDR 127.0.0.1:51234" in line for line in advice)
    else:
        assert not culprit and any("CLIENT LIST" in line for line in advice)
