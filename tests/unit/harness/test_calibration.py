from __future__ import annotations

import json
from pathlib import Path

from harness.calibration import main, table, verdicts


def test_bands_count_the_cases_that_ran_and_how_many_were_right(tmp_path: Path) -> None:
    knobs = tmp_path / "knobs.json"
    # harness.validate writes an object with the cases; harness.faults writes the list.
    knobs.write_text(json.dumps({"wall_s": 60.0, "cases": [
        {"confidence": 0.95, "correct": True}, {"confidence": 0.92, "correct": False},
        {"confidence": 0.0, "correct": False, "skipped": True}]}))
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"confidence": 0.6, "correct": True}]))
    cases = verdicts([knobs, faults])
    assert cases == [(0.95, True), (0.92, False), (0.6, True)]
    rows = table(cases).splitlines()
    assert rows[2] == "| 0.9-1.0 | 2 | 1 | 50% |"
    assert rows[4] == "| 0.5-0.7 | 1 | 1 | 100% |"
    assert main([str(tmp_path / "missing.json")]) == 2
    (tmp_path / "other.json").write_text(json.dumps({"results": "x"}))
    assert main([str(tmp_path / "other.json")]) == 2  # one clear line, no traceback
