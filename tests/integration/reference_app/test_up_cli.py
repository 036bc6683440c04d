"""`python -m reference_app up`: one JSON line when ready; nothing left behind after a stop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
import requests

from supervision.scratch import sweep_orphans

pytestmark = pytest.mark.timeout(120)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_up(stderr: Path, *args: str, sigint_ignored: bool = False
             ) -> tuple[subprocess.Popen[str], dict[str, str], set[int]]:
    """sigint_ignored: started as a shell's background job or by a test runner that
    ignores SIGINT, a disposition the child inherits."""
    with open(stderr, "w") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([sys.executable, "-m", "reference_app", "up", *args],
                                   stdout=subprocess.PIPE, stderr=log, text=True,
                                   preexec_fn=_ignore_sigint if sigint_ignored else None)
    assert process.stdout is not None
    line = process.stdout.readline()
    ready = json.loads(line)
    family = {child.pid for child in psutil.Process(process.pid).children(recursive=True)}
    for child in list(family):
        family |= {grandchild.pid for grandchild in
                   psutil.Process(child).children(recursive=True)}
    return process, ready, family


def running(pid: int) -> bool:
    """Alive and not a zombie; a process that exits while it is asked is gone."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def assert_all_gone(pids: set[int], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = {pid for pid in pids if running(pid)}
        if not alive:
            return
        time.sleep(0.2)
    raise AssertionError(f"still running: {sorted(alive)}")


@pytest.mark.parametrize(("stop_signal", "args"), [
    (signal.SIGINT, ()), (signal.SIGTERM, ()),
    (signal.SIGTERM, ("--app", "laravel", "--db", "mariadb"))])
def test_up_prints_where_to_connect_and_stops_cleanly(stop_signal: int, args: tuple[str, ...],
                                                      tmp_path: Path) -> None:
    process, ready, family = start_up(tmp_path / "stderr", *args,
                                      sigint_ignored=stop_signal == signal.SIGINT)
    assert set(ready) >= {"app", "db", "url", "dsn", "monitor_dsn", "redis", "queue_redis"}
    if "laravel" in args:
        assert ready["dsn"].startswith("mysql://")
        assert requests.get(ready["fpm_status"] + "?json", timeout=5).json()["pool"] == "esppd"
        assert "Active connections" in requests.get(ready["nginx_status"], timeout=5).text
    assert requests.get(ready["url"] + "/health", timeout=5).json()["status"] == "ok"
    process.send_signal(stop_signal)
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:  # say which step of the stop hangs
        process.kill()
        raise AssertionError((tmp_path / "stderr").read_text()[-2000:]) from None
    assert code == 0
    assert_all_gone(family)


@pytest.mark.parametrize("args", [(), ("--app", "laravel", "--db", "mariadb")])
def test_children_die_with_a_killed_harness(args: tuple[str, ...], tmp_path: Path) -> None:
    process, _ready, family = start_up(tmp_path / "stderr", *args)
    process.kill()  # no cleanup code runs: the parent-death signal must do the job
    process.wait()
    assert_all_gone(family, timeout=30)
    # ... and its scratch directories (a MariaDB datadir is 130+ MB) go with the next
    # stack's sweep.
    left = set(Path(tempfile.gettempdir()).glob(f"esppd-*-{process.pid}-*"))
    assert left and left <= set(sweep_orphans())
    assert not any(path.exists() for path in left)
