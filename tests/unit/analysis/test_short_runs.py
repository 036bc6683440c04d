"""A run inside one second (ab against a fast page finishes in one) is analyzed, with
its one window, its charts and its SLOs: not "no requests"."""

from __future__ import annotations

import json
from pathlib import Path

from analysis import analyze
from scenarios.histogram import Histogram


def test_a_run_inside_one_second_on_a_window_boundary(tmp_path: Path) -> None:
    second = 1_796_490_370  # a multiple of 5: the window's start, at epoch magnitude
    histogram = Histogram()
    histogram.record(1.0, 3998)
    histogram.record(2.0, 2)
    (tmp_path / "campaign.toml").write_text('name = "one-second"\n')
    (tmp_path / "requests.csv").write_text(
        "ts,name,method,count,failures,sum_ms,max_ms,hist\n"
        f"{second},/auth/login,GET,4000,0,4002.0,2.0,{histogram.encode()}\n")
    (tmp_path / "users.csv").write_text("ts,phase,target_users,user_class,users\n"
                                        f"{second},run,4,ab,4\n")
    (tmp_path / "metrics.csv").write_text("ts,collector,target,metric,value\n"
                                          f"{second},host,,proc.cpu{{other}},0.2\n"
                                          f"{second},host,,cpu.count,2\n")
    result = analyze(tmp_path)
    data = json.loads((tmp_path / "analysis.json").read_text())
    assert result.slo_ok, data["slo"]
    assert data["phases"][0]["count"] == 4000
    assert (tmp_path / "figures" / "timeline.png").is_file()
