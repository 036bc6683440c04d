"""The tuning sheet's arithmetic on known measurements: every number follows from the
run's metrics by the rule its comment states, and a missing measurement leaves its
setting out instead of defaulting it."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from analysis.context import build_context
from analysis.dataset import read_dataset
from analysis.tuning import tuning_sheet

GIB, MIB = 1024**3, 1024**2
# Per second, on one host: what a run would have measured.
KNOWN = {
    "mem.total": 16 * GIB, "mem.available_ratio": 0.5, "cpu.count": 4,
    "proc.rss{php-fpm}": 10 * 50 * MIB, "proc.count{php-fpm}": 10, "proc.cpu{php-fpm}": 1.6,
    "app.workers.busy": 4, "app.workers.total": 10,
    "db.connections.total": 30, "db.connections.max": 100,
    "proc.rss{postgres}": 2 * GIB, "proc.cpu{postgres}": 0.5,
    "queue.reserved{default}": 1.4, "queue.length{default}": 0,
    "proc.count{queue}": 2, "proc.rss{queue}": 100 * MIB, "proc.cpu{queue}": 0.2,
    "nginx.connections.active": 100,
}


def with_metrics(results: Path, metrics: dict[str, float]) -> Path:
    with open(results / "users.csv", newline="") as handle:
        seconds = sorted({int(float(row["ts"])) for row in csv.DictReader(handle)})
    with open(results / "metrics.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ts", "collector", "target", "metric", "value"])
        for second in seconds:
            for metric, value in metrics.items():
                writer.writerow([second, "host", "local", metric, value])
    for name in ("statements.csv", "processes.csv", "sessions.csv"):
        (results / name).unlink(missing_ok=True)
    return results


def test_every_setting_follows_from_its_measurements(copy_of: Callable[[str], Path]) -> None:
    sheet = tuning_sheet(build_context(read_dataset(with_metrics(copy_of("baseline"), KNOWN))))
    text = {snippet.file: snippet.text for snippet in sheet.snippets}
    # memory: 8 GiB free + 0.49 GiB PHP holds, 50 MiB each -> 139 at 80%; CPU: 1.6 cores over
    # 4 busy = 0.4 a worker, 4 CPUs -> 8 at 80%; the smaller wins
    assert "pm.max_children = 8 " in text["php-fpm pool"]
    assert "50 MiB per worker measured -> 139 at 80%" in text["php-fpm pool"]
    # Little's law: 1.4 busy workers / 0.7 -> 2
    assert "numprocs=2 " in text["supervisor program"]
    # 30 connections x 1.25 -> 38, above every holder (8 + 2) + 5
    assert "max_connections = 38 " in text["postgresql.conf"]
    assert "shared_buffers = 4096MB" in text["postgresql.conf"]  # 25% of 16 GiB
    # 100 connections x 2 x 1.25 = 250 -> 256, at least 512
    assert "worker_connections 512;" in text["nginx.conf"]
    assert [line.split(":")[0] for line in sheet.missing] == ["opcache ini"]  # not collected


def test_a_missing_measurement_leaves_its_setting_out(copy_of: Callable[[str], Path]) -> None:
    partial = {k: v for k, v in KNOWN.items() if not k.startswith(("queue.", "db.", "nginx."))}
    sheet = tuning_sheet(build_context(read_dataset(with_metrics(copy_of("baseline"), partial))))
    files = {snippet.file for snippet in sheet.snippets}
    assert files == {"php-fpm pool"}
    assert any(line.startswith("queue workers") for line in sheet.missing)
    assert any(line.startswith("database settings") for line in sheet.missing)
