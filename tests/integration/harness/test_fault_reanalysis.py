"""`python -m harness.faults --reanalyze`: an earlier fault matrix judged again by the
analysis as it is now, on the results it collected, running no stack."""

from __future__ import annotations

import json
import tarfile
from dataclasses import asdict
from pathlib import Path

from harness.faults import FaultOutcome, main

RECORDED = Path(__file__).resolve().parents[2] / "fixtures" / "recorded"


def test_an_earlier_matrix_is_judged_again(tmp_path: Path) -> None:
    case = tmp_path / "full-redis"
    with tarfile.open(RECORDED / "laravel-full-redis.tar.xz") as archive:
        archive.extractall(case / "results", filter="data")
    started = json.loads((case / "results" / "events.jsonl").read_text().splitlines()[0])["ts"]
    # As an older analysis judged it (wrong, no analysis.json yet), in the older format of
    # matrix.json: the bare list of cases, the stack named in matrix.md's title.
    earlier = FaultOutcome("full redis", "CONFIG SET maxmemory ...", "app.errors", "none", 0.5,
                           None, "", "", False, 200.0, str(case), 1, started + 30.0)
    (tmp_path / "matrix.json").write_text(json.dumps([asdict(earlier)]))
    (tmp_path / "matrix.md").write_text("# Fault matrix (laravel): 0/1 named correctly\n")
    assert main(["--reanalyze", str(tmp_path)]) == 0
    matrix = json.loads((tmp_path / "matrix.json").read_text())
    assert matrix["stack"] == "laravel" and matrix["wall_s"] == 200.0
    [again] = matrix["cases"]
    assert again["named"] == "app.errors" and again["correct"], again
    assert "redis.errors{OOM}" in again["culprit"]
    assert again["wall_s"] == 200.0 and again["injected_at"] == started + 30.0
    assert again["onset_s"] is not None
    assert (tmp_path / "matrix.md").read_text().startswith(
        "# Fault matrix (laravel): 1/1 named correctly")
