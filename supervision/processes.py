"""Start a long-running child in its own process group, and stop that group.

Why process groups: servers fork (PostgreSQL backends, PHP-FPM children,
nginx workers); stopping only the leader leaves orphans. Why the parent-death
signal: a harness killed with SIGKILL cannot run its cleanup.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from supervision.accounts import RunAs


class ServiceError(RuntimeError):
    """A process or server that could not be started; the message says what to fix."""


PR_SET_PDEATHSIG = 1


def _die_with_parent(signum: int) -> Callable[[], None]:
    """preexec_fn: the kernel sends `signum` to the child when its parent dies.

    Caveat: "parent" is the forking thread, so start long-lived children from a
    long-lived thread (the main one, or a supervisor thread that outlives them).
    """
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork

    def set_parent_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, signum)

    return set_parent_death_signal


def spawn(argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None,
          account: RunAs | None = None, cwd: Path | None = None,
          death_signal: int = signal.SIGTERM) -> subprocess.Popen[bytes]:
    """Start `argv` in a new session, stdout and stderr appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(
            list(argv), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True,
            preexec_fn=_die_with_parent(death_signal),
            **(account.popen_kwargs() if account else {}),
        )


def stop_process(process: subprocess.Popen[bytes] | None, first_signal: int = signal.SIGTERM,
                 grace: float = 10.0) -> None:
    """Signal the process group, wait up to `grace` seconds, then SIGKILL what is left."""
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, first_signal)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
