"""A full or read-only filesystem is host.disk while its device idles: writes fail,
whatever the I/O rate; the errors and failed jobs that follow are its symptoms."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from analysis.context import build_context
from analysis.dataset import read_dataset
from analysis.recommend import recommendations
from analysis.rules import diagnose, rule_for

MOUNT = "/srv/esppd/storage"
SIZE = 8.0 * 1024 ** 2


def _filling(results: Path, last_used: float) -> float:
    """The filesystem holds 30% until the run's middle, then fills to `last_used` within
    20 s; returns when it began to fill."""
    metrics = pd.read_csv(results / "metrics.csv")
    seconds = pd.Series(sorted(metrics["ts"].unique()))
    start = float(seconds.median())
    used = (0.3 + ((seconds - start) / 20.0).clip(0.0, 1.0) * (last_used - 0.3)).where(
        seconds >= start, 0.3)
    rows = [pd.DataFrame({"ts": seconds, "collector": "host", "target": "app1",
                          "metric": metric, "value": values})
            for metric, values in ((f"fs.used_ratio{{{MOUNT}}}", used),
                                   (f"fs.available_bytes{{{MOUNT}}}", (1 - used) * SIZE))]
    pd.concat([metrics, *rows]).to_csv(results / "metrics.csv", index=False)
    return start


def test_a_filesystem_that_filled_up_is_named_with_how_fast_and_what_to_free(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    start = _filling(results, 1.0)
    ctx = build_context(read_dataset(results))
    finding = rule_for("host.disk").rule(ctx)
    assert finding is not None and finding.details["full"] and finding.details["mount"] == MOUNT
    assert finding.confidence >= 0.7
    assert finding.onset_ts is not None and start < finding.onset_ts <= start + 25
    assert "writes there fail" in finding.summary
    assert any(line.startswith(f"fs.available_bytes{{{MOUNT}}}: fell") for line in
               finding.evidence)
    assert any(f"du -xh --max-depth=3 {MOUNT}" in line
               for line in recommendations(finding, ctx))
    assert diagnose(ctx)[0].bottleneck == "host.disk"


@pytest.mark.parametrize("last_used", [0.3, 0.9])
def test_a_filesystem_with_room_is_no_finding(copy_of: Callable[[str], Path],
                                              last_used: float) -> None:
    results = copy_of("baseline")
    _filling(results, last_used)
    assert rule_for("host.disk").rule(build_context(read_dataset(results))) is None


def test_errors_after_the_disk_filled_are_its_symptom(copy_of: Callable[[str], Path]) -> None:
    results = copy_of("app.errors")
    errors = rule_for("app.errors").rule(build_context(read_dataset(results)))
    assert errors is not None and errors.onset_ts is not None
    metrics = pd.read_csv(results / "metrics.csv")
    seconds = pd.Series(sorted(metrics["ts"].unique()))
    used = 0.3 + 0.7 * (seconds >= errors.onset_ts - 20)
    pd.concat([metrics, pd.DataFrame({"ts": seconds, "collector": "host", "target": "app1",
                                      "metric": f"fs.used_ratio{{{MOUNT}}}", "value": used})]
              ).to_csv(results / "metrics.csv", index=False)
    found = {f.bottleneck: f for f in diagnose(build_context(read_dataset(results)))}
    assert found["host.disk"].details["full"]
    assert any(line.startswith("probably a consequence of host.disk")
               for line in found["app.errors"].evidence)


def _turning_read_only(results: Path, at: float | None) -> None:
    """The filesystem writable, then read-only from `at` (None: read-only all along)."""
    metrics = pd.read_csv(results / "metrics.csv")
    seconds = pd.Series(sorted(metrics["ts"].unique()))
    flag = (seconds >= at).astype(float) if at is not None else seconds * 0.0 + 1.0
    pd.concat([metrics, pd.DataFrame({"ts": seconds, "collector": "host", "target": "app1",
                                      "metric": f"fs.read_only{{{MOUNT}}}", "value": flag})]
              ).to_csv(results / "metrics.csv", index=False)


def test_a_filesystem_turned_read_only_before_the_errors_is_their_cause(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("app.errors")
    errors = rule_for("app.errors").rule(build_context(read_dataset(results)))
    assert errors is not None and errors.onset_ts is not None
    _turning_read_only(results, errors.onset_ts - 20)
    ctx = build_context(read_dataset(results))
    found = {f.bottleneck: f for f in diagnose(ctx)}
    disk = found["host.disk"]
    assert disk.details["read_only"] and disk.details["mount"] == MOUNT
    assert disk.confidence >= 0.9, disk.evidence
    assert "turned read-only" in disk.summary
    assert any("requests failed from then on" in line for line in disk.evidence)
    assert diagnose(ctx)[0].bottleneck == "host.disk"
    assert any(line.startswith("probably a consequence of host.disk")
               for line in found["app.errors"].evidence)
    assert any(f"mount -o remount,rw {MOUNT}" in line for line in recommendations(disk, ctx))


def test_a_filesystem_turned_read_only_that_nobody_writes_to_is_no_verdict(
        copy_of: Callable[[str], Path]) -> None:
    """Nothing failed after it turned read-only: reported, but not as the bottleneck."""
    results = copy_of("baseline")
    metrics = pd.read_csv(results / "metrics.csv")
    _turning_read_only(results, float(metrics["ts"].median()))
    ctx = build_context(read_dataset(results))
    disk = rule_for("host.disk").rule(ctx)
    assert disk is not None and disk.details["read_only"] and disk.confidence < 0.5
    assert diagnose(ctx)[0].bottleneck == "none"


def test_a_filesystem_read_only_from_the_start_is_as_it_is_meant(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("app.errors")
    _turning_read_only(results, None)
    assert rule_for("host.disk").rule(build_context(read_dataset(results))) is None
