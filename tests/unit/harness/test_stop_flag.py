"""Ctrl-C/SIGTERM: graceful while the load runs, at once before it; the matrices pass
each one on to the campaign they run."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.stopping import StopFlag, run_passing_interrupts


def flag_counting_aborts() -> tuple[StopFlag, list[str]]:
    aborted: list[str] = []
    flag = StopFlag()
    flag.on_abort = lambda: aborted.append(flag.reason)
    return flag, aborted


def test_before_the_load_the_first_signal_aborts() -> None:
    """A stack half started or a pre-flight has nothing to stop gracefully: tearing it
    down is the only stop."""
    flag, aborted = flag_counting_aborts()
    flag.trigger("SIGTERM")
    assert flag.requested and aborted == ["SIGTERM"]


def test_while_the_load_runs_the_first_signal_stops_it_and_the_second_aborts() -> None:
    flag, aborted = flag_counting_aborts()
    flag.graceful = True
    flag.trigger("Ctrl-C")
    assert flag.requested and aborted == []
    flag.trigger("Ctrl-C")
    assert aborted == ["Ctrl-C"]


CHILD = """
import signal, sys, time
from pathlib import Path
log = Path(sys.argv[1])
def note(signum, frame):
    with log.open("a") as out:
        out.write("SIGINT\\n")
signal.signal(signal.SIGINT, note)
with log.open("a") as out:
    out.write("ready\\n")
deadline = time.monotonic() + 10  # never outlive a failed test for long
while log.read_text().count("SIGINT") < int(sys.argv[2]) and time.monotonic() < deadline:
    time.sleep(0.01)
time.sleep(0.3)  # a graceful stop takes a while
sys.exit(3)
"""


def interrupt_when_ready(log: Path, times: int) -> threading.Thread:
    """Ctrl-C this process `times` times (0.1 s apart) once the child is listening."""
    def press() -> None:
        while not log.is_file() or "ready" not in log.read_text():
            time.sleep(0.01)
        for _ in range(times):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)

    thread = threading.Thread(target=press)
    thread.start()
    return thread


@pytest.mark.parametrize("presses", [1, 2])
def test_each_interrupt_reaches_the_child_once_and_it_ends_first(
        tmp_path: Path, presses: int) -> None:
    """A knob or fault matrix passes each Ctrl-C to its campaign once (graceful, then at
    once), and raises it only after the campaign has ended (its report written)."""
    log = tmp_path / "child.log"
    presser = interrupt_when_ready(log, presses)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_passing_interrupts([sys.executable, "-c", CHILD, str(log), str(presses)])
    presser.join()
    assert log.read_text().count("SIGINT") == presses
    assert time.monotonic() - started >= 0.3  # it waited for the child's own stop


def test_without_an_interrupt_its_exit_code(tmp_path: Path) -> None:
    log = tmp_path / "child.log"
    log.write_text("SIGINT\n")  # nothing to wait for
    assert run_passing_interrupts([sys.executable, "-c", CHILD, str(log), "1"]) == 3
