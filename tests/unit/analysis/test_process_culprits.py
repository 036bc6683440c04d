"""Who used a saturated host (processes.csv), and worker processes that are listed but
stopped: mechanisms on synthetic runs, each with its negative."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.context import build_context
from analysis.dataset import read_dataset
from analysis.rules import diagnose
from collectors.sampler import METRICS_HEADER, PROCESSES_HEADER

GIB = 1024 ** 3


def _write_processes(results: Path, rows: Callable[[float, float], list[list[object]]]) -> None:
    """processes.csv with rows(ts, saturation 0..1) per host sample of the run."""
    metrics = pd.read_csv(results / "metrics.csv")
    util = metrics[metrics["metric"] == "cpu.util"]
    with (results / "processes.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(PROCESSES_HEADER)
        for ts, target, value in zip(util["ts"], util["target"], util["value"], strict=True):
            out.writerows([ts, target, *row] for row in rows(ts, value))


def _stack_processes(ts: float, busy: float) -> list[list[object]]:
    return [[101, "postgres", "postgres", 0.3 * busy, 0.4 * GIB, 0.0],
            [202, "php-fpm8.2", "php-fpm", 0.4 * busy, 0.1 * GIB, 0.0]]


def test_the_process_outside_the_stack_that_used_the_cpu_is_named(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("host.cpu")

    def rows(ts: float, busy: float) -> list[list[object]]:
        hog = [[7001 + n, "python3 backup.py", "other", 0.7 * busy, 0.05 * GIB, None]
               for n in range(2)]
        return _stack_processes(ts, busy) + hog

    _write_processes(results, rows)
    finding = diagnose(build_context(read_dataset(results)))[0]
    assert finding.bottleneck == "host.cpu"
    culprit = next(line for line in finding.evidence if line.startswith("culprit: "))
    assert "'python3 backup.py'" in culprit and "2 processes, pids 7001, 7002" in culprit
    assert "outside the stack" in culprit and "cores on average" in culprit
    assert "'python3 backup.py'" in finding.recommendations[0]


def test_host_cpu_never_blames_a_process_of_the_stack(copy_of: Callable[[str], Path]) -> None:
    results = copy_of("host.cpu")
    _write_processes(results, _stack_processes)   # the outsider never made the top rows
    finding = diagnose(build_context(read_dataset(results)))[0]
    assert finding.bottleneck == "host.cpu"
    assert not any(line.startswith("culprit: ") for line in finding.evidence)
    assert finding.details["culprit"] is None


def test_the_busiest_io_process_is_named_for_a_saturated_disk(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("host.disk")

    def rows(ts: float, busy: float) -> list[list[object]]:
        return [*_stack_processes(ts, busy),
                [8080, "rsync", "other", 0.05, 0.01 * GIB, 90e6],
                [101, "postgres", "postgres", 0.2, 0.4 * GIB, 4e6]]

    _write_processes(results, rows)
    finding = diagnose(build_context(read_dataset(results)))[0]
    assert finding.bottleneck == "host.disk"
    culprit = next(line for line in finding.evidence if line.startswith("culprit: "))
    assert "'rsync'" in culprit and "MiB/s" in culprit


def test_the_largest_resident_process_is_named_when_memory_runs_out(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("host.memory")

    def rows(ts: float, busy: float) -> list[list[object]]:
        return [*_stack_processes(ts, busy),
                [9090, "java", "other", 0.1, (1 + 10 * busy) * GIB, None]]

    _write_processes(results, rows)
    finding = diagnose(build_context(read_dataset(results)))[0]
    assert finding.bottleneck == "host.memory"
    culprit = next(line for line in finding.evidence if line.startswith("culprit: "))
    assert "'java'" in culprit and "GiB resident" in culprit


def _add_stopped_workers(results: Path, stopped: int, from_s: float = 0.0) -> None:
    """proc.stopped{app} on the app host for every sample of the run (32 app processes):
    `stopped` from `from_s` seconds after its start, none before."""
    metrics = pd.read_csv(results / "metrics.csv")
    assert set(metrics[metrics["metric"] == "proc.count{app}"]["value"]) == {32}
    ticks = metrics[metrics["metric"] == "cpu.util"][["ts", "target"]]
    with (results / "metrics.csv").open("a", newline="") as handle:
        out = csv.writer(handle)
        assert tuple(metrics.columns) == METRICS_HEADER
        start = ticks["ts"].min()
        for ts, target in zip(ticks["ts"], ticks["target"], strict=True):
            out.writerow([ts, "host", target, "proc.stopped{app}",
                          stopped if ts >= start + from_s else 0])


def test_stopped_workers_leave_the_few_running_ones_saturated(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    _add_stopped_workers(results, stopped=31)  # 32 listed workers, one runs
    finding = diagnose(build_context(read_dataset(results)))[0]
    assert finding.bottleneck == "app.workers"
    assert "Only 1 of 32 app workers" in finding.summary and "31 stopped" in finding.summary
    assert any("proc.stopped{app}" in line and "serve nothing" in line
               for line in finding.evidence)
    assert "kill -CONT" in finding.recommendations[0]


def test_listed_workers_none_stopped_change_nothing(copy_of: Callable[[str], Path]) -> None:
    results = copy_of("baseline")
    _add_stopped_workers(results, stopped=0)
    assert diagnose(build_context(read_dataset(results)))[0].bottleneck == "none"


def test_every_worker_stopped_is_every_slot_lost_though_the_status_page_went_silent(
        copy_of: Callable[[str], Path]) -> None:
    """PHP-FPM serves its status page from the same children: with all stopped, the pool's
    numbers stop after the first windows; its size holds, and the errors that follow are
    the workers' consequence."""
    results = copy_of("baseline")
    _add_stopped_workers(results, stopped=32, from_s=120)
    metrics = pd.read_csv(results / "metrics.csv")
    start = metrics["ts"].min()
    silent = metrics["metric"].str.startswith("app.") & (metrics["ts"] > start + 125)
    metrics[~silent].to_csv(results / "metrics.csv", index=False)
    found = diagnose(build_context(read_dataset(results)))
    assert found[0].bottleneck == "app.workers"
    assert "Only 0 of 32 app workers" in found[0].summary
    assert any("status page, served by the same children, answered nothing" in line
               for line in found[0].evidence)
