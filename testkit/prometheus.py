"""Debian's Prometheus on a free loopback port, scraping one target every second.

For the live-view test and the live accuracy bench: the real server and its HTTP
API, not a parser standing in for it.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from supervision import free_port


@dataclass(frozen=True)
class Prometheus:
    url: str

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": expr} if at is None else {"query": expr, "time": str(at)}
        answer = requests.get(f"{self.url}/api/v1/query", params=params, timeout=10).json()
        if answer["status"] != "success":
            raise RuntimeError(f"{expr}: {answer}")
        return list(answer["data"]["result"])

    def scalar(self, expr: str, at: float | None = None) -> float | None:
        """The first sample's value, or None when the query has no result."""
        result = self.query(expr, at)
        return float(result[0]["value"][1]) if result else None

    def range_has_data(self, expr: str, start: float, end: float) -> bool:
        params = {"query": expr, "start": str(start), "end": str(end), "step": "1"}
        answer = requests.get(f"{self.url}/api/v1/query_range", timeout=10,
                              params=params).json()
        if answer["status"] != "success":
            raise RuntimeError(f"{expr}: {answer}")
        return bool(answer["data"]["result"])


@contextlib.contextmanager
def running_prometheus(target_port: int, directory: Path) -> Iterator[Prometheus]:
    """Prometheus scraping 127.0.0.1:target_port/metrics every second (the target may
    start later); its data and log under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "prometheus.yml"
    config.write_text(json.dumps({  # YAML is a superset of JSON
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{"job_name": "esppd", "static_configs": [
            {"targets": [f"127.0.0.1:{target_port}"]}]}]}))
    port = free_port()
    with (directory / "prometheus.log").open("w") as log:
        process = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={directory / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{url}/-/ready", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("Prometheus did not start: "
                                   + (directory / "prometheus.log").read_text()[-2000:])
            time.sleep(0.3)
        yield Prometheus(url)
    finally:
        process.terminate()
        process.wait(timeout=30)
