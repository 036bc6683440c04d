"""The validation matrix: which cases run on this host, and how the matrix counts them."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from harness.validate import cases, main, markdown, outcome_of, skipped_case


def test_a_knob_that_needs_more_cpus_is_reported_not_applicable() -> None:
    by_name = {case.name: case for case in cases(Path("c.toml"), Path("m.toml"))}
    app_workers = by_name["app_workers"]
    assert app_workers.min_cpus == 3
    assert by_name["indexes"].min_cpus == 1
    outcome = skipped_case(app_workers, cpus=2)
    assert outcome.skipped and not outcome.correct and outcome.named == "not run"
    assert "at least 3 CPUs" in outcome.evidence and "this host has 2" in outcome.evidence


def test_skipped_cases_are_not_counted_as_wrong(tmp_path: Path) -> None:
    by_name = {case.name: case for case in cases(Path("c.toml"), Path("m.toml"))}
    results = tmp_path / "indexes"
    results.mkdir()
    (results / "analysis.json").write_text(json.dumps({"verdicts": [
        {"bottleneck": "db.query", "confidence": 0.8, "onset_users": 50,
         "evidence": ["statement 1: 90% of DB time"]}]}))
    named = outcome_of(by_name["indexes"], results, 1, 200.0)
    table = markdown([named, skipped_case(by_name["app_workers"], cpus=2)], 260.0)
    assert table.startswith("# Validation matrix: 1/1 named correctly; "
                            "1 not applicable on this host")
    assert "| app_workers | app_workers=1 | app.workers | not run (n/a) |" in table
    assert "db.query (ok)" in table


def test_reanalyze_keeps_a_skipped_case_without_running_anything(tmp_path: Path) -> None:
    app_workers = {case.name: case for case in cases(Path("c.toml"), Path("m.toml"))}[
        "app_workers"]
    (tmp_path / "matrix.json").write_text(json.dumps(
        {"wall_s": 0.0, "cases": [asdict(skipped_case(app_workers, cpus=2))]}))
    assert main(["--reanalyze", str(tmp_path), "--only", "app_workers"]) == 0
    assert "not run (n/a)" in (tmp_path / "matrix.md").read_text()


def test_reanalyze_judges_against_the_app_the_matrix_ran_on(tmp_path: Path) -> None:
    """`cache=off` is cache.misses on the Python app and db.query on Laravel (the array
    driver leaves Redis nothing to miss): a Laravel matrix stays a Laravel matrix."""
    cache = {case.name: case for case in cases(Path("c.toml"), Path("m.toml"), "laravel")}[
        "cache"]
    results = tmp_path / "cache"
    results.mkdir()
    (results / "analysis.json").write_text(json.dumps({"verdicts": [
        {"bottleneck": "db.query", "confidence": 0.87, "evidence": ["statement 1: 89%"]}]}))
    earlier = outcome_of(cache, results, 1, 227.0)
    (tmp_path / "matrix.json").write_text(json.dumps(
        {"app": "laravel", "db": "postgresql", "wall_s": 227.0, "cases": [asdict(earlier)]}))
    assert main(["--reanalyze", str(tmp_path)]) == 0
    again = json.loads((tmp_path / "matrix.json").read_text())
    assert again["app"] == "laravel" and again["cases"][0]["correct"]


def test_reanalyze_keeps_a_case_whose_results_are_gone_and_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A matrix merged from several runs lists cases whose folders live elsewhere: judged
    again, each keeps its earlier verdict instead of becoming "(no analysis)"."""
    indexes = {case.name: case for case in cases(Path("c.toml"), Path("m.toml"))}["indexes"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "analysis.json").write_text(json.dumps({"verdicts": [
        {"bottleneck": "db.query", "confidence": 0.8, "evidence": ["statement 1: 90%"]}]}))
    matrix = tmp_path / "merged"
    matrix.mkdir()
    (matrix / "matrix.json").write_text(json.dumps(
        {"wall_s": 200.0, "cases": [asdict(outcome_of(indexes, elsewhere, 0, 200.0))]}))
    assert main(["--reanalyze", str(matrix), "--only", "indexes"]) == 0
    assert "db.query (ok)" in (matrix / "matrix.md").read_text()
    said = capsys.readouterr()
    assert "indexes: analyzing again" in said.out and "running" not in said.out
    assert f"its results are not in {matrix / 'indexes'}" in said.err
