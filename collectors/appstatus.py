"""App-server status pages: the reference app's /status, PHP-FPM `?json&full`, nginx
stub_status, told apart by what the page says (`kind = "auto"`).

These say whether the application's workers are the bottleneck: busy workers
against the maximum, requests waiting in the listen queue, and (for the
reference app) requests waiting for a database connection in the app's pool.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import urllib3

from collectors.base import Rates, Sample

STUB_STATUS = re.compile(r"Active connections:\s*(\d+).*?(\d+)\s+(\d+)\s+(\d+).*?Reading:\s*(\d+)"
                         r"\s*Writing:\s*(\d+)\s*Waiting:\s*(\d+)", re.S)


def parse_reference_status(data: dict[str, Any], out: Sample) -> None:
    out.add("app.workers.busy", data.get("active"))
    out.add("app.workers.total", data.get("max_children"))
    out.add("app.listen_queue", data.get("listen_queue"))
    out.add("app.max_children_reached", data.get("max_children_reached"))
    out.add("app.processes", data.get("processes"))
    pool = data.get("pool") or {}
    out.add("app.db_pool.size", pool.get("size"))
    out.add("app.db_pool.in_use", pool.get("in_use"))
    out.add("app.db_pool.waiting", pool.get("waiting"))


def parse_fpm_status(data: dict[str, Any], out: Sample, max_children: int | None = None) -> None:
    """PHP-FPM `status?json&full`.

    The status request itself is one of the active processes: not counted as
    busy. pm.max_children is not on the page: given, it is the pool's size,
    otherwise the processes spawned now stand in (right under `pm = static`,
    too low under `dynamic`). With `full`: the longest request in flight (a hung
    worker shows here) and the memory of the largest request (what sizes
    pm.max_children).
    """
    active = data.get("active processes")
    out.add("app.workers.busy", max(0, active - 1) if isinstance(active, int) else None)
    out.add("app.workers.total", max_children or data.get("total processes"))
    out.add("app.processes", data.get("total processes"))
    out.add("app.listen_queue", data.get("listen queue"))
    out.add("app.max_children_reached", data.get("max children reached"))
    out.add("app.slow_requests", data.get("slow requests"))
    processes = data.get("processes")
    if isinstance(processes, list):
        running = [p for p in processes if p.get("state") == "Running"
                   and not str(p.get("request uri", "")).startswith("/fpm-status")]
        out.add("app.request_running_max_s", max(
            (float(p.get("request duration", 0)) / 1e6 for p in running), default=0.0))
        out.add("app.request_memory_max_bytes", max(
            (float(p.get("last request memory", 0)) for p in processes), default=None))


def parse_stub_status(text: str, rates: Rates, ts: float, out: Sample) -> None:
    match = STUB_STATUS.search(text)
    if match is None:
        raise ValueError("not an nginx stub_status page")
    active, _accepts, _handled, total, reading, writing, waiting = map(int, match.groups())
    out.add("nginx.connections.active", active)
    out.add("nginx.requests_rate", rates.rate("nginx.requests", total, ts))
    out.add("nginx.reading", reading)
    out.add("nginx.writing", writing)
    out.add("nginx.waiting", waiting)


def page_kind(text: str) -> str:
    """What a status page is: fpm (JSON with `pool`), reference (JSON with `workers`), nginx."""
    if "Active connections:" in text:
        return "nginx"
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and "pool" in data and "process manager" in data:
        return "fpm"
    if isinstance(data, dict) and "workers" in data:
        return "reference"
    raise ValueError("neither PHP-FPM's status (?json), nginx's stub_status nor the "
                     "reference app's /status")


class StatusError(Exception):
    """The status page answered with an HTTP error status."""


@dataclass
class AppStatusCollector:
    url: str
    kind: str = "auto"  # auto | reference | fpm | nginx
    max_children: int | None = None  # fpm: pm.max_children (not on the status page)
    name: str = "app_status"
    rates: Rates = field(default_factory=Rates)
    # urllib3 without requests' layers on top: a GET each second costs half the CPU.
    pool: urllib3.PoolManager = field(default_factory=lambda: urllib3.PoolManager(
        timeout=urllib3.Timeout(2.0), retries=False))

    @property
    def target(self) -> str:
        return {"reference": "app", "fpm": "php-fpm", "nginx": "nginx"}.get(self.kind,
                                                                            "app_status")

    def _get(self, url: str) -> str:
        response = self.pool.request("GET", url)
        if response.status >= 400:
            raise StatusError(f"HTTP {response.status} from the status page")
        return response.data.decode(errors="replace")

    def _page(self) -> str:
        if self.kind == "auto":  # PHP-FPM answers plain text without ?json: ask for JSON
            query = "" if "?" in self.url else "?json&full"
            text = self._get(self.url + query)
            self.kind = page_kind(text)
            if self.kind == "fpm" and query:
                self.url += query
            return text
        return self._get(self.url + ("?json&full" if self.kind == "fpm" and "?" not in self.url
                                     else ""))

    def check(self) -> list[str]:
        try:
            self._page()
        except (urllib3.exceptions.HTTPError, StatusError) as error:
            return [f"status page {self.url}: {type(error).__name__}"]
        except ValueError as error:
            return [f"status page {self.url}: {error}"]
        return []

    def sample(self, ts: float) -> Sample:
        out = Sample()
        text = self._page()
        if self.kind == "nginx":
            parse_stub_status(text, self.rates, ts, out)
        elif self.kind == "fpm":
            parse_fpm_status(json.loads(text), out, self.max_children)
        else:
            parse_reference_status(json.loads(text), out)
        return out

    def close(self) -> None:
        self.pool.clear()
