"""The one entry point: `analyze(results_dir)` reads, diagnoses and writes every output.

Why one function: the campaign runner (`run_campaign.py --analyze DIR`), the CLI and
the benchmarks must produce identical outputs from the same results directory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from analysis.capacity import Capacity
from analysis.charts import chart_data, time_charts
from analysis.context import build_context
from analysis.dataset import read_dataset
from analysis.figures import write_figures
from analysis.findings import Finding
from analysis.junit import write_junit
from analysis.report import render_report
from analysis.rules import diagnose
from analysis.rules.statements import statement_totals
from analysis.slo import SloResult, all_hold, evaluate, slo_spec
from analysis.summary import render_summary
from analysis.use import use_table
from analysis.view import build_model

EXIT_OK = 0
EXIT_SLO_FAILED = 1
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class AnalysisResult:
    """What an analysis found and where it wrote it."""

    results_dir: Path
    verdicts: list[Finding]
    slo: list[SloResult]
    slo_ok: bool
    capacity: Capacity
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def bottleneck(self) -> str:
        return self.verdicts[0].bottleneck

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.slo_ok else EXIT_SLO_FAILED


def analyze(results_dir: Path, slo: Mapping[str, float] | None = None) -> AnalysisResult:
    """Analyze a results directory and (re)write analysis.json, report.html, figures/,
    summary.md and junit.xml in it. Raises AnalysisError (DatasetError) on bad input."""
    results_dir = Path(results_dir)
    dataset = read_dataset(results_dir)
    spec = slo_spec(dataset.campaign, slo)
    ctx = build_context(dataset)
    slo_results = evaluate(ctx, spec)
    findings = diagnose(ctx, [r for r in slo_results if r.passed is False])
    ok = all_hold(slo_results)
    statements = statement_totals(ctx)
    model = build_model(ctx, dataset.campaign, findings, slo_results, spec, ok, statements,
                        use_table(ctx), results_dir.name)
    figures = write_figures(ctx, statements, results_dir / "figures")
    outputs = {
        "analysis.json": results_dir / "analysis.json",
        "summary.md": results_dir / "summary.md",
        "report.html": results_dir / "report.html",
        "junit.xml": results_dir / "junit.xml",
    }
    outputs["analysis.json"].write_text(
        json.dumps(model.data, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
        encoding="utf-8")
    outputs["summary.md"].write_text(render_summary(model), encoding="utf-8")
    charts = [chart_data(chart) for chart in time_charts(ctx, per_second=True)]
    outputs["report.html"].write_text(render_report(model, figures, results_dir, charts),
                                      encoding="utf-8")
    write_junit(outputs["junit.xml"], slo_results, suite=str(model.data["campaign"]))
    outputs |= {f"figures/{path.name}": path for path in figures.values()}
    return AnalysisResult(results_dir, findings, slo_results, ok, ctx.capacity, outputs)
