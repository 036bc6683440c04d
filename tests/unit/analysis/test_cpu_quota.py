"""A group held to a cgroup's CPU quota is CPU-saturated although the host idles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.context import build_context
from analysis.dataset import read_dataset
from analysis.findings import Finding
from analysis.rules import diagnose, rule_for

CGROUP = "/system.slice/esppd.service"


def _with_quota(results: Path, group: str, throttled: float, cores: float = 0.5) -> None:
    """From the middle of the run the group's cgroup is throttled in `throttled` of its
    periods, using its whole quota of `cores`; before, it had room."""
    metrics = pd.read_csv(results / "metrics.csv")
    seconds = np.array(sorted(metrics["ts"].unique()))
    held = seconds >= seconds[len(seconds) // 2]
    cpu = metrics["metric"] == f"proc.cpu{{{group}}}"
    by_ts = dict(zip(seconds, held, strict=True))
    metrics.loc[cpu, "value"] = np.where(metrics.loc[cpu, "ts"].map(by_ts), cores * 0.98,
                                         np.minimum(metrics.loc[cpu, "value"], cores * 0.6))
    label = f"{group}:{CGROUP}"
    rows = pd.DataFrame({
        "ts": np.concatenate([seconds, seconds]), "collector": "host", "target": "app1",
        "metric": [f"cgroup.quota_cores{{{label}}}"] * len(seconds)
        + [f"cgroup.throttled{{{label}}}"] * len(seconds),
        "value": np.concatenate([np.full(len(seconds), cores),
                                 np.where(held, throttled, 0.02)])})
    pd.concat([metrics, rows]).to_csv(results / "metrics.csv", index=False)


@pytest.mark.parametrize(("group", "bottleneck"), [("app", "app.cpu"), ("postgres", "db.cpu")])
def test_a_throttled_quota_is_the_cpu_saturation_of_its_group(
        copy_of: Callable[[str], Path], group: str, bottleneck: str) -> None:
    results = copy_of("baseline")
    _with_quota(results, group, throttled=0.7)
    ctx = build_context(read_dataset(results))
    finding = rule_for(bottleneck).rule(ctx)
    assert finding is not None
    assert f"held to 0.5 cores by {CGROUP}" in finding.summary
    assert finding.evidence[0].startswith(f"cgroup.throttled{{{group}:{CGROUP}}}: throttled "
                                          "in 70% of its scheduler periods")
    assert "the quota is full, not the host" in finding.evidence[1]
    assert finding.details["quota"]["cores"] == 0.5
    assert finding.onset_ts is not None
    top = diagnose(ctx)[0]
    assert top.bottleneck == bottleneck
    assert top.recommendations[0].startswith(f"{group} is held to 0.5 cores by the CPU quota")


def test_a_quota_throttled_now_and_then_is_no_saturation(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    _with_quota(results, "app", throttled=0.1)
    ctx = build_context(read_dataset(results))
    finding = rule_for("app.cpu").rule(ctx)
    assert finding is None or "quota" not in finding.details


def test_busy_workers_under_a_throttled_quota_are_its_symptom() -> None:
    """Requests that wait for the next scheduler period hold their workers longer."""
    from analysis.rules import demote_symptoms

    found = {"app.workers": Finding("app.workers", 0.9, "", [], onset_ts=1010.0,
                                    details={"hold_growth": 3.2, "hold_quiet_until": 900.0}),
             "app.cpu": Finding("app.cpu", 0.8, "", [], onset_ts=1000.0,
                                details={"quota": {"cores": 0.5}})}
    demote_symptoms(found)
    assert found["app.workers"].confidence == 0.45
