"""Locust's own `--csv PREFIX --csv-full-history`: PREFIX_stats_history.csv.

One row a second per request name (and `Aggregated`) with cumulative counts and the
percentiles of Locust's last 10 seconds of response times. The requests of each
second are the difference of `Total Request Count` (failures: of `Total Failure
Count`), and their latencies are rebuilt from that row's percentile columns (each
request gets the percentile at its rank): a reconstruction as coarse as Locust's
percentile grid and its 10 s window, stated in the analysis notes. Without
--csv-full-history only `Aggregated` rows exist: then that is the one name.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from importers.samples import Request, Users

PERCENTILES = ("50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%",
               "100%")
REQUIRED = ("Timestamp", "User Count", "Type", "Name", "Total Request Count",
            "Total Failure Count", *PERCENTILES)
NOTE = ("latencies imported from Locust's stats history are rebuilt from its percentile "
        "columns (10 s windows): percentiles below p50 and between its columns are not known")


def _latency_at(rank: float, points: list[tuple[float, float]]) -> float:
    """The first percentile column at or above `rank` (0-1)."""
    return next((value for level, value in points if level >= rank), points[-1][1])


def read(path: Path, _name: str) -> Iterator[Request | Users]:
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in REQUIRED if column not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: not a Locust stats history file (no "
                             f"{', '.join(missing)} column)")
        rows = list(reader)
    named = any(row["Name"] != "Aggregated" for row in rows)
    seen: dict[tuple[str, str], tuple[int, int]] = {}
    for line, row in enumerate(rows, start=2):
        try:
            ts = float(row["Timestamp"])
            total, failed = int(row["Total Request Count"]), int(row["Total Failure Count"])
            if row["Name"] == "Aggregated":
                yield Users(ts, int(row["User Count"]))
            if (row["Name"] == "Aggregated") == named:
                continue
            key = (row["Type"], row["Name"])
            before, failed_before = seen.get(key, (0, 0))
            seen[key] = (total, failed)
            new, new_failed = total - before, failed - failed_before
            if new <= 0 or row["50%"] in ("N/A", ""):
                continue
            points = [(float(column.rstrip("%")) / 100, float(row[column]))
                      for column in PERCENTILES]
        except (KeyError, ValueError):
            raise ValueError(f"{path}:{line}: not a Locust stats history row") from None
        for index in range(new):
            ms = _latency_at((index + 0.5) / new, points)
            error = "failed (Locust's history keeps no message)" if index < new_failed else None
            yield Request(ts - ms / 1000, ms, row["Name"], row["Type"], error)
