"""The local host collector names the processes using the host, and counts stopped ones."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from collectors.host import HostCollector
from collectors.shell import LocalShell


def test_a_busy_process_is_listed_and_a_stopped_one_counted() -> None:
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    idle = subprocess.Popen(["sleep", "60"])
    try:
        idle.send_signal(signal.SIGSTOP)
        collector = HostCollector(LocalShell())
        collector.sample(time.time())
        time.sleep(1.0)
        sample = collector.sample(time.time())
        metrics = dict(sample.metrics)
        assert metrics["proc.stopped{other}"] >= 1
        rows = {row[0]: row for row in sample.processes}
        assert busy.pid in rows, "a process using a whole core is among the top CPU users"
        _, command, group, cores, rss, _ = rows[busy.pid]
        assert command.startswith("python") and group == "other"
        assert cores > 0.1 and rss > 0  # a loaded 2-core host gives it less than a core
        assert len(sample.processes) <= 9  # a handful per sample, whatever the host runs
    finally:
        idle.kill()
        busy.kill()
        idle.wait()
        busy.wait()
