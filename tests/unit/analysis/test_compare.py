"""Before and after on synthetic runs with a known shift: a 20% slower run is flagged
and fails the gate, a run compared with itself (or another seed of the same load)
flags nothing."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from analysis.compare.render import write_comparison
from analysis.latency import ALL
from scenarios.histogram import GAMMA
from testkit.synthetic import SyntheticSpec, generate

ROOT = Path(__file__).resolve().parents[3]
SPEC = SyntheticSpec(scenario="baseline", duration_s=240, users=200, steps=6)


def slower(source: Path, out: Path, factor: float) -> Path:
    """A copy of a run whose every latency is `factor` times longer."""
    shutil.copytree(source, out)
    shift = round(math.log(factor) / math.log(GAMMA))
    with open(source / "requests.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["hist"] = ";".join(f"{int(key) + shift}:{count}" for key, count in
                               (pair.split(":") for pair in row["hist"].split(";") if pair))
        row["sum_ms"] = str(float(row["sum_ms"]) * factor)
        row["max_ms"] = str(float(row["max_ms"]) * factor)
    with open(out / "requests.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (out / "analysis.json").unlink(missing_ok=True)
    return out


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("base") / "base", SPEC)


def whole_run(out: Path) -> dict[str, object]:
    data = json.loads((out / "compare.json").read_text())
    return next(row for row in data["comparisons"][0]["requests"]
                if row["phase"] == "whole run" and row["request"] == ALL)


def test_a_run_compared_with_itself_flags_nothing(base: Path, tmp_path: Path) -> None:
    result = write_comparison([base, base], tmp_path)
    assert not result.regressed
    rows = json.loads((tmp_path / "compare.json").read_text())["comparisons"][0]["requests"]
    assert len(rows) > 10
    assert not any(row[key]["significant"] for row in rows for key in ("p50", "p95", "p99", "rps"))


def test_another_seed_of_the_same_load_is_no_regression(base: Path, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", SyntheticSpec(**{**SPEC.__dict__, "seed": 2}))
    assert not write_comparison([base, again], tmp_path / "cmp").regressed


def test_a_20_percent_slower_run_is_flagged_and_fails_the_gate(base: Path,
                                                              tmp_path: Path) -> None:
    worse = slower(base, tmp_path / "worse", 1.2)
    out = tmp_path / "cmp"
    done = subprocess.run([sys.executable, "run_campaign.py", "--compare", str(base), str(worse),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 6, done.stdout + done.stderr  # Exit.REGRESSED
    assert "REGRESSED" in done.stdout and "p95" in done.stdout
    row = whole_run(out)
    assert row["p95"]["significant"] and 1.15 < row["p95"]["ratio"] < 1.25  # type: ignore[index]
    assert not row["rps"]["significant"]  # type: ignore[index]  # the same requests, slower
    assert "**Regressed**" in (out / "compare.md").read_text()
    html = (out / "compare.html").read_text()
    assert "Regressed" in html and "data:image/png;base64," in html
    # the same data through the campaign gate writes JUnit cases, one failing per regression
    junit = tmp_path / "junit.xml"
    result = write_comparison([base, worse], tmp_path / "again", junit=junit)
    failures = [case.get("classname") + " " + case.get("name", "")
                for case in ET.parse(junit).getroot().iter("testcase")
                if case.find("failure") is not None]
    assert result.regressed and "regression.whole run p95" in failures


def test_a_statement_change_is_named_by_its_larger_move() -> None:
    from analysis.compare.build import _statement_status

    def side(mean_ms: float, per_request: float) -> dict[str, float]:
        return {"mean_ms": mean_ms, "calls_per_request": per_request, "calls": 1.0,
                "total_ms": mean_ms}

    # an N+1: 200x the calls per page, each faster (cached) -> more calls
    assert _statement_status(side(0.2, 0.01), side(0.1, 2.0)) == "more calls"
    # a lost index: the same calls, each 1000x slower -> slower
    assert _statement_status(side(0.1, 0.1), side(100.0, 0.12)) == "slower"
    assert _statement_status(side(1.0, 1.0), side(1.1, 0.9)) == "same"
    assert _statement_status(None, side(1.0, 1.0)) == "appeared"
    assert _statement_status(side(1.0, 1.0), None) == "disappeared"
