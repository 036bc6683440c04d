"""Keep a program's processes running, as Supervisor's `autorestart` does.

Why: Laravel's `queue:work` is meant to run under a process monitor that
restarts it when it exits (after `--max-jobs`, `--max-time`, a fatal error or
`queue:restart`). The embedded stack does that job itself, reading the same
`[program:x]` section that production hands to Supervisor, so the shipped
file is the tested one.
"""

from __future__ import annotations

import configparser
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from supervision.accounts import RunAs
from supervision.processes import spawn, stop_process

Notify = Callable[[str], None]


@dataclass(frozen=True)
class Program:
    """One `[program:x]` section: what to run, how many, how to restart and stop it."""

    name: str
    argv: tuple[str, ...]
    numprocs: int = 1
    autorestart: bool = True
    startsecs: float = 1.0       # exiting sooner than this counts as a failed start
    startretries: int = 3        # consecutive failed starts before giving up (FATAL)
    stopsignal: int = signal.SIGTERM
    stopwaitsecs: float = 10.0
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    account: RunAs | None = None

    @classmethod
    def from_supervisor_conf(cls, path: Path, substitutions: Mapping[str, str] | None = None,
                             **overrides: Any) -> Program:
        """Read the first `[program:x]` section of a Supervisor config file.

        `substitutions` replace literal strings in `command` and `directory` (the
        production paths), `overrides` replace fields (numprocs of a knob, say).
        """
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(path.read_text())
        sections = [name for name in parser.sections() if name.startswith("program:")]
        if not sections:
            raise ValueError(f"{path}: no [program:...] section")
        section = parser[sections[0]]

        def substitute(text: str) -> str:
            for old, new in (substitutions or {}).items():
                text = text.replace(old, new)
            return text

        stopsignal = section.get("stopsignal", "TERM").upper().removeprefix("SIG")
        directory = section.get("directory")
        program = cls(
            name=sections[0].removeprefix("program:"),
            argv=tuple(shlex.split(substitute(section["command"]))),
            numprocs=section.getint("numprocs", 1),
            autorestart=section.get("autorestart", "true").lower() in {"true", "unexpected"},
            startsecs=section.getfloat("startsecs", 1.0),
            startretries=section.getint("startretries", 3),
            stopsignal=int(signal.Signals[f"SIG{stopsignal}"]),
            stopwaitsecs=section.getfloat("stopwaitsecs", 10.0),
            cwd=Path(substitute(directory)) if directory else None,
        )
        return replace(program, **overrides)


@dataclass
class _Slot:
    index: int
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failed_starts: int = 0
    fatal: bool = False
    restarts: int = 0


@dataclass
class Supervisor:
    """Runs `program.numprocs` copies and restarts each one that exits, until stopped.

    All children are forked by the supervisor's own thread, which lives exactly as
    long as they do (their parent-death signal is tied to the forking thread).
    """

    program: Program
    log_dir: Path
    notify: Notify = field(default=lambda _message: None)
    poll_s: float = 0.2
    _slots: list[_Slot] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _ready: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._slots = [_Slot(index) for index in range(1, self.program.numprocs + 1)]
        self._thread = threading.Thread(target=self._run, name=f"supervise-{self.program.name}",
                                        daemon=True)
        self._thread.start()
        self._ready.wait(timeout=30)

    def pids(self) -> list[int]:
        with self._lock:
            return [slot.process.pid for slot in self._slots
                    if slot.process is not None and slot.process.poll() is None]

    def restarts(self) -> int:
        with self._lock:
            return sum(slot.restarts for slot in self._slots)

    def _log(self, slot: _Slot) -> Path:
        return self.log_dir / f"{self.program.name}-{slot.index}.log"

    def _launch(self, slot: _Slot) -> None:
        program = self.program
        slot.process = spawn(program.argv, self._log(slot), env=program.env,
                             account=program.account, cwd=program.cwd,
                             death_signal=program.stopsignal)
        slot.started = time.monotonic()

    def _run(self) -> None:
        with self._lock:
            for slot in self._slots:
                self._launch(slot)
        self._ready.set()
        while not self._stopping.wait(self.poll_s):
            with self._lock:
                for slot in self._slots:
                    self._check(slot)
        with self._lock:
            for slot in self._slots:
                stop_process(slot.process, self.program.stopsignal, self.program.stopwaitsecs)

    def _check(self, slot: _Slot) -> None:
        process = slot.process
        if process is None or slot.fatal or process.poll() is None:
            return
        code = process.returncode
        program = self.program
        if not program.autorestart:
            slot.process = None
            self.notify(f"{program.name} #{slot.index} exited with code {code}")
            return
        quick = time.monotonic() - slot.started < program.startsecs
        slot.failed_starts = slot.failed_starts + 1 if quick else 0
        if slot.failed_starts > program.startretries:
            slot.fatal = True
            self.notify(f"{program.name} #{slot.index} exited with code {code} "
                        f"{slot.failed_starts} times in a row within {program.startsecs:g} s "
                        f"of starting; given up (see {self._log(slot)})")
            return
        slot.restarts += 1
        self.notify(f"{program.name} #{slot.index} exited with code {code}; restarted")
        self._launch(slot)

    def stop(self) -> None:
        """Stop every process (stopsignal, then SIGKILL after stopwaitsecs); safe twice."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.program.stopwaitsecs + 15)
            self._thread = None
        with self._lock:  # only when the thread did not finish in time
            for slot in self._slots:
                stop_process(slot.process, signal.SIGKILL, 1)
