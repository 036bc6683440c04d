"""How a campaign stops on Ctrl-C or SIGTERM, and how the runners above it (the knob
and fault matrices) pass those on to the campaign they run.

Why a module of its own: the flag's rules (graceful while the load runs, at once
before it) are the campaign's contract with its user, and testable without Locust.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StopFlag:
    """Set by the first Ctrl-C/SIGTERM. While the load runs, the first one stops it
    gracefully (every sample flushed, the report written) and a second one aborts that
    path; before the load, nothing is there to stop gracefully (a stack half started,
    a pre-flight), so the first one aborts at once."""

    requested: bool = False
    graceful: bool = False  # the load runs: a stop lets it end cleanly
    reason: str = ""
    on_abort: Callable[[], None] | None = field(default=None, repr=False)

    def trigger(self, reason: str) -> None:
        again = self.requested
        if not again:
            self.requested, self.reason = True, reason
        if (again or not self.graceful) and self.on_abort is not None:
            self.on_abort()


def interrupt_on_term() -> None:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt in the main thread, even when started in
    the background (a non-interactive shell starts background jobs with SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def run_passing_interrupts(argv: Sequence[str], **popen: Any) -> int:
    """Run a child to its end in a session of its own (see wait_passing_interrupts); its
    exit code. In the terminal's process group it would get each Ctrl-C twice (from the
    terminal and from us), and subprocess.run kills it 0.25 s after the first one."""
    return wait_passing_interrupts(subprocess.Popen(list(argv), start_new_session=True,
                                                    **popen))


def wait_passing_interrupts(child: subprocess.Popen[Any]) -> int:
    """Wait for a child started in a session of its own, passing each Ctrl-C or SIGTERM
    on as one SIGINT, so it stops as at a terminal: gracefully at the first, at once at
    the second. A handler passes them, not KeyboardInterrupt: a second one raised while
    the first is being passed would be lost. Then KeyboardInterrupt once the child has
    exited; else its exit code. From the main thread only (signal handlers)."""
    received: list[int] = []

    def pass_on(signum: int, _frame: object) -> None:
        received.append(signum)
        child.send_signal(signal.SIGINT)

    previous = {signum: signal.signal(signum, pass_on)
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        raise KeyboardInterrupt
    return code
