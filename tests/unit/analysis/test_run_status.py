"""A run cut short says so at the top of every output and is never advised as a baseline."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis import analyze
from analysis.run_status import run_status
from analysis.schema import EVENTS_FILE


def _events(*rows: tuple[float, str, dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame([{"ts": ts, "kind": kind, "data": data} for ts, kind, data in rows])


def test_a_completed_run_is_complete_and_says_nothing() -> None:
    status = run_status(_events((0, "load_start", {"planned_s": 60}),
                                (60, "load_stop", {"reason": "completed", "elapsed_s": 60})), 61)
    assert status.complete and status.describe() == ""


def test_ctrl_c_gives_planned_ran_and_the_reason() -> None:
    status = run_status(_events((0, "load_start", {"planned_s": 60}),
                                (20, "load_stop", {"reason": "Ctrl-C", "elapsed_s": 20.4})), 21)
    assert not status.complete
    assert "after 20 s of a planned 60 s, stopped by Ctrl-C" in status.describe()


def test_no_stop_recorded_is_a_partial_run_up_to_the_last_data() -> None:
    status = run_status(_events((100, "load_start", {"planned_s": 600})), 142.0)
    assert not status.complete and status.ran_s == 42.0
    assert "recorded no stop (killed or crashed)" in status.describe()


def test_results_without_load_events_are_not_called_partial() -> None:
    assert run_status(_events((0, "stack_start", {})), 10).complete
    assert run_status(pd.DataFrame(columns=["ts", "kind", "data"]), 10).complete


def test_an_aborted_healthy_run_is_marked_and_gets_no_baseline_advice(
        copy_of: Callable[[str], Path]) -> None:
    root = copy_of("baseline")
    events = root / EVENTS_FILE
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    for event in lines:
        if event["kind"] == "load_start":
            event["planned_s"] = event["planned_s"] * 3
        if event["kind"] == "load_stop":
            event["reason"] = "Ctrl-C"
    events.write_text("".join(json.dumps(event) + "\n" for event in lines))
    result = analyze(root)
    assert result.bottleneck == "none"
    data = json.loads((root / "analysis.json").read_text())
    assert data["run"]["complete"] is False and data["run"]["reason"] == "Ctrl-C"
    advice = " ".join(data["verdicts"][0]["recommendations"])
    assert "Keep this configuration" not in advice and "to its end" in advice
    html = (root / "report.html").read_text()
    assert html.index('id="partial"') < html.index('id="verdict"')
    assert "stopped by Ctrl-C" in html
    summary = (root / "summary.md").read_text()
    assert summary.index("Partial run") < summary.index("Verdict")


def test_a_complete_healthy_run_keeps_its_baseline_advice(
        copy_of: Callable[[str], Path]) -> None:
    root = copy_of("baseline")
    analyze(root)
    data = json.loads((root / "analysis.json").read_text())
    assert data["run"]["complete"] is True and data["run"]["partial"] == ""
    assert 'id="partial"' not in (root / "report.html").read_text()
