"""Percentiles corrected for coordinated omission next to the raw ones, from the
`hist_missed` column the recorder writes (absent: not measured, said as such)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis import analyze
from scenarios.histogram import Histogram


def _with_a_stall(results: Path) -> None:
    """Every request of the last 60 s hid four a paced user would have sent (5-20 s)."""
    requests = pd.read_csv(results / "requests.csv", keep_default_na=False)
    missed = Histogram()
    for ms in (5_000.0, 10_000.0, 15_000.0, 20_000.0):
        missed.record(ms)
    stalled = requests["ts"] >= requests["ts"].max() - 60
    requests["hist_missed"] = ""
    requests.loc[stalled, "hist_missed"] = missed.encode()
    requests.to_csv(results / "requests.csv", index=False)


def test_the_report_shows_corrected_percentiles_and_says_how(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("db.query")  # a knee: the closed model's caveat applies
    _with_a_stall(results)
    analyze(results)
    data = json.loads((results / "analysis.json").read_text())
    phases = {phase["phase"]: phase for phase in data["phases"] if phase["count"]}
    assert all(phase["p99_co"] >= phase["p99"] for phase in phases.values())
    last = data["phases"][-1] if data["phases"][-1]["count"] else data["phases"][-2]
    assert last["p99_co"] > 4_900 > last["p99"]  # the stall's hidden waits
    caveat = next(c for c in data["caveats"] if c.startswith("Coordinated omission"))
    assert "Corrected (HdrHistogram's expected-interval method" in caveat
    assert f"{last['phase']} p99 {last['p99_co']:.0f} ms" in caveat
    assert "p99 corrected" in (results / "report.html").read_text()


def test_a_stall_shorter_than_the_users_pace_hides_nothing(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("db.query")
    requests = pd.read_csv(results / "requests.csv", keep_default_na=False)
    requests["hist_missed"] = ""  # recorded: no response outlasted its user's interval
    requests.to_csv(results / "requests.csv", index=False)
    analyze(results)
    data = json.loads((results / "analysis.json").read_text())
    assert all(phase["p99_co"] == phase["p99"] for phase in data["phases"] if phase["count"])
    caveat = next(c for c in data["caveats"] if c.startswith("Coordinated omission"))
    assert caveat.endswith("so the measured percentiles stand.")


def test_results_without_the_column_read_as_not_measured(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("db.query")
    analyze(results)
    data = json.loads((results / "analysis.json").read_text())
    assert all(phase["p99_co"] is None for phase in data["phases"])
    caveat = next(c for c in data["caveats"] if c.startswith("Coordinated omission"))
    assert caveat.endswith("Treat tail latencies above the knee as lower bounds.")
