"""The analysis on real runs: results directories recorded from campaigns against the
reference stacks, each with the verdict it must reach.

Why: the rules are also tested on synthetic data written to their own model; these
runs are what real PHP-FPM, PostgreSQL and Locust produced, with their noise. Each
archive holds a results directory's measurement files only (no outputs); they are
recorded with `tests/fixtures/recorded/record.py`.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

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
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_recorded_run_gets_its_verdict(name: str, tmp_path: Path) -> None:
    with tarfile.open(RECORDED / f"{name}.tar.xz") as archive:
        archive.extractall(tmp_path, filter="data")
    findings = diagnose(build_context(read_dataset(tmp_path)))
    expected, why = CASES[name]
    assert findings[0].bottleneck == expected, (why, [(f.bottleneck, f.confidence)
                                                      for f in findings])
