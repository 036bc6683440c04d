"""Redis collector: Laravel queue lengths and cache/server health from INFO.

Queues are found by their keys (`<prefix>queues:<name>` lists with their
`:reserved` and `:delayed` sorted sets), so any Laravel app's queues show up
without configuration. Redis deletes an empty list, so a queue once seen (or
named up front) is reported every sample, as 0 when its keys are gone: an idle
queue is a measurement, not a gap. The hit ratio is computed from keyspace hit/miss
deltas, so it describes this sample's traffic, not the server's lifetime. Each sample
times one PING: the server's responsiveness as its clients see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import redis

from collectors.base import Rates, Sample, round_trip_ms

SUFFIXES = (":reserved", ":delayed", ":notify")
DISCOVER_EVERY = 10  # samples between SCANs of the keyspace for new queues
DELETING_COMMANDS = ("del", "unlink", "flushdb", "flushall")
# Commands that stop every other client (CLIENT LIST's `cmd`; Redis 7 names subcommands):
# a pause, a debug sleep, KEYS over the whole keyspace, a foreground snapshot.
STALLING_COMMANDS = ("client|pause", "debug", "keys", "save")
KEYSPACE_DB = re.compile(r"db\d+")
MAX_ERROR_KINDS = 10
MAX_CAUGHT = 10  # clients remembered per kind of command caught
# What a sample reads of INFO: a cache's health, the commands that delete keys, the errors
# by kind; of a queue-only server its load and blocked clients.
INFO_SECTIONS = ("clients", "memory", "stats", "keyspace", "commandstats", "errorstats")
QUEUE_INFO_SECTIONS = ("clients", "stats")


def queue_key(name: str) -> str:
    """`default` -> `queues:default`; a full key (`laravel_database_queues:default`) stays."""
    return name if "queues:" in name else f"queues:{name}"


@dataclass
class RedisCollector:
    url: str
    target: str = "redis"
    name: str = "redis"
    cache_stats: bool = True  # False for a queue-only server: its misses are polling
    queues: tuple[str, ...] = ()  # names or full list keys known up front
    rates: Rates = field(default_factory=Rates)
    _client: redis.Redis | None = None
    _queue_keys: set[str] = field(default_factory=set)
    _samples: int = 0
    _error_kinds: set[str] = field(default_factory=set)
    _error_counts: tuple[dict[str, float], float] | None = None
    _deleters: set[str] = field(default_factory=set)
    _stallers: set[str] = field(default_factory=set)
    _one_info_per_section: bool = False  # Redis before 7.0

    def __post_init__(self) -> None:
        self._queue_keys = {queue_key(name) for name in self.queues}

    def _connect(self) -> redis.Redis:
        if self._client is None:
            self._client = redis.Redis.from_url(self.url, socket_timeout=2,
                                                socket_connect_timeout=2)
        return self._client

    def check(self) -> list[str]:
        try:
            self._connect().ping()
        except redis.RedisError as error:
            self.close()
            return [f"{self.target}: cannot reach Redis: {error}"]
        return []

    def sample(self, ts: float) -> Sample:
        client = self._connect()
        out = Sample()
        # The round trip of one PING: what every app request pays per Redis call, so a
        # stalled server (a paused or blocked Redis, a slow script, KEYS on a big
        # keyspace, a congested network) shows here even when nothing else moves.
        out.add("redis.latency_ms", round_trip_ms(client.ping))
        if self._samples % DISCOVER_EVERY == 0:
            self._discover(client)
        self._samples += 1
        keys = sorted(self._queue_keys)
        lengths, info, clients = self._read(client, keys)
        for index, key in enumerate(keys):
            name = key.rsplit("queues:", 1)[1]
            pending, reserved, delayed = lengths[index * 3: index * 3 + 3]
            out.add(f"queue.length{{{name}}}", pending)
            out.add(f"queue.reserved{{{name}}}", reserved)
            out.add(f"queue.delayed{{{name}}}", delayed)
        out.add("redis.ops_rate", self.rates.rate(
            "ops", float(info.get("total_commands_processed", 0)), ts))
        out.add("redis.blocked_clients", info.get("blocked_clients"))
        if not self.cache_stats:
            return out
        total_hits = float(info.get("keyspace_hits", 0))
        total_misses = float(info.get("keyspace_misses", 0))
        hits = self.rates.delta("hits", total_hits)
        misses = self.rates.delta("misses", total_misses)
        # Lookups per second weigh each sample's ratio: a second of 3 lookups on cold
        # keys must not count as much as one of 3000 on warm ones.
        out.add("redis.lookups_rate", self.rates.rate("lookups", total_hits + total_misses, ts))
        if hits is not None and misses is not None and hits + misses > 0:
            out.add("redis.hit_ratio", hits / (hits + misses))
        out.add("redis.memory_bytes", info.get("used_memory"))
        out.add("redis.clients", info.get("connected_clients"))
        out.add("redis.evicted_keys", self.rates.rate(
            "evicted", float(info.get("evicted_keys", 0)), ts))
        out.add("redis.expired_keys", self.rates.rate(
            "expired", float(info.get("expired_keys", 0)), ts))
        # How keys leave tells a full Redis (evictions) from a client that deletes them (a
        # cache clear in a loop, FLUSHDB in a deploy): the key count and those commands.
        # The keyspace section: db0:keys=...,expires=...
        out.add("redis.keys", sum(float(value.get("keys", 0)) for name, value in info.items()
                                  if KEYSPACE_DB.fullmatch(name) and isinstance(value, dict)))
        out.add("redis.deletes_rate", self.rates.rate("deletes", sum(
            float(info.get(f"cmdstat_{name}", {}).get("calls", 0))
            for name in DELETING_COMMANDS), ts))
        out.add_per_label("redis.deleting_client", dict.fromkeys(
            caught_at(clients, DELETING_COMMANDS), 1.0), self._deleters, MAX_CAUGHT)
        out.add_per_label("redis.stalling_client", dict.fromkeys(
            caught_at(clients, STALLING_COMMANDS, with_command=True), 1.0), self._stallers,
            MAX_CAUGHT)
        self._errors(info, ts, out)
        return out

    def _read(self, client: redis.Redis, keys: list[str]
              ) -> tuple[list[int], dict[str, Any], list[dict[str, Any]]]:
        """Queue lengths, the INFO sections read and (for a cache) CLIENT LIST, in one round
        trip: on loopback a round trip's system calls cost more than parsing its answer.
        Redis before 7.0 takes one INFO section per call: asked for each, still pipelined."""
        sections = INFO_SECTIONS if self.cache_stats else QUEUE_INFO_SECTIONS
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.llen(key)
            pipe.zcard(f"{key}:reserved")
            pipe.zcard(f"{key}:delayed")
        if self._one_info_per_section:
            for section in sections:
                pipe.info(section)
        else:
            pipe.info(*sections)
        if self.cache_stats:
            pipe.client_list()
        try:
            values = pipe.execute()
        except redis.ResponseError:
            if self._one_info_per_section:
                raise
            self._one_info_per_section = True
            return self._read(client, keys)
        lengths, rest = values[:len(keys) * 3], values[len(keys) * 3:]
        clients = rest.pop() if self.cache_stats else []
        info: dict[str, Any] = {}
        for section in rest:
            info.update(section)
        return lengths, info, clients

    def _errors(self, info: dict[str, Any], ts: float, out: Sample) -> None:
        """Error replies per second by their prefix (OOM: full under noeviction; MISCONF:
        its snapshot cannot be written; READONLY: a replica; NOAUTH...): a Redis that is up
        and fast but refuses the app's commands (Redis 6.2 and later count them); and
        `maxclients`, connections it turned away at its client limit (INFO's
        rejected_connections: that reply is no command's, errorstats misses it). A kind
        first listed after the first sample counted from 0: Redis lists a kind once seen."""
        counts = {key.removeprefix("errorstat_"): float(value.get("count", 0))
                  for key, value in info.items()
                  if key.startswith("errorstat_") and isinstance(value, dict)}
        counts["maxclients"] = float(info.get("rejected_connections", 0))
        previous, self._error_counts = self._error_counts, (counts, ts)
        if previous is None or ts <= previous[1]:
            return
        before, then = previous
        rates = {kind: (count - before.get(kind, 0.0)) / (ts - then)
                 for kind, count in counts.items() if count >= before.get(kind, 0.0)}
        out.add_per_label("redis.errors", rates, self._error_kinds, MAX_ERROR_KINDS)

    def _discover(self, client: redis.Redis) -> None:
        for key in client.scan_iter(match="*queues:*", count=1000):
            text = key.decode(errors="replace")
            for suffix in SUFFIXES:
                text = text.removesuffix(suffix)
            self._queue_keys.add(text)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def caught_at(clients: list[dict[str, Any]], commands: tuple[str, ...],
              with_command: bool = False) -> set[str]:
    """The clients whose last command (CLIENT LIST's `cmd`) is one of `commands`, by
    address and name (and the command, upper case): one that runs it in a loop is caught
    at it sample after sample, the app's connections now and then."""
    return {" ".join(filter(None, (str(entry.get("addr", "?")), entry.get("name"),
                                   str(entry["cmd"]).replace("|", " ").upper()
                                   if with_command else "")))
            for entry in clients if entry.get("cmd") in commands}
