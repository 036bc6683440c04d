"""ApacheBench's `-g FILE`: one tab-separated row per request.

`starttime  seconds  ctime  dtime  ttime  wait`: `seconds` is the start (whole epoch
seconds), `ttime` the total time in ms. ab tests one URL and records no failure per
request, so the name comes from the command line (`--request-name`) and every row
is a success (ab's own summary counts failures; compare it with the report's).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from importers.samples import Request

COLUMNS = ("starttime", "seconds", "ctime", "dtime", "ttime", "wait")


def read(path: Path, name: str) -> Iterator[Request]:
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = next(reader, [])
        if tuple(column.strip() for column in header) != COLUMNS:
            raise ValueError(f"{path}: not an ab -g file (header {'/'.join(header)!r}, "
                             f"expected {'/'.join(COLUMNS)})")
        for line, row in enumerate(reader, start=2):
            try:
                yield Request(float(row[1]), float(row[4]), name, "GET")
            except (IndexError, ValueError):
                raise ValueError(f"{path}:{line}: not an ab -g row") from None
