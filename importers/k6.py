"""k6's `--out json=FILE`: one JSON object per line.

Points of `http_req_duration` are requests: `data.time` is when the request ended
(ISO 8601), `data.value` its duration in ms, the tags carry `method`, `name` (the
URL unless the script named it), `status` and `expected_response` (false: a
failure); points of `vus` are the running virtual users. Everything else (other
metrics, `Metric` declarations) is skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from importers.samples import Request, Users, request_name

_FRACTION = re.compile(r"(\.\d{6})\d+")  # Python parses microseconds; k6 writes nanoseconds


def _epoch(text: str) -> float:
    return datetime.fromisoformat(_FRACTION.sub(r"\1", text.replace("Z", "+00:00"))).timestamp()


def read(path: Path, _name: str) -> Iterator[Request | Users]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                item = json.loads(text)
                if item.get("type") != "Point":
                    continue
                data = item["data"]
                metric = item.get("metric")
                if metric not in ("http_req_duration", "vus"):
                    continue
                end = _epoch(data["time"])
                value = float(data["value"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
                raise ValueError(f"{path}:{line}: not a k6 JSON output line") from None
            if metric == "vus":
                yield Users(end, int(value))
                continue
            tags = data.get("tags") or {}
            status = str(tags.get("status", ""))
            expected = tags.get("expected_response")
            failed = (expected == "false") if expected is not None else \
                not (status.isdigit() and 0 < int(status) < 400)
            error = None
            if failed:
                error = f"HTTP {status}" if status not in ("", "0") else \
                    f"no response: {tags.get('error') or 'connection failed'}"
            yield Request(end - value / 1000, value,
                          request_name(str(tags.get("name") or tags.get("url") or "?")),
                          str(tags.get("method") or "HTTP"), error)
