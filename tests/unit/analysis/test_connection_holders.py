"""Who held the database connections (sessions.csv): one client keeping them idle is the
culprit with advice for it; the app's own busy connections are the load itself."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.context import build_context
from analysis.dataset import read_dataset
from analysis.rules import diagnose, rule_for
from collectors.sampler import SESSIONS_HEADER


def _write_sessions(results: Path, outsider_share: float) -> None:
    metrics = pd.read_csv(results / "metrics.csv")
    totals = metrics[metrics["metric"] == "db.connections.total"]
    with (results / "sessions.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(SESSIONS_HEADER)
        for ts, target, total in zip(totals["ts"], totals["target"], totals["value"],
                                     strict=True):
            outsider = round(total * outsider_share)
            if outsider:
                out.writerow([ts, target, "batch-import", "10.0.0.9", "report", "idle",
                              outsider])
            out.writerow([ts, target, "", "127.0.0.1", "esppd", "active",
                          round(total) - outsider])


def test_one_client_holding_idle_connections_is_the_culprit(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("db.connections")
    _write_sessions(results, outsider_share=0.8)
    finding = diagnose(build_context(read_dataset(results)))[0]
    assert finding.bottleneck == "db.connections"
    culprit = next(line for line in finding.evidence if line.startswith("culprit: "))
    assert "application 'batch-import'" in culprit and "client 10.0.0.9" in culprit
    assert "without work" in culprit
    assert "batch-import" in finding.recommendations[0]
    assert "CONNECTION LIMIT" in " ".join(finding.recommendations)


def test_the_apps_own_busy_connections_are_the_load_not_a_culprit(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("db.connections")
    _write_sessions(results, outsider_share=0.0)
    finding = diagnose(build_context(read_dataset(results)))[0]
    assert finding.bottleneck == "db.connections"
    assert not any(line.startswith("culprit: ") for line in finding.evidence)
    assert any("connections by holder" in line and "the load itself" in line
               for line in finding.evidence)
    assert finding.recommendations[0].startswith(("Size connections", "If the app has"))


def test_the_apps_processes_keeping_one_connection_each_are_sized_not_hunted(
        copy_of: Callable[[str], Path]) -> None:
    """PHP-FPM persistent connections: one idle connection per child between requests.
    That is the app's pool (as many connections as app processes), not a leak."""
    results = copy_of("db.connections")
    metrics = pd.read_csv(results / "metrics.csv")
    totals = metrics[metrics["metric"] == "db.connections.total"].set_index("ts")["value"]
    app = metrics["metric"] == "proc.count{app}"
    assert app.any()
    metrics.loc[app, "value"] = metrics.loc[app, "ts"].map(totals).fillna(
        float(totals.median())).to_numpy()
    metrics = metrics[metrics["metric"] != "proc.count{queue}"]
    metrics.to_csv(results / "metrics.csv", index=False)
    with (results / "sessions.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(SESSIONS_HEADER)
        for ts, total in totals.items():
            out.writerow([ts, "db1", "esppd-app", "127.0.0.1", "esppd", "idle", round(total)])
    finding = diagnose(build_context(read_dataset(results)))[0]
    assert finding.bottleneck == "db.connections"
    assert not any(line.startswith("culprit: ") for line in finding.evidence)
    assert any("one per app process" in line for line in finding.evidence)
    assert finding.recommendations[0].startswith("Size connections")


def test_slow_statements_explain_the_apps_connections_not_an_idle_outsiders(
        copy_of: Callable[[str], Path]) -> None:
    """Locks, slow or chatty statements keep the app's connections busy longer: they can
    explain connections running out. Another client sitting on idle connections is a
    cause of its own, whatever the app's statements do meanwhile."""
    spec = rule_for("db.connections")
    for share, explained in ((0.8, False), (0.0, True)):
        results = copy_of("db.connections")
        _write_sessions(results, outsider_share=share)
        finding = spec.rule(build_context(read_dataset(results)))
        assert finding is not None
        causes = spec.causes(finding)
        for cause in ("db.n_plus_one", "db.query", "db.locks"):
            assert (cause in causes) is explained, (share, cause)
