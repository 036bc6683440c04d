"""Collectors from specs: each collector with its own settings, as a campaign lists them.

Why: a campaign may watch two SSH hosts with different keys, two databases and
status pages of different kinds, each at its own interval; one process's flags
cannot carry that. A spec is a JSON list, one object per collector, handed
over in an environment variable (it holds DSNs: never argv).
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from psycopg.conninfo import conninfo_to_dict

from collectors.appstatus import AppStatusCollector
from collectors.base import Collector
from collectors.host import HostCollector
from collectors.logs import LogCollector
from collectors.mysql import MySQLCollector
from collectors.postgres import PostgresCollector
from collectors.redisq import RedisCollector
from collectors.shell import LocalShell, Shell, SSHShell, SSHTarget

TYPES = ("host", "postgres", "mysql", "redis", "app_status", "log")
DEFAULT_PORTS = {"mysql": 3306, "mariadb": 3306, "redis": 6379, "rediss": 6379,
                 "http": 80, "https": 443}
LOOPBACK = frozenset({"", "localhost", "127.0.0.1", "::1"})


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
    stack_ports: list[int] = field(default_factory=list)  # host: the target's other servers
    dsn: str | None = None
    url: str | None = None
    queue_url: str | None = None
    queues: list[str] = field(default_factory=list)
    max_children: int | None = None
    paths: list[str] = field(default_factory=list)  # log: files or glob patterns

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

    def servers(self) -> list[tuple[str, int]]:
        """(host, port) of the servers this spec asks; a PostgreSQL on a Unix socket is
        on the local host, at the port its socket is named after."""
        if self.type == "postgres" and self.dsn:
            try:
                params = conninfo_to_dict(self.dsn)
            except Exception:  # noqa: BLE001  # a bad DSN is the collector's to report
                return []
            host = str(params.get("host") or "")
            ports = str(params.get("port") or "5432")
            return [("" if host.startswith("/") else host, int(ports))] \
                if ports.isdigit() and "," not in host else []
        found = []
        for value in (self.dsn, self.url, self.queue_url):
            try:
                parts = urlsplit(value or "")
                port = parts.port or DEFAULT_PORTS.get(parts.scheme)
            except ValueError:
                continue
            if port:
                found.append((parts.hostname or "", port))
        return found

    def collectors(self) -> list[Collector]:
        """What this spec samples (a redis spec with a queue_url is two: cache and queue)."""
        if self.type == "host":
            return [HostCollector(self._shell(), set(self.ports), set(self.stack_ports))]
        if self.type == "log":
            if not self.paths:
                raise SpecError("a log collector needs paths")
            return [LogCollector(self._shell(), tuple(self.paths))]
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

    def _shell(self) -> Shell:
        """This host (no ssh), or the SSH target, its key verified against known_hosts."""
        if self.ssh is None:
            return LocalShell()
        return SSHShell(SSHTarget.parse(self.ssh), Path(self.key) if self.key else None,
                        Path(self.known_hosts) if self.known_hosts else None,
                        self.trust_new_host_key)


def with_stack_ports(specs: list[CollectorSpec]) -> list[CollectorSpec]:
    """Each host spec with the ports of the servers the other specs ask on its host (the
    database, Redis, the status pages): by them the host collector tells the target's
    processes from other instances of the same servers. The host is matched by name, as
    written (no DNS): loopback for the local host, the SSH target's host over SSH."""
    servers = [server for spec in specs if spec.type != "host" for server in spec.servers()]

    def on(ssh: str | None) -> set[int]:
        if ssh is None:
            return {port for host, port in servers
                    if host in LOOPBACK or host == socket.gethostname()}
        target = SSHTarget.parse(ssh).host.lower()
        return {port for host, port in servers if host.lower() == target}

    return [replace(spec, stack_ports=sorted({*spec.stack_ports, *on(spec.ssh)}))
            if spec.type == "host" else spec for spec in specs]


def build_all(specs: list[CollectorSpec]) -> tuple[list[Collector], list[float], list[str]]:
    """The collectors of the specs, each one's interval, and the secrets to scrub."""
    collectors: list[Collector] = []
    intervals: list[float] = []
    secrets: list[str] = []
    try:
        specs = with_stack_ports(specs)
    except ValueError as error:  # a bad ssh target
        raise SpecError(str(error)) from None
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
