"""The progress line: its "most saturated resource", read from the tail of metrics.csv,
and the window its figures cover."""

from __future__ import annotations

import math
from pathlib import Path

from harness.progress import LiveStats, hottest_resource, status_text


def write(path: Path, rows: list[tuple[float, str, str, str, float]]) -> Path:
    path.write_text("ts,collector,target,metric,value\n" + "".join(
        f"{ts},{collector},{target},{metric},{value}\n"
        for ts, collector, target, metric, value in rows))
    return path


def test_pairs_become_ratios_and_the_highest_wins(tmp_path: Path) -> None:
    metrics = write(tmp_path / "metrics.csv", [
        (100, "host", "local", "cpu.util", 0.40),
        (100, "host", "local", "mem.available_ratio", 0.70),
        (100, "app_status", "app", "app.workers.busy", 60),
        (100, "app_status", "app", "app.workers.total", 64),
        (100, "postgres", "db", "db.connections.total", 30),
        (100, "postgres", "db", "db.connections.max", 100),
    ])
    name, value = hottest_resource(metrics, newer_than=90)
    assert name == "app.workers@app" and value == 60 / 64


def test_old_rows_and_a_missing_file_give_nothing(tmp_path: Path) -> None:
    metrics = write(tmp_path / "metrics.csv", [(10, "host", "local", "cpu.util", 0.9)])
    assert hottest_resource(metrics, newer_than=90) is None
    assert hottest_resource(tmp_path / "absent.csv", newer_than=0) is None


def test_the_status_line_says_which_window_its_figures_cover() -> None:
    live = LiveStats(phase="steady", users=40, rps=12.34, p95_ms=72.0, error_ratio=0.0,
                     workers=2, window_s=10)
    text = status_text(live, 65, 120, ("cpu.util", 0.42))
    assert text == ("[steady] 01:05/02:00 | 2 workers | 40 users | last 10 s: 12.3 rps, "
                    "p95 72 ms, errors 0.00% | hottest cpu.util 42%")
    idle = LiveStats(phase="starting", users=0, rps=0.0, p95_ms=math.nan,
                     error_ratio=math.nan, workers=2, window_s=10)
    assert "p95 -, errors -" in status_text(idle, 1, None, None)
