"""Missing or stale planner statistics of the tables a finding's statements read: said
as evidence, and ANALYZE advised before any index or hardware."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from analysis.context import build_context
from analysis.dataset import read_dataset
from analysis.rules import diagnose


def _planner_view(results: Path, table: str, changed: float, unanalyzed: int,
                  auto: int) -> None:
    """Rewrite the table's planner columns in tables.csv from the middle of the run on."""
    path = results / "tables.csv"
    frame = pd.read_csv(path)
    late = (frame["table"] == table) & (frame["ts"] >= frame["ts"].median())
    frame.loc[late, "n_mod_since_analyze"] = changed * frame.loc[late, "n_live_tup"]
    frame.loc[late, ["unanalyzed", "auto_analyze"]] = [unanalyzed, auto]
    frame.to_csv(path, index=False)


def _top(results: Path) -> tuple[str, list[str], list[str]]:
    finding = diagnose(build_context(read_dataset(results)))[0]
    return finding.bottleneck, finding.evidence, finding.recommendations


@pytest.mark.parametrize(("changed", "unanalyzed", "auto", "said"), [
    (0.0, 2, 0, "sppd (2 parts) never analyzed (no statistics, as a restore"),
    (3.0, 0, 0, "sppd: 720000 rows changed since its last ANALYZE (300% of its 240000"),
    (0.5, 0, 1, "rows changed since its last ANALYZE (50% of its"),
])
def test_stale_statistics_of_the_slow_statements_table_come_first(
        copy_of: Callable[[str], Path], changed: float, unanalyzed: int, auto: int,
        said: str) -> None:
    results = copy_of("db.query")
    _planner_view(results, "sppd", changed, unanalyzed, auto)
    bottleneck, evidence, advice = _top(results)
    assert bottleneck == "db.query"
    line = next(line for line in evidence if line.startswith("planner statistics: sppd"))
    assert said in line
    assert ("nothing re-analyzes sppd (autovacuum off)" in line) == (auto == 0)
    assert advice[0].startswith("Refresh the planner's statistics first: `ANALYZE sppd;`")
    assert ("RESET (autovacuum_enabled)" in " ".join(advice)) == (auto == 0)


@pytest.mark.parametrize("scenario", ["db.query", "db.cpu"])
def test_fresh_or_small_changes_say_nothing(copy_of: Callable[[str], Path],
                                            scenario: str) -> None:
    """1% changed (the generator's), or 15%: below twice autovacuum's trigger."""
    results = copy_of(scenario)
    _planner_view(results, "sppd", 0.15, 0, 1)
    bottleneck, evidence, advice = _top(results)
    assert bottleneck == scenario
    assert not any("planner statistics" in line for line in evidence)
    assert not any("statistics" in line for line in advice)


def test_db_cpu_names_the_costliest_statements_stale_tables(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("db.cpu")
    _planner_view(results, "sppd", 0.0, 1, 1)
    bottleneck, evidence, advice = _top(results)
    assert bottleneck == "db.cpu"
    assert any(line.startswith("planner statistics: sppd never analyzed")
               for line in evidence)
    assert advice[0].startswith("Refresh the planner's statistics first")


def test_results_written_before_the_planner_columns_read_as_unknown(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("db.query")
    frame = pd.read_csv(results / "tables.csv")
    frame.drop(columns=["n_mod_since_analyze", "unanalyzed", "auto_analyze"]).to_csv(
        results / "tables.csv", index=False)
    bottleneck, evidence, _ = _top(results)
    assert bottleneck == "db.query"
    assert not any("planner statistics" in line for line in evidence)
