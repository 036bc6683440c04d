from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from analysis.dataset import read_dataset
from analysis.errors import DatasetError
from analysis.schema import CSV_SPECS, MAYBE, REQUESTS


def test_reads_every_file_into_typed_frames(synthetic: Callable[..., Path]) -> None:
    dataset = read_dataset(synthetic("db.query"))
    locks = read_dataset(synthetic("db.locks"))  # blockers exist only while sessions wait
    for spec in CSV_SPECS:
        frame = getattr(locks if spec.filename == "blockers.csv" else dataset,
                        spec.filename.removesuffix(".csv"))
        assert len(frame) > 0, spec.filename
        for column, dtype in spec.columns:
            expected = {"float64": "float64", MAYBE: "float64", "int64": "int64",
                        "str": "str"}[dtype]
            assert str(frame[column].dtype) == expected, (spec.filename, column)
    assert dataset.campaign["name"] == "synthetic-db.query"
    assert set(dataset.events["kind"]) >= {"phase_start", "phase_end", "users"}
    assert dataset.requests["ts"].is_monotonic_increasing
    assert {"proc.cpu", "db.wait"} <= set(dataset.metrics["base"])
    assert "postgres" in set(dataset.metrics.loc[dataset.metrics["base"] == "proc.cpu", "label"])


@pytest.mark.parametrize("filename", ["requests.csv", "users.csv", "campaign.toml"])
def test_missing_required_file_is_one_clear_error(copy_of: Callable[[str], Path],
                                                   filename: str) -> None:
    root = copy_of("baseline")
    (root / filename).unlink()
    with pytest.raises(DatasetError, match=rf"{filename}: missing"):
        read_dataset(root)


def test_optional_files_may_be_absent(copy_of: Callable[[str], Path]) -> None:
    root = copy_of("baseline")
    for name in ("statements.csv", "queries.csv", "tables.csv", "errors.csv", "events.jsonl",
                 "metrics.csv"):
        (root / name).unlink()
    dataset = read_dataset(root)
    assert not dataset.has_statements
    assert dataset.metrics.empty and "base" in dataset.metrics.columns
    assert any("statements.csv absent" in note for note in dataset.notes)


def test_truncated_last_line_is_dropped_and_noted(copy_of: Callable[[str], Path]) -> None:
    root = copy_of("baseline")
    complete = read_dataset(root).requests
    path = root / REQUESTS.filename
    path.write_text(path.read_text(encoding="utf-8")[:-12], encoding="utf-8")
    dataset = read_dataset(root)
    assert len(dataset.requests) == len(complete) - 1
    assert any("requests.csv: dropped a truncated last line" in n for n in dataset.notes)


def test_complete_last_line_without_newline_is_kept(copy_of: Callable[[str], Path]) -> None:
    root = copy_of("baseline")
    path = root / "users.csv"
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n"), encoding="utf-8")
    assert len(read_dataset(root).users) == len(read_dataset(copy_of("baseline")).users)


def test_truncated_jsonl_last_line_is_tolerated(copy_of: Callable[[str], Path]) -> None:
    root = copy_of("baseline")
    path = root / "events.jsonl"
    path.write_text(path.read_text(encoding="utf-8") + '{"ts": 17672', encoding="utf-8")
    assert any("events.jsonl" in n for n in read_dataset(root).notes)


@pytest.mark.parametrize(("filename", "damage", "message"), [
    ("metrics.csv", lambda lines: lines.insert(5, "1767258000.5,host,app1,cpu.util"),
     r"metrics.csv: corrupt \(line 6: expected 5 fields, got 4\)"),
    ("users.csv", lambda lines: lines.insert(3, "1767258000.0,warmup,many,Dosen,3"),
     r"users.csv: corrupt \(line 4: target_users='many' is not a number\)"),
    ("requests.csv", lambda lines: lines.insert(2, "1767258000.0,/x,GET,1,0,1.0,1.0,12:x"),
     r"requests.csv: corrupt .*hist '12:x' is not key:count pairs"),
    ("metrics.csv", lambda lines: lines.__setitem__(0, "ts,collector,target,value"),
     r"metrics.csv: header lacks column\(s\) metric"),
])
def test_corrupt_file_names_the_file_and_line(copy_of: Callable[[str], Path], filename: str,
                                              damage: Callable[[list[str]], None],
                                              message: str) -> None:
    root = copy_of("baseline")
    path = root / filename
    lines = path.read_text(encoding="utf-8").split("\n")
    damage(lines)
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        read_dataset(root)


def test_bad_toml_and_missing_dir(copy_of: Callable[[str], Path], tmp_path: Path) -> None:
    root = copy_of("baseline")
    (root / "campaign.toml").write_text("name = [unclosed", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"campaign\.toml: not valid TOML"):
        read_dataset(root)
    with pytest.raises(DatasetError, match="not a results directory"):
        read_dataset(tmp_path / "nope")
