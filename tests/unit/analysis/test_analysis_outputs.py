"""analyze(): every output written, JSON contract, escaping, CLI exit codes."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from analysis import EXIT_BAD_INPUT, EXIT_OK, EXIT_SLO_FAILED, analyze
from analysis.__main__ import main
from analysis.findings import TAXONOMY

SCRIPT = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def analyzed_db_query(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A db.query campaign whose dominant statement text carries a <script>."""
    from testkit.synthetic import SyntheticSpec, generate
    root = generate(tmp_path_factory.mktemp("xss"), SyntheticSpec(scenario="db.query"))
    path = root / "queries.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows = [[qid, f"{text} /* {SCRIPT} */" if qid.endswith("003") else text]
            for qid, text in rows]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    with (root / "errors.csv").open("a", encoding="utf-8", newline="") as handle:
        # an error message is data too: it becomes a label of the interactive errors chart
        first_second = (root / "requests.csv").read_text().splitlines()[1].split(",")[0]
        csv.writer(handle, lineterminator="\n").writerow(
            [first_second, "/sppd", "GET", f"HTTP 500 {SCRIPT}", 3])
    analyze(root)
    return root


def test_all_outputs_written_and_json_contract(analyzed_db_query: Path) -> None:
    root = analyzed_db_query
    for name in ("analysis.json", "report.html", "summary.md", "junit.xml"):
        assert (root / name).is_file(), name
    data = json.loads((root / "analysis.json").read_text(encoding="utf-8"))
    assert data["verdicts"][0]["bottleneck"] == "db.query"
    assert all(v["bottleneck"] in TAXONOMY for v in data["verdicts"])
    assert data["slo"]["ok"] is False and data["slo"]["results"]
    assert data["capacity"]["usl"]["r_squared"] > 0.9 and data["capacity"]["knee"]["users"] > 0
    assert [p["phase"] for p in data["phases"]] == ["warmup", "steady", "peak"]
    assert data["phases"][0]["requests"][0]["p95"] > 0
    assert "Coordinated omission" in data["caveats"][0]
    assert "***" in data["config"]["target"]["dsn"]


def test_report_escapes_query_text_and_embeds_existing_figures(analyzed_db_query: Path) -> None:
    html = (analyzed_db_query / "report.html").read_text(encoding="utf-8")
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    # our three scripts only (chart data, uPlot, the charts): data never opens or closes one
    assert html.lower().count("<script") == 3 and html.lower().count("</script") == 3
    assert html.index('id="verdict"') < html.index("<h2>Evidence</h2>")
    figures = sorted((analyzed_db_query / "figures").glob("*.png"))
    assert {f.stem for f in figures} >= {"timeline", "capacity", "resources", "cpu_groups",
                                         "statements", "queue", "errors"}
    # time charts are drawn by the page (PNG for readers without scripts), the rest embedded
    assert html.count('src="data:image/png;base64,') == 2  # capacity, statements
    assert html.count('<figure class="chart" data-chart=') == len(figures) - 2
    for link in re.findall(r'href="(figures/[^"]+)"', html):
        assert (analyzed_db_query / link).is_file()
    summary = (analyzed_db_query / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# eSPPD load analysis") and "<script" not in summary


def test_regenerating_from_an_old_results_dir_is_stable(analyzed_db_query: Path) -> None:
    before = json.loads((analyzed_db_query / "analysis.json").read_text(encoding="utf-8"))
    analyze(analyzed_db_query)
    after = json.loads((analyzed_db_query / "analysis.json").read_text(encoding="utf-8"))
    assert before == after


def test_analysis_never_reads_knobs(copy_of: Callable[[str], Path]) -> None:
    root = copy_of("baseline")
    analyze(root)
    before = json.loads((root / "analysis.json").read_text(encoding="utf-8"))
    toml = (root / "campaign.toml").read_text(encoding="utf-8")
    (root / "campaign.toml").write_text(
        toml + 'missing_indexes = "on"\nn_plus_one = "on"\ncache = "off"\n', encoding="utf-8")
    analyze(root)
    after = json.loads((root / "analysis.json").read_text(encoding="utf-8"))
    assert after["verdicts"] == before["verdicts"]


def test_cli_exit_codes(copy_of: Callable[[str], Path], capsys: pytest.CaptureFixture[str],
                        tmp_path: Path) -> None:
    assert main([str(copy_of("baseline"))]) == EXIT_OK
    assert "none (confidence" in capsys.readouterr().out
    assert main([str(copy_of("db.query")), "--slo", "p95_ms=100000",
                 "--slo", "cpu_util=1.01"]) == EXIT_OK
    assert main([str(copy_of("db.query"))]) == EXIT_SLO_FAILED
    capsys.readouterr()
    assert main([str(tmp_path / "missing")]) == EXIT_BAD_INPUT
    assert "not a results directory" in capsys.readouterr().err
    assert main([str(copy_of("baseline")), "--slo", "p95=3"]) == EXIT_BAD_INPUT


def test_cli_bad_input_prints_one_line_without_traceback(copy_of: Callable[[str], Path]) -> None:
    root = copy_of("baseline")
    (root / "requests.csv").unlink()
    done = subprocess.run([sys.executable, "-m", "analysis", str(root)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == EXIT_BAD_INPUT
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "requests.csv: missing" in done.stderr


def test_a_quiet_run_reports_only_what_applies(copy_of: Callable[[str], Path]) -> None:
    """No stall, no coordinated-omission caveat; an SLO without its collector is said
    once, not as a skipped row per phase; the config is folded away."""
    root = copy_of("baseline")
    metrics = root / "metrics.csv"
    rows = metrics.read_text(encoding="utf-8").splitlines(keepends=True)
    metrics.write_text("".join(row for row in rows if ",redis." not in row), encoding="utf-8")
    analyze(root)
    data = json.loads((root / "analysis.json").read_text(encoding="utf-8"))
    assert data["caveats"] == []
    assert data["slo"]["not_judged"] == [
        "cache hit ratio > 80.0%: not measured (redis.hit_ratio while requests were served, "
        "by lookups; the cold keys of users who joined in the last 15 s left out), in every "
        "phase"]
    html = (root / "report.html").read_text(encoding="utf-8")
    assert "skipped" not in html and "in every phase" in html
    assert re.search(r"<details><summary>Campaign config", html)
    summary = (root / "summary.md").read_text(encoding="utf-8")
    assert "skipped" not in summary and "Not judged:" in summary
