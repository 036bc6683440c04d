"""The progress line's "most saturated resource", read from the tail of metrics.csv."""

from __future__ import annotations

from pathlib import Path

from harness.progress import hottest_resource


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
