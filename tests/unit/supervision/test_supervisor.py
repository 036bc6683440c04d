"""The Supervisor restarts what exits, gives up on what cannot start, and reads Supervisor files."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

import psutil
import pytest

from supervision import Program, Supervisor

SLEEPER = (sys.executable, "-c", "import time; time.sleep(60)")


def wait_until(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_killed_process_is_restarted_and_stop_ends_them_all(tmp_path: Path) -> None:
    messages: list[str] = []
    supervisor = Supervisor(Program("sleeper", SLEEPER, numprocs=2, startsecs=0.2), tmp_path,
                            notify=messages.append)
    supervisor.start()
    try:
        first = supervisor.pids()
        assert len(first) == 2
        os.kill(first[0], signal.SIGKILL)
        replaced = wait_until(lambda: [pid for pid in supervisor.pids() if pid not in first])
        assert len(supervisor.pids()) == 2 and replaced
        assert supervisor.restarts() == 1
        assert any("exited with code -9; restarted" in message for message in messages)
    finally:
        supervisor.stop()
    alive = [pid for pid in first + replaced if psutil.pid_exists(pid)
             and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert alive == []


def test_a_program_that_keeps_failing_to_start_is_given_up(tmp_path: Path) -> None:
    messages: list[str] = []
    failing = Program("broken", (sys.executable, "-c", "raise SystemExit(3)"), startsecs=5,
                      startretries=2)
    supervisor = Supervisor(failing, tmp_path, notify=messages.append, poll_s=0.05)
    supervisor.start()
    try:
        wait_until(lambda: any("given up" in message for message in messages))
    finally:
        supervisor.stop()
    assert supervisor.restarts() == 2
    assert "code 3" in messages[-1] and "broken-1.log" in messages[-1]


def test_program_from_a_supervisor_file(tmp_path: Path) -> None:
    conf = tmp_path / "worker.conf"
    conf.write_text("[program:esppd-worker]\n"
                    "command = php /var/www/esppd/artisan queue:work --sleep=1\n"
                    "directory = /var/www/esppd\nnumprocs = 2\nautorestart = true\n"
                    "startsecs = 1\nstartretries = 3\nstopsignal = QUIT\nstopwaitsecs = 130\n")
    program = Program.from_supervisor_conf(conf, {"/var/www/esppd": "/srv/release"},
                                           numprocs=4)
    assert program.name == "esppd-worker"
    assert program.argv == ("php", "/srv/release/artisan", "queue:work", "--sleep=1")
    assert program.cwd == Path("/srv/release")
    assert (program.numprocs, program.stopsignal, program.stopwaitsecs) == \
        (4, signal.SIGQUIT, 130.0)


def test_a_file_without_a_program_section_is_refused(tmp_path: Path) -> None:
    conf = tmp_path / "empty.conf"
    conf.write_text("[supervisord]\nnodaemon = true\n")
    with pytest.raises(ValueError, match=re.escape("no [program:...] section")):
        Program.from_supervisor_conf(conf)
