"""One registry of metric names: what collectors write, the analysis reads and the progress
line shows are all in it, and nothing in it is written by nobody."""

from __future__ import annotations

import ast
from pathlib import Path

from analysis import signals
from collectors.metrics import METRICS, base_name
from harness import progress

ROOT = Path(__file__).resolve().parents[3]
# Everything that writes metrics.csv rows: the collectors and the load recorder.
WRITERS = [*sorted((ROOT / "collectors").glob("*.py")), ROOT / "scenarios" / "recorder.py"]


def written_names() -> set[str]:
    """Metric names in the writers' source: string constants and f-string prefixes
    (`f"proc.cpu{{{group}}}"` -> proc.cpu) that look like registered names."""
    found: set[str] = set()
    for path in WRITERS:
        if path.name == "metrics.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(base_name(node.value))
            elif isinstance(node, ast.JoinedStr) and node.values and \
                    isinstance(node.values[0], ast.Constant):
                found.add(str(node.values[0].value).rstrip("{"))
    return found


def added_names() -> list[tuple[str, str]]:
    """(file, name) of every `<sample>.add("name", ...)` with a literal name."""
    calls = []
    for path in WRITERS:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr == "add" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    calls.append((path.name, base_name(first.value)))
                elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0],
                                                                     ast.Constant):
                    calls.append((path.name, str(first.values[0].value).rstrip("{")))
    return calls


def test_every_metric_a_collector_adds_is_registered() -> None:
    unregistered = [(file, name) for file, name in added_names()
                    if name not in METRICS and not name.endswith(".")]
    assert unregistered == []


def test_every_registered_metric_is_written_by_someone() -> None:
    written = written_names()
    # pressure.{kind} is built from the PSI file names cpu, memory, io.
    written |= {f"pressure.{kind}" for kind in ("cpu", "memory", "io")}
    assert sorted(set(METRICS) - written) == []


def test_every_signal_the_analysis_reads_is_registered() -> None:
    read = [value.name for value in vars(signals).values() if isinstance(value, signals.Signal)]
    assert read and sorted(name for name in read if name not in METRICS) == []


def test_the_progress_line_reads_registered_ratios() -> None:
    names = [*progress.RATIO_PREFIXES, "mem.available_ratio",
             *(name for pair in progress.RATIO_PAIRS.values() for name in pair)]
    assert sorted(name for name in names if name not in METRICS) == []
