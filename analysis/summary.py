"""summary.md: the verdict, the evidence and the SLO table in plain Markdown (for a PR,
an issue or a chat message). Data text is put in code spans with backticks removed.
"""

from __future__ import annotations

import re
from typing import Any

from analysis.view import Model


def render_summary(model: Model) -> str:
    m = model.data
    lines = [f"# eSPPD load analysis: {_plain(m['campaign'])}", "",
             f"{m['start']} to {m['end']}", ""]
    if m["run"]["partial"]:
        lines += [f"> **{_plain(m['run']['partial'])}**", ""]
    lines += [f"**{_plain(m['verdict'])}**", ""]
    for caveat in m["caveats"]:
        lines += [f"> {_plain(caveat)}", ""]
    lines += ["## Findings", ""]
    for i, f in enumerate(m["verdicts"], start=1):
        lines.append(f"{i}. **{f['bottleneck']}** (confidence {f['confidence']:.2f}): "
                     f"{_plain(f['summary'])}")
        lines += [f"   - {_code_safe(e)}" for e in f["evidence"]]
        if f["recommendations"]:
            lines.append("   - Recommendations:")
            lines += [f"     - {_plain(r)}" for r in f["recommendations"]]
    status = "hold" if m["slo"]["ok"] else "VIOLATED"
    lines += ["", f"## SLOs: {status}", "", "| phase | SLO | result | measured |",
              "|---|---|---|---|"]
    for r in m["slo"]["results"]:
        if r["passed"] is None:
            continue
        result = "pass" if r["passed"] else "**FAIL**"
        lines.append(f"| {_cell(r['phase'])} | {_cell(r['slo'])} | {result} | "
                     f"{_cell(r['detail'])} |")
    if m["slo"]["not_judged"]:
        lines += ["", "Not judged:", *[f"- {_plain(line)}" for line in m["slo"]["not_judged"]]]
    if len(m["capacity"]["levels"]) >= 2:  # one level has no knee or curve to speak of
        lines += ["", "## Capacity", "", _capacity_line(m["capacity"]), ""]
    if m["tuning"]["snippets"]:
        lines += ["", "## Tuning sheet (from this run's measurements)", ""]
        for snippet in m["tuning"]["snippets"]:
            lines += [f"{snippet['file']}:", "", "```", snippet["text"].replace("`", "'"),
                      "```", ""]
    return "\n".join(lines) + "\n"


def _capacity_line(cap: dict[str, Any]) -> str:
    knee = (f"Knee at {cap['knee']['users']:.0f} users ({cap['knee']['throughput']:.1f} req/s)."
            if cap["knee"] else "No knee in the measured range.")
    usl = cap["usl"]
    if usl:
        n_star = f"{usl['n_star']:.0f}" if usl["n_star"] is not None else "inf"
        x_max = f"{usl['x_max']:.1f}" if usl["x_max"] is not None else "inf"
        ceiling = ("no ceiling within the measured range (N* and X_max lie beyond twice the "
                   "most users measured, so they are not a capacity)" if usl["extrapolated"]
                   else f"N*={n_star}, X_max={x_max} req/s")
        fit = (f"USL: alpha={usl['alpha']:.4g}, beta={usl['beta']:.3g}, {ceiling}, "
               f"R^2={usl['r_squared']:.3f}, X(500)={usl['predicted_x_at_500']:.1f} req/s.")
    else:
        fit = cap["usl_note"] or ""
    return f"{knee} {fit}"


def _plain(text: str) -> str:
    """Neutralize what Markdown renderers would take as HTML: `<` starting a tag."""
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", str(text))


def _code_safe(text: str) -> str:
    return _plain(text).replace("`", "'")


def _cell(text: str) -> str:
    return _plain(text).replace("|", "\\|")
