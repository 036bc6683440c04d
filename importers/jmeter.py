"""JMeter's JTL in CSV (the default `jmeter -n -t plan.jmx -l results.jtl`).

Columns by header: `timeStamp` (start, epoch ms), `elapsed` (ms), `label` (the
sampler's name: the request name), `success`, and when present `responseCode`,
`responseMessage`/`failureMessage` (the error), `allThreads` (active threads of
all groups: the users), `URL`. JTL has no HTTP method column: requests are
recorded as method `HTTP`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from importers.samples import Request, Users, request_name

REQUIRED = ("timeStamp", "elapsed", "label", "success")


def read(path: Path, _name: str) -> Iterator[Request | Users]:
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in REQUIRED if column not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: not a JMeter CSV JTL (no {', '.join(missing)} column; "
                             "save as CSV with a header, timestamps in ms)")
        for line, row in enumerate(reader, start=2):
            try:
                start = float(row["timeStamp"]) / 1000
                elapsed = float(row["elapsed"])
            except (TypeError, ValueError):
                raise ValueError(f"{path}:{line}: timeStamp and elapsed must be numbers "
                                 "(epoch ms)") from None
            error = None
            if (row.get("success") or "").strip().lower() != "true":
                message = row.get("failureMessage") or row.get("responseMessage") or "failed"
                error = f"{row.get('responseCode') or ''} {message}".strip()
            yield Request(start, elapsed, request_name(row["label"]), "HTTP", error)
            if (row.get("allThreads") or "").strip().isdigit():
                yield Users(start, int(row["allThreads"]))
