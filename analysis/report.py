"""report.html: jinja2 with autoescape on, figures embedded as base64 data URIs.

Why embedded: the report is mailed and archived as one file; the same PNGs are also
in figures/ and linked relatively. Query texts and error messages are untrusted data
and are only ever inserted through autoescaping.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

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


def render_report(model: Model, figures: dict[str, Path], results_dir: Path) -> str:
    embedded = [{"name": name, "title": TITLES.get(name, name),
                 "src": "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode(),
                 "path": path.relative_to(results_dir).as_posix()}
                for name, path in figures.items()]
    template = environment().get_template("report.html")
    locust = results_dir / "locust" / "report.html"
    return template.render(m=model.data, figures=embedded,
                           config_text=config_text(model.data["config"]),
                           locust_report="locust/report.html" if locust.is_file() else None)


def _pct(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{float(value) * 100:.1f}%"


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    value = float(value)
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}".rstrip("0").rstrip(".")
