"""results/index.html: every run of a results folder, newest first, with a trend per
campaign name. Rebuilt after every campaign that writes into the folder and by
`run_campaign.py --history [DIR]`; it reads only each run's analysis.json and
campaign.toml, so it is cheap and never re-judges a run."""

from __future__ import annotations

import base64
import io
import json
import math
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from analysis.report import environment

MAX_RUNS = 2000


@dataclass(frozen=True)
class Entry:
    name: str
    folder: str           # relative to the index
    start: str            # ISO-8601
    target: str
    verdict: str
    confidence: float | None
    slo_ok: bool | None
    complete: bool
    p95: float | None
    rps: float | None
    error_rate: float | None
    users_max: float | None

    @property
    def started(self) -> datetime:
        """Naive UTC (what numpy's datetime64 takes)."""
        return datetime.fromisoformat(self.start.replace("Z", "+00:00")).replace(tzinfo=None)


def collect(root: Path) -> tuple[list[Entry], list[str]]:
    """The analyzed runs under `root` and one folder below (a validation matrix keeps
    its cases there), newest first, and a note per run that could not be read."""
    entries, skipped = [], []
    found = sorted([*root.glob("*/analysis.json"), *root.glob("*/*/analysis.json")])
    for analysis in found[:MAX_RUNS]:
        folder = analysis.parent
        try:
            data = json.loads(analysis.read_text(encoding="utf-8"))
            entries.append(_entry(folder, folder.relative_to(root).as_posix(), data))
        except (OSError, ValueError, KeyError, TypeError) as error:
            skipped.append(f"{folder.relative_to(root).as_posix()}: {type(error).__name__}: "
                           f"{error}")
    entries.sort(key=lambda entry: entry.start, reverse=True)
    return entries, skipped


def _entry(folder: Path, relative: str, data: dict[str, Any]) -> Entry:
    overall = data.get("overall") or {}
    top = (data.get("verdicts") or [{}])[0]
    return Entry(str(data.get("campaign") or folder.name), relative, str(data["start"]),
                 _target(folder, data.get("config") or {}), str(top.get("bottleneck", "")),
                 top.get("confidence"), (data.get("slo") or {}).get("ok"),
                 bool((data.get("run") or {}).get("complete", True)), overall.get("p95"),
                 overall.get("rps"), overall.get("error_rate"), overall.get("users_max"))


def _target(folder: Path, config: dict[str, Any]) -> str:
    target = config.get("target")
    if not isinstance(target, dict):
        try:
            target = tomllib.loads((folder / "campaign.toml").read_text()).get("target", {})
        except (OSError, tomllib.TOMLDecodeError):
            return "?"
    if target.get("kind") == "url":
        return str(target.get("url", "?"))
    knobs = ", ".join(f"{k}={v}" for k, v in (target.get("knobs") or {}).items())
    return (f"{target.get('app', 'python')}/{target.get('db', 'postgresql')} "
            f"{target.get('size', '')}" + (f" ({knobs})" if knobs else "")).strip()


def trends(entries: list[Entry]) -> dict[str, str]:
    """Campaign name -> a PNG (data URI) of p95 and req/s over its runs (2 runs or more)."""
    by_name: dict[str, list[Entry]] = {}
    for entry in entries:
        by_name.setdefault(entry.name, []).append(entry)
    out = {}
    for name, runs in sorted(by_name.items()):
        runs = [r for r in runs if r.p95 is not None and not math.isnan(r.p95)]
        if len(runs) < 2:
            continue
        runs.sort(key=lambda run: run.start)
        figure = Figure(figsize=(8, 2.6), layout="constrained")
        latency = figure.subplots()
        when = np.array([run.started for run in runs], dtype="datetime64[s]")
        latency.plot(when, np.array([run.p95 for run in runs], dtype=float), "o-",
                     color="#d62728", label="p95 (ms)")
        latency.set_ylabel("p95 (ms)", color="#d62728")
        latency.set_ylim(bottom=0)
        throughput = latency.twinx()
        throughput.plot(when, np.array([run.rps or 0.0 for run in runs], dtype=float), "s--",
                        color="#1f77b4", label="req/s")
        throughput.set_ylabel("req/s", color="#1f77b4")
        throughput.set_ylim(bottom=0)
        latency.set_title(name, fontsize=10)
        figure.autofmt_xdate()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=90)
        out[name] = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return out


def write_history(root: Path) -> Path:
    """(Re)write root/index.html from the runs under root."""
    entries, skipped = collect(root)
    page = environment().get_template("history.html").render(
        root=root.name, entries=entries, trends=trends(entries), skipped=skipped)
    path = root / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
