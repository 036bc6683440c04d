"""Ctrl-C/SIGTERM: graceful while the load runs, at once before it."""

from __future__ import annotations

from harness.stopping import StopFlag


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
