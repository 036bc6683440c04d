"""Append-only result files shared with other writers (the Locust recorder appends too).

Same pattern as scenarios/sink.py (collectors may not import scenarios): O_APPEND and
one os.write per flush, so lines from different processes never interleave; only the
creator (O_EXCL) writes the header.
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


class AppendFile:
    def __init__(self, path: Path, header: Sequence[str] | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        if header is None:
            self._fd = os.open(path, flags, 0o644)
            return
        try:
            self._fd = os.open(path, flags | os.O_EXCL, 0o644)
            os.write(self._fd, csv_bytes([header]))
        except FileExistsError:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        self.write_bytes(csv_bytes(rows))

    def write_json(self, record: dict[str, Any]) -> None:
        self.write_bytes((json.dumps(record, default=str) + "\n").encode())

    def write_bytes(self, data: bytes) -> None:
        if data:
            with self._lock:
                os.write(self._fd, data)

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()
