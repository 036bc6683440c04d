"""Collectors from specs: each collector with its own settings, as a campaign lists them.

Why: a campaign may watch two SSH hosts with different keys, two databases and
status pages of different kinds, each at its own interval; one process's flags
cannot carry that. A spec is a JSON list, one object per collector, handed
over in an environment variable (it holds DSNs: never argv).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from collectors.appstatus import AppStatusCollector
from collectors.base import Collector
from collectors.host import HostCollector
from collectors.mysql import MySQLCollector
from collectors.postgres import PostgresCollector
from collectors.redisq import RedisCollector
from collectors.shell import LocalShell, SSHShell, SSHTarget

TYPES = ("host", "postgres", "mysql", "redis", "app_status")


class SpecError(ValueError):
    """A spec that cannot be built; the message names the collector and the key."""


@dataclass(frozen=True)
class CollectorSpec:
    type: str
    interval: float = 1.0
    ssh: str | None = None
    key: str | None = None
    known_hosts: str | None = None
    trust_new_host_key: bool = False
    ports: list[int] = field(default_factory=list)
    dsn: str | None = None
    url: str | None = None
    queue_url: str | None = None
    queues: list[str] = field(default_factory=list)
    max_children: int | None = None

    @classmethod
    def parse(cls, index: int, data: Any) -> CollectorSpec:
        if not isinstance(data, dict):
            raise SpecError(f"collector {index}: not an object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SpecError(f"collector {index}: unknown key(s) {', '.join(unknown)}")
        spec = cls(**data)
        if spec.type not in TYPES:
            raise SpecError(f"collector {index}: type {spec.type!r}; one of {', '.join(TYPES)}")
        if spec.interval <= 0:
            raise SpecError(f"collector {index}: interval must be positive")
        return spec

    def secrets(self) -> list[str]:
        passwords = (urlsplit(value).password for value in (self.dsn, self.url, self.queue_url)
                     if value)
        return [password for password in passwords if password]

    def collectors(self) -> list[Collector]:
        """What this spec samples (a redis spec with a queue_url is two: cache and queue)."""
        if self.type == "host":
            if self.ssh is None:
                return [HostCollector(LocalShell(), set(self.ports))]
            shell = SSHShell(SSHTarget.parse(self.ssh), Path(self.key) if self.key else None,
                             Path(self.known_hosts) if self.known_hosts else None,
                             self.trust_new_host_key)
            return [HostCollector(shell, set(self.ports))]
        if self.type in ("postgres", "mysql"):
            if not self.dsn:
                raise SpecError(f"a {self.type} collector needs a dsn")
            target = urlsplit(self.dsn).hostname or self.type
            database = PostgresCollector if self.type == "postgres" else MySQLCollector
            return [database(self.dsn, target=target)]
        if self.type == "app_status":
            if not self.url:
                raise SpecError("an app_status collector needs a url")
            return [AppStatusCollector(self.url, "auto", self.max_children)]
        if not (self.url or self.queue_url):
            raise SpecError("a redis collector needs a url (cache) or a queue_url (queues)")
        queues = tuple(self.queues)
        cache: list[Collector] = [RedisCollector(self.url, queues=() if self.queue_url
                                                 else queues)] if self.url else []
        if not self.queue_url:
            return cache
        return [*cache, RedisCollector(self.queue_url, target="redis-queue", name="redis_queue",
                                       cache_stats=False, queues=queues)]


def build_all(specs: list[CollectorSpec]) -> tuple[list[Collector], list[float], list[str]]:
    """The collectors of the specs, each one's interval, and the secrets to scrub."""
    collectors: list[Collector] = []
    intervals: list[float] = []
    secrets: list[str] = []
    for spec in specs:
        secrets += spec.secrets()
        try:
            built = spec.collectors()
        except ValueError as error:  # a bad ssh target, a missing dsn or url
            raise SpecError(str(error)) from None
        collectors += built
        intervals += [spec.interval] * len(built)
    return collectors, intervals, secrets


def parse_specs(text: str) -> list[CollectorSpec]:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise SpecError(f"not JSON: {error}") from None
    if not isinstance(data, list):
        raise SpecError("a spec is a JSON list of collectors")
    return [CollectorSpec.parse(index, item) for index, item in enumerate(data)]
