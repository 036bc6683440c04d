"""Write one imported run as a results directory, next to the collectors' files.

requests.csv and errors.csv come from the per-second aggregation the recorder uses
(the same histograms); users.csv from the tool's own user counts, or, when it has
none (ab), from the requests in flight each second (closed-model tools keep their
concurrency busy, so this is their user count); events.jsonl marks the load's start
and end, so the run reads as complete; campaign.toml says what was imported.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import tomli_w

from analysis.schema import CAMPAIGN_FILE, ERRORS, EVENTS_FILE, REQUESTS, USERS
from importers.samples import Request, Users
from importers.tools import TOOLS
from scenarios.aggregate import Aggregator
from scenarios.sink import AppendCsv, AppendJsonl

OURS = {REQUESTS.filename, ERRORS.filename, USERS.filename, CAMPAIGN_FILE}
PHASE = "run"


class ImportFailed(ValueError):
    """The file cannot be imported; str() says why, naming the file (and line)."""


def import_results(tool: str, source: Path, out: Path, collectors: Path | None = None,
                   request_name: str = "/") -> Path:
    """Read `source` as `tool` wrote it, write the contract into `out` (new or empty),
    with the files of `collectors` (a standalone collectors directory) copied in."""
    if tool not in TOOLS:
        raise ImportFailed(f"unknown tool {tool!r}: one of {', '.join(TOOLS)}")
    if not source.is_file():
        raise ImportFailed(f"{source}: no such file")
    if out.exists() and any(out.iterdir()):
        raise ImportFailed(f"{out} exists and is not empty; choose another --out")
    aggregator = Aggregator()
    requests: list[Request] = []
    users: dict[int, int] = {}
    try:
        for item in TOOLS[tool].reader(source, request_name):
            if isinstance(item, Users):
                users[int(item.ts)] = max(users.get(int(item.ts), 0), item.users)
            else:
                requests.append(item)
                aggregator.add(int(item.end), item.name, item.method, item.ms, item.error)
    except ValueError as error:
        raise ImportFailed(str(error)) from None
    except OSError as error:
        raise ImportFailed(f"{source}: cannot be read ({error.strerror})") from None
    if not requests:
        raise ImportFailed(f"{source}: no requests in it (is it {TOOLS[tool].what}?)")
    out.mkdir(parents=True, exist_ok=True)
    if collectors is not None:
        _copy_collected(collectors, out)
    first = min(request.start for request in requests)
    last = max(request.end for request in requests)
    request_rows, error_rows = aggregator.drain(2**62)
    # no user's pace is known: no coordinated-omission column (the report says "-")
    _write(out / REQUESTS.filename, [name for name in REQUESTS.names if name != "hist_missed"],
           [row[:8] for row in request_rows])
    _write(out / ERRORS.filename, ERRORS.names, error_rows)
    running = _users_per_second(users, requests, int(first), int(last))
    _write(out / USERS.filename, USERS.names,
           [[second, PHASE, count, tool, count] for second, count in running.items()])
    events = AppendJsonl(out / EVENTS_FILE)
    for record in ({"ts": first, "kind": "load_start", "planned_s": round(last - first, 1),
                    "imported": tool},
                   {"ts": float(int(first)), "kind": "phase_start", "phase": PHASE},
                   {"ts": float(int(last) + 1), "kind": "phase_end", "phase": PHASE},
                   {"ts": last, "kind": "load_stop", "reason": "completed",
                    "elapsed_s": round(last - first, 1)}):
        events.write(record)
    events.close()
    (out / CAMPAIGN_FILE).write_text(tomli_w.dumps({
        "name": f"import-{tool}",
        "description": f"{TOOLS[tool].what} {source.name}, imported "
                       f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}",
        "imported": {"tool": tool, "file": source.name, "requests": len(requests),
                     "waits": TOOLS[tool].waits,
                     **({"note": TOOLS[tool].note} if TOOLS[tool].note else {})},
        "load": {"shape": "constant", "model": "closed",
                 "users": max(running.values(), default=0),
                 "duration": round(last - first, 1)}}))
    return out


def _copy_collected(collectors: Path, out: Path) -> None:
    if not collectors.is_dir():
        raise ImportFailed(f"--collectors {collectors}: no such directory")
    for path in collectors.iterdir():
        if path.is_file() and path.name not in OURS:
            shutil.copy2(path, out / path.name)


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    sink = AppendCsv(path, header)
    sink.write(rows)
    sink.close()


def _users_per_second(counted: dict[int, int], requests: list[Request], first: int,
                      last: int) -> dict[int, int]:
    """Users each second of [first, last]: the tool's counts carried forward, or the mean
    number of requests in flight (the time requests spent in that second, per second:
    Little's law, exact for any request length)."""
    seconds = range(first, last + 1)
    if counted:
        result, current = {}, 0
        for second in seconds:
            current = counted.get(second, current)
            result[second] = current
        return result
    busy = np.zeros(last + 2 - first)
    for request in requests:
        start, end = request.start - first, request.end - first
        whole = int(start)
        if end <= whole + 1:  # within one second: nearly every request
            busy[whole] += end - start
            continue
        busy[whole] += whole + 1 - start
        busy[whole + 1:int(end)] += 1.0
        busy[int(end)] += end - int(end)
    return {second: round(float(busy[second - first])) for second in seconds}
