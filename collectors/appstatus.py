"""App-server status pages: the reference app's /status, PHP-FPM `?json`, nginx stub_status.

These say whether the application's workers are the bottleneck: busy workers
against the maximum, requests waiting in the listen queue, and (for the
reference app) requests waiting for a database connection in the app's pool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import requests

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


def parse_fpm_status(data: dict[str, Any], out: Sample) -> None:
    """PHP-FPM `status?json`: pm.max_children is not on the page; total processes stand in."""
    out.add("app.workers.busy", data.get("active processes"))
    out.add("app.workers.total", data.get("total processes"))
    out.add("app.listen_queue", data.get("listen queue"))
    out.add("app.max_children_reached", data.get("max children reached"))
    out.add("app.slow_requests", data.get("slow requests"))


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


@dataclass
class AppStatusCollector:
    url: str
    kind: str = "reference"  # reference | fpm | nginx
    name: str = "app_status"
    rates: Rates = field(default_factory=Rates)
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def target(self) -> str:
        return {"reference": "app", "fpm": "php-fpm", "nginx": "nginx"}[self.kind]

    def _get(self) -> requests.Response:
        url = self.url + ("?json" if self.kind == "fpm" and "?" not in self.url else "")
        response = self.session.get(url, timeout=2)
        response.raise_for_status()
        return response

    def check(self) -> list[str]:
        try:
            self._get()
        except requests.RequestException as error:
            return [f"{self.target} status page {self.url}: {type(error).__name__}"]
        return []

    def sample(self, ts: float) -> Sample:
        out = Sample()
        response = self._get()
        if self.kind == "nginx":
            parse_stub_status(response.text, self.rates, ts, out)
        elif self.kind == "fpm":
            parse_fpm_status(response.json(), out)
        else:
            parse_reference_status(response.json(), out)
        return out

    def close(self) -> None:
        self.session.close()
