"""The importable tools: name -> reader (and the note the analysis shows, if any)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from importers import ab, jmeter, k6, locust_history
from importers.samples import Request, Users

Reader = Callable[[Path, str], Iterator[Request | Users]]


@dataclass(frozen=True)
class Tool:
    reader: Reader
    what: str  # the file it reads, for messages
    waits: str  # who waits for each response (the closed model's caveat names them)
    note: str = ""


TOOLS: dict[str, Tool] = {
    "ab": Tool(ab.read, "ab -g TSV", "ab's -c connections"),
    "jmeter": Tool(jmeter.read, "JMeter CSV JTL", "JMeter threads"),
    "k6": Tool(k6.read, "k6 --out json", "k6 VUs, unless an arrival-rate executor ran,"),
    "locust": Tool(locust_history.read, "Locust --csv-full-history *_stats_history.csv",
                   "Locust users", locust_history.NOTE),
}
