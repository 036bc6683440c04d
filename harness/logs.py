"""Logging of a campaign: one line per stage on stderr, the whole story in the results dir.

Why the logging module: every part of the harness logs where it is
(`logging.getLogger(__name__)`), the user picks how much to see (`--log-level`;
`--quiet` shows warnings only), and `logs/campaign.log` in the results dir
keeps everything at DEBUG with timestamps, whatever was shown. On a terminal
the live progress line is cleared before a log line is written, so the two
never mix.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
CONSOLE = "esppd-console"
FILE = "esppd-file"


class ConsoleHandler(logging.StreamHandler):
    """Clears a live status line (a TTY's `\\r` line) before each log line."""

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self.stream, "isatty", lambda: False)():
            self.stream.write("\r\x1b[2K")
        super().emit(record)


def configure(level: str = "INFO", quiet: bool = False, stream: TextIO | None = None) -> None:
    """Console logging of the harness at `level` (WARNING when quiet); idempotent."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in [h for h in root.handlers if h.get_name() == CONSOLE]:
        root.removeHandler(handler)
    console = ConsoleHandler(stream or sys.stderr)
    console.set_name(CONSOLE)
    console.setLevel(logging.WARNING if quiet else getattr(logging, level))
    console.setFormatter(logging.Formatter("%(message)s"))
    root.addHandler(console)
    # Libraries' chatter stays out of the console (it still reaches the file at DEBUG).
    for noisy in ("paramiko", "urllib3", "locust", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log_to(path: Path) -> None:
    """Everything at DEBUG, with times, into `path` (the campaign's log in its results dir)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == FILE]:
        root.removeHandler(handler)
        handler.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    file = logging.FileHandler(path, encoding="utf-8")
    file.set_name(FILE)
    file.setLevel(logging.DEBUG)
    file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file)
