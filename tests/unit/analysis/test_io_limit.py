"""A database held to a cgroup's disk I/O limit waits on I/O although the disk idles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.context import build_context
from analysis.dataset import read_dataset
from analysis.rules import diagnose, rule_for

CGROUP = "/system.slice/postgresql.service"


def _with_io_limit(results: Path, group: str, used: float) -> str:
    """From the middle of the run the group's cgroup uses `used` of a limit of 8 writes
    per second; before, a third of it. Returns the metric label."""
    metrics = pd.read_csv(results / "metrics.csv")
    seconds = np.array(sorted(metrics["ts"].unique()))
    held = seconds >= seconds[len(seconds) // 2]
    label = f"{group}:{CGROUP}:254:0:write_iops"
    rows = pd.DataFrame({
        "ts": np.concatenate([seconds, seconds]), "collector": "host", "target": "db1",
        "metric": [f"cgroup.io_limit{{{label}}}"] * len(seconds)
        + [f"cgroup.io_limit_used{{{label}}}"] * len(seconds),
        "value": np.concatenate([np.full(len(seconds), 8.0), np.where(held, used, 0.3)])})
    pd.concat([metrics, rows]).to_csv(results / "metrics.csv", index=False)
    return label


def test_a_database_at_its_io_limit_waits_on_io_with_the_limit_as_culprit(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    label = _with_io_limit(results, "postgres", used=0.98)
    ctx = build_context(read_dataset(results))
    finding = rule_for("db.io").rule(ctx)
    assert finding is not None
    assert finding.evidence[0].startswith(
        f"cgroup.io_limit_used{{{label}}}: postgres held by the I/O limit of cgroup {CGROUP} "
        "to 8 writes per second on device 254:0, 98% of it used")
    assert finding.onset_ts is not None
    assert finding.details["io_limit"]["cgroup"] == CGROUP
    io = next(f for f in diagnose(ctx) if f.bottleneck == "db.io")
    assert io.recommendations[0].startswith(
        f"postgres is held to 8 writes per second on device 254:0 by the I/O limit of cgroup "
        f"{CGROUP}")


@pytest.mark.parametrize(("group", "used"), [("postgres", 0.5), ("other", 1.0)],
                         ids=["room-left", "outside-the-database"])
def test_a_limit_with_room_or_over_another_group_is_no_database_io_wait(
        copy_of: Callable[[str], Path], group: str, used: float) -> None:
    results = copy_of("baseline")
    _with_io_limit(results, group, used)
    finding = rule_for("db.io").rule(build_context(read_dataset(results)))
    assert finding is None or "io_limit" not in finding.details


def test_a_cgroup_path_with_a_colon_keeps_its_label_apart() -> None:
    from analysis.rules.db import _io_limit_label

    assert _io_limit_label("mysql:/docker/a:b:254:16:read_bps") == (
        "mysql", "/docker/a:b", "254:16", "read_bps")


@pytest.mark.parametrize(("group", "symptom"), [("other", "db.io"), ("postgres", "host.disk")])
def test_a_disk_busy_with_a_process_outside_the_database_causes_its_waits(
        group: str, symptom: str) -> None:
    """The WAL's waits read strong (0.9) when a backup floods the disk (0.7); the flood is
    still their cause. A disk busy with the database's own I/O is the database's doing."""
    from analysis.findings import Finding
    from analysis.rules import demote_symptoms
    from analysis.top_processes import ProcessCulprit

    culprit = ProcessCulprit("io_rate", "db1", "python", group, ("42",), 80e6, 1000.0, 0.9)
    found = {"db.io": Finding("db.io", 0.9, "", [], onset_ts=1005.0,
                              details={"write_path": True}),
             "host.disk": Finding("host.disk", 0.7, "", [], onset_ts=1000.0,
                                  details={"culprit": culprit})}
    demote_symptoms(found)
    assert {name: f.confidence for name, f in found.items()} == {
        **{"db.io": 0.9, "host.disk": 0.7}, symptom: {"db.io": 0.45, "host.disk": 0.35}[symptom]}
