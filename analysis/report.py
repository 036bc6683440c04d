"""report.html: jinja2 with autoescape on; time charts interactive (uPlot, inlined),
the other figures embedded as base64 PNG data URIs.

Why embedded: the report is mailed and archived as one file that opens offline; the
PNGs are also in figures/ and linked relatively (summary.md shows them). uPlot
(analysis/templates/vendor, MIT, 50 KB) is the charting library Grafana's time
series panels use: small, fast with a sample per second over hours. Query texts and
error messages are untrusted data and are only ever inserted through autoescaping
(the chart data through `tojson`, and uPlot writes labels as text).
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from analysis.view import Model, config_text

TITLES = {
    "timeline": "Users, throughput and latency over time, phases shaded",
    "capacity": "Throughput vs users with the USL fit and the knee",
    "resources": "Resources on the same time axis as p95 latency",
    "cpu_groups": "CPU by process group",
    "statements": "Top statements by share of DB time",
    "queue": "Queue length over time",
    "errors": "Errors over time",
}


def environment() -> Environment:
    env = Environment(loader=PackageLoader("analysis", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["pct"] = _pct
    env.globals["num"] = _num
    return env


TEMPLATES = Path(__file__).resolve().parent / "templates"


def render_report(model: Model, figures: dict[str, Path], results_dir: Path,
                  charts: list[dict[str, Any]]) -> str:
    """`charts`: the interactive time charts (analysis.charts.chart_data); a figure with
    a chart of its name is drawn by the page, its PNG kept for readers without scripts."""
    interactive = {chart["name"] for chart in charts}
    embedded = [{"name": name, "title": TITLES.get(name, name), "interactive": name in interactive,
                 "src": "" if name in interactive else
                 "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode(),
                 "path": path.relative_to(results_dir).as_posix()}
                for name, path in figures.items()]
    phases = [{"label": phase["phase"], "start": phase["start"], "end": phase["end"]}
              for phase in model.data["phases"]]
    run = [phases[0]["start"], phases[-1]["end"]] if phases else []
    template = environment().get_template("report.html")
    locust = results_dir / "locust" / "report.html"
    return template.render(m=model.data, figures=embedded,
                           charts={"charts": charts, "phases": phases, "run": run},
                           uplot_js=_vendored("uPlot.iife.min.js"),
                           uplot_css=_vendored("uPlot.min.css"),
                           charts_js=Markup((TEMPLATES / "charts.js").read_text("utf-8")),
                           config_text=config_text(model.data["config"]),
                           locust_report="locust/report.html" if locust.is_file() else None)


def _vendored(name: str) -> Markup:
    """A vendored file's text, inserted as is (it is ours, not data)."""
    return Markup((TEMPLATES / "vendor" / name).read_text("utf-8"))


def _pct(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{float(value) * 100:.1f}%"


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    value = float(value)
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}".rstrip("0").rstrip(".")
