"""results/index.html lists every analyzed run (and the cases of a matrix one folder
down), newest first, with a trend per campaign name; unreadable runs are named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from analysis import analyze
from analysis.history import collect
from testkit.synthetic import SyntheticSpec, generate

ROOT = Path(__file__).resolve().parents[3]


def test_history_lists_runs_newest_first_with_a_trend_per_campaign(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for index, scenario in enumerate(("baseline", "db.query")):
        run = generate(results / f"synthetic-{index}", SyntheticSpec(
            scenario=scenario, duration_s=120, users=50, steps=3,
            start_ts=1_767_258_000.0 + 3600 * index))
        analyze(run)
    case = generate(results / "matrix" / "case-1", SyntheticSpec(duration_s=120, users=50,
                                                                 steps=3, start_ts=1_767_000_000.0))
    analyze(case)
    (results / "broken").mkdir()
    (results / "broken" / "analysis.json").write_text("{not json")
    (results / "no-analysis").mkdir()

    entries, skipped = collect(results)
    assert [entry.folder for entry in entries] == ["synthetic-1", "synthetic-0", "matrix/case-1"]
    newest = json.loads((results / "synthetic-1" / "analysis.json").read_text())
    assert entries[0].p95 == newest["overall"]["p95"] and entries[0].verdict == "db.query"
    assert entries[0].target.startswith("python/postgresql")
    assert skipped and skipped[0].startswith("broken:")

    done = subprocess.run([sys.executable, "run_campaign.py", "--history", str(results)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    page = (results / "index.html").read_text()
    assert page.count('href="synthetic-') == 2 and 'href="matrix/case-1/report.html"' in page
    assert page.count("data:image/png;base64,") == 1  # one campaign name with 2+ runs
    assert "broken" in page
