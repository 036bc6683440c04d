"""Append-only result files that several processes may write at once.

Why O_APPEND and one write per flush: the collectors (another process) append
to metrics.csv and events.jsonl in the same results dir; whole lines written
with a single write() on an O_APPEND descriptor never interleave. Only the
process that creates a file (O_EXCL) writes its header. Stdlib only: this runs
wherever the Locust master runs.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


class AppendCsv:
    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = path
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
            os.write(fd, _csv_text([header]))
        except FileExistsError:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        self._fd = fd

    def write(self, rows: Iterable[Sequence[Any]]) -> None:
        text = _csv_text(rows)
        if text:
            os.write(self._fd, text)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class AppendJsonl:
    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(self, record: dict[str, Any]) -> None:
        os.write(self._fd, (json.dumps(record, default=str) + "\n").encode())

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _csv_text(rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()
