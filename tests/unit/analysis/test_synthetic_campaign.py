from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from analysis.schema import CSV_SPECS
from testkit.synthetic import SyntheticSpec, generate


def test_every_contract_file_with_its_header(synthetic: Callable[..., Path]) -> None:
    root = synthetic("baseline")
    for spec in CSV_SPECS:
        # no user pace is modelled: requests.csv has no coordinated-omission column
        expected = [name for name in spec.names if name != "hist_missed"]
        with (root / spec.filename).open(encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == expected
    assert (root / "campaign.toml").is_file() and (root / "events.jsonl").is_file()


def test_deterministic_per_seed(tmp_path: Path) -> None:
    spec = SyntheticSpec(scenario="db.locks", duration_s=60, users=50, steps=3)
    one = generate(tmp_path / "a", spec)
    two = generate(tmp_path / "b", spec)
    assert (one / "requests.csv").read_bytes() == (two / "requests.csv").read_bytes()


def test_unknown_scenario(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        generate(tmp_path, SyntheticSpec(scenario="db.magic"))
