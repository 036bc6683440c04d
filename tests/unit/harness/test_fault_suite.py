"""The fault suite's loop: a case that cannot run here does not end the suite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import harness.faults as faults
from supervision import ServiceError


def test_a_case_that_cannot_run_is_listed_with_its_reason_and_the_suite_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tried = []

    def cannot_run(fault: faults.Fault, app: str, out: Path, **_: object) -> None:
        tried.append(fault.name)
        raise ServiceError(f"no cgroup for {fault.name}")

    monkeypatch.setattr(faults, "run_fault", cannot_run)
    names = ["database CPU quota", "database I/O limit"]
    assert faults.main(["--app", "python", "--only", *names, "--out", str(tmp_path)]) == 1
    assert tried == names
    cases = json.loads((tmp_path / "matrix.json").read_text())["cases"]
    assert [(c["fault"], c["named"], c["evidence"], c["correct"]) for c in cases] == [
        (name, "(not run)", f"no cgroup for {name}", False) for name in names]
    # Judged again, a case that never ran stays as it was (it has no results to read).
    assert faults.main(["--reanalyze", str(tmp_path)]) == 1
    again = json.loads((tmp_path / "matrix.json").read_text())["cases"]
    assert [c["named"] for c in again] == ["(not run)", "(not run)"]
