"""compare.json, compare.md, compare.html and the overlay figure of a comparison."""

from __future__ import annotations

import base64
import io
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from analysis.compare.build import Run, comparison, load_run, timeline, verdict
from analysis.compare.gate import Allowance, Check, checks, write_junit
from analysis.compare.noise import RESAMPLES
from analysis.report import environment
from analysis.timefmt import iso
from analysis.view import clean

METHOD = (f"A change is marked * (beyond noise) when the 95% interval of new/base, from "
          f"{RESAMPLES} bootstrap resamples of each run's whole seconds (their merged latency "
          "histograms), excludes no change. Phases are matched by name, requests by method "
          "and name, statements by their normalized text.")


@dataclass(frozen=True)
class ComparisonResult:
    gate: list[list[Check]]  # per newer run, against the base
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def regressed(self) -> bool:
        return any(check.regressed for run in self.gate for check in run)


def write_comparison(paths: list[Path], out: Path, allow: Allowance | None = None,
                     junit: Path | None = None) -> ComparisonResult:
    """Compare every run after the first with the first; write the outputs into `out`
    (and the gate's JUnit cases into `junit`, when given)."""
    allow = allow or Allowance()
    runs = [load_run(path) for path in paths]
    base, newer = runs[0], runs[1:]
    comparisons, gates = [], []
    for run in newer:
        item = comparison(base, run)
        gate = checks(item["requests"], allow)
        item["gate"] = [asdict(check) for check in gate]
        item["regressed"] = any(check.regressed for check in gate)
        comparisons.append(item)
        gates.append(gate)
    data = clean({"method": METHOD, "allow": asdict(allow),
                  "runs": [{"name": run.name, "path": str(run.path), "start": iso(run.start),
                            "verdict": verdict(run)} for run in runs],
                  "comparisons": comparisons})
    out.mkdir(parents=True, exist_ok=True)
    figure = _overlay(runs)
    outputs = {"compare.json": out / "compare.json", "compare.md": out / "compare.md",
               "compare.html": out / "compare.html", "compare.png": out / "compare.png"}
    outputs["compare.png"].write_bytes(figure)
    outputs["compare.json"].write_text(json.dumps(data, indent=2, ensure_ascii=False,
                                                  allow_nan=False) + "\n", encoding="utf-8")
    outputs["compare.md"].write_text(render_markdown(data), encoding="utf-8")
    env = environment()
    env.globals["pct_change"] = _pct_change
    outputs["compare.html"].write_text(env.get_template("compare.html").render(
        c=data, figure="data:image/png;base64," + base64.b64encode(figure).decode()),
        encoding="utf-8")
    if junit is not None:
        write_junit(junit, [check for gate in gates for check in gate], "regression gate")
        outputs["junit"] = junit
    return ComparisonResult(gates, outputs)


def _pct_change(ratio: float | None) -> str:
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return "-"
    return f"{(float(ratio) - 1) * 100:+.1f}%"


def render_markdown(data: dict[str, Any]) -> str:
    """The comparison for a PR or a chat: gate, verdicts, the changes beyond noise."""
    lines = ["# eSPPD comparison", "", data["method"], ""]
    for cmp in data["comparisons"]:
        lines += [f"## `{cmp['base']}` -> `{cmp['new']}`", ""]
        failed = [g for g in cmp["gate"] if g["regressed"]]
        lines.append("**Regressed**: " + "; ".join(f"{g['phase']} {g['metric']}: {g['detail']}"
                                                   for g in failed) if failed else
                     "No regression beyond the allowed changes.")
        verdicts = cmp["verdicts"]
        lines += ["", f"Verdict: {verdicts['base']['bottleneck']} -> "
                      f"{verdicts['new']['bottleneck']}", "",
                  "| phase | request | p95 (ms) | change | req/s | change |",
                  "|---|---|---|---|---|---|"]
        for row in cmp["requests"]:
            if not (row["p95"]["significant"] or row["rps"]["significant"]):
                continue
            lines.append(f"| {row['phase']} | `{row['request']}` | {row['p95']['base']:.0f} -> "
                         f"{row['p95']['new']:.0f} | {_pct_change(row['p95']['ratio'])}"
                         f"{' *' if row['p95']['significant'] else ''} | {row['rps']['base']:.1f}"
                         f" -> {row['rps']['new']:.1f} | {_pct_change(row['rps']['ratio'])}"
                         f"{' *' if row['rps']['significant'] else ''} |")
        moved = [s for s in cmp["statements"] if s["change"] not in ("same", "sampled")]
        if moved:
            lines += ["", "Statements: " + "; ".join(
                f"{s['change']} `{s['query'][:80].replace('`', '')}`" for s in moved[:8])]
        lines.append("")
    lines += ["![p95 and req/s over time](compare.png)", ""]
    return "\n".join(lines)


def _overlay(runs: list[Run]) -> bytes:
    figure = Figure(figsize=(11, 6), layout="constrained")
    latency, throughput = figure.subplots(2, 1, sharex=True)
    for run in runs:
        series = timeline(run)
        latency.plot(series["t"], series["p95"], label=run.name, linewidth=1.2)
        throughput.plot(series["t"], series["rps"], label=run.name, linewidth=1.2)
    latency.set_ylabel("p95 (ms)")
    latency.set_ylim(bottom=0)
    throughput.set_ylabel("req/s")
    throughput.set_ylim(bottom=0)
    throughput.set_xlabel("seconds since the run's start")
    latency.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
