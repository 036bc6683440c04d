"""`python -m reference_app up`: one JSON line when ready; nothing left behind after a stop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import psutil
import pytest
import requests

pytestmark = pytest.mark.timeout(120)


def start_up() -> tuple[subprocess.Popen[str], dict[str, str], set[int]]:
    process = subprocess.Popen([sys.executable, "-m", "reference_app", "up"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    ready = json.loads(line)
    family = {child.pid for child in psutil.Process(process.pid).children(recursive=True)}
    for child in list(family):
        family |= {grandchild.pid for grandchild in
                   psutil.Process(child).children(recursive=True)}
    return process, ready, family


def assert_all_gone(pids: set[int], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = {pid for pid in pids if psutil.pid_exists(pid)
                 and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE}
        if not alive:
            return
        time.sleep(0.2)
    raise AssertionError(f"still running: {sorted(alive)}")


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_up_prints_where_to_connect_and_stops_cleanly(stop_signal: int) -> None:
    process, ready, family = start_up()
    assert set(ready) >= {"url", "dsn", "redis"}
    assert requests.get(ready["url"] + "/health", timeout=5).json()["status"] == "ok"
    process.send_signal(stop_signal)
    assert process.wait(timeout=60) == 0
    assert_all_gone(family)


def test_children_die_with_a_killed_harness() -> None:
    process, _ready, family = start_up()
    process.kill()  # no cleanup code runs: the parent-death signal must do the job
    process.wait()
    assert_all_gone(family, timeout=30)
