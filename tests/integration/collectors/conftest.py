"""Real servers for the collectors: PostgreSQL and Redis of their own (they get restarted)."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from supervision.servers import PostgresServer, RedisServer


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    with PostgresServer(tmp_path_factory.mktemp("pg-logs")) as server:
        yield server


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer(tmp_path_factory.mktemp("redis-logs")) as server:
        yield server


def read_events(out: Path) -> list[dict[str, object]]:
    path = out / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def read_metrics(out: Path) -> list[dict[str, str]]:
    with open(out / "metrics.csv", newline="") as file:
        return list(csv.DictReader(file))


def sample_times(out: Path) -> set[float]:
    """Timestamps of the samples written so far."""
    path = out / "metrics.csv"
    return {float(row["ts"]) for row in read_metrics(out)} if path.exists() else set()


T = TypeVar("T")


def wait_until(predicate: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Poll `predicate` until it returns something truthy (and return it), or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not met within {timeout:.0f} s")
