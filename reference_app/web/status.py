"""Per-worker concurrency limit and status, modelled on PHP-FPM's pool and status page.

Why: an async server accepts everything, so worker exhaustion would be
invisible. Like pm.max_children, each worker process serves at most
`app_concurrency` requests at once; the others wait in a listen queue. Each
worker publishes its counters to Redis every half second, and `/status`
returns all live workers' numbers plus totals (what PHP-FPM's `?json` gives).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool
from starlette.types import ASGIApp, Receive, Scope, Send

STATUS_KEY = "esppd_status:workers"
UNLIMITED_PATHS = ("/status", "/health")
STALE_AFTER_S = 5.0


@dataclass
class WorkerStatus:
    max_children: int
    pid: int = field(default_factory=os.getpid)
    started: float = field(default_factory=time.time)
    active: int = 0
    listen_queue: int = 0
    max_listen_queue: int = 0
    accepted: int = 0
    max_children_reached: int = 0

    def snapshot(self, pool: AsyncConnectionPool | None) -> dict[str, Any]:
        stats = pool.get_stats() if pool is not None else {}
        size = stats.get("pool_size", 0)
        return {
            "pid": self.pid, "start_time": self.started, "ts": time.time(),
            "active": self.active, "idle": self.max_children - self.active,
            "max_children": self.max_children, "listen_queue": self.listen_queue,
            "max_listen_queue": self.max_listen_queue, "accepted": self.accepted,
            "max_children_reached": self.max_children_reached,
            "pool": {"size": size, "in_use": size - stats.get("pool_available", 0),
                     "waiting": stats.get("requests_waiting", 0),
                     "wait_ms_total": stats.get("requests_wait_ms", 0),
                     "errors": stats.get("requests_errors", 0)},
        }


class ConcurrencyLimit:
    """ASGI middleware: at most max_children requests in flight, the rest queue (FIFO)."""

    def __init__(self, app: ASGIApp, status: WorkerStatus) -> None:
        self.app = app
        self.status = status
        self.slots = asyncio.Semaphore(status.max_children)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        status = self.status
        status.accepted += 1
        if self.slots.locked():
            status.max_children_reached += 1
        status.listen_queue += 1
        status.max_listen_queue = max(status.max_listen_queue, status.listen_queue)
        try:
            await self.slots.acquire()
        finally:
            status.listen_queue -= 1
        status.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            status.active -= 1
            self.slots.release()


async def publish_forever(client: aioredis.Redis, status: WorkerStatus,
                          pool: AsyncConnectionPool, interval_s: float = 0.5) -> None:
    """Keep this worker's snapshot fresh in Redis until cancelled."""
    while True:
        with contextlib.suppress(Exception):  # status is best effort; never kill the worker
            await client.hset(STATUS_KEY, str(status.pid), json.dumps(status.snapshot(pool)))
        await asyncio.sleep(interval_s)


async def all_workers(client: aioredis.Redis) -> dict[str, Any]:
    """Live workers' snapshots plus pool-wide totals, dropping workers gone quiet."""
    raw = await client.hgetall(STATUS_KEY)
    now = time.time()
    workers = []
    for pid, value in raw.items():
        snapshot = json.loads(value)
        if now - snapshot["ts"] > STALE_AFTER_S:
            await client.hdel(STATUS_KEY, pid)
            continue
        workers.append(snapshot)
    workers.sort(key=lambda item: item["pid"])
    total = {key: sum(worker[key] for worker in workers)
             for key in ("active", "idle", "max_children", "listen_queue", "accepted",
                         "max_children_reached")}
    pool = {key: sum(worker["pool"][key] for worker in workers)
            for key in ("size", "in_use", "waiting")}
    return {**total, "processes": len(workers), "pool": pool, "workers": workers}
