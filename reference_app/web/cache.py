"""Tagged cache on Redis, like Laravel's `Cache::tags([...])->remember(...)`.

Each tag has a version id stored in Redis; an item's key includes the current
versions of its tags, so flushing a tag (a new version id) makes every item
under it unreachable at once, and old items simply expire. With the
`cache=off` knob, remember() still looks the item up but never stores it: every
lookup is a miss (Redis keyspace_misses climbs), which is what a cache that
does not work looks like from outside.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import redis.asyncio as aioredis

T = TypeVar("T")

PREFIX = "esppd_cache:"

TTL_MASTER_S = 24 * 3600
TTL_DASHBOARD_S = 15 * 60
TTL_PERMISSIONS_S = 6 * 3600
TTL_PROFILE_S = 3600


class TaggedCache:
    def __init__(self, client: aioredis.Redis, enabled: bool) -> None:
        self.client = client
        self.enabled = enabled

    async def _namespace(self, tags: Sequence[str]) -> str:
        tag_keys = [f"{PREFIX}tag:{tag}:key" for tag in tags]
        versions = await self.client.mget(tag_keys)
        resolved = []
        for key, version in zip(tag_keys, versions, strict=True):
            if version is None:
                fresh = secrets.token_hex(8)
                # SET NX: two workers racing on a new tag agree on one version.
                await self.client.set(key, fresh, nx=True)
                version = await self.client.get(key) or fresh.encode()
            resolved.append(version.decode() if isinstance(version, bytes) else version)
        return hashlib.sha1("|".join(resolved).encode(), usedforsecurity=False).hexdigest()

    async def remember(self, tags: Sequence[str], key: str, ttl_s: int,
                       compute: Callable[[], Awaitable[T]]) -> T:
        """Return the cached value of `key` under `tags`, computing and storing it on a miss."""
        full_key = f"{PREFIX}{await self._namespace(tags)}:{key}"
        cached = await self.client.get(full_key)
        if cached is not None:
            return json.loads(cached)
        value = await compute()
        if self.enabled:
            await self.client.set(full_key, json.dumps(value, default=str), ex=ttl_s)
        return value

    async def flush(self, *tags: str) -> None:
        """Invalidate every item stored under any of `tags`."""
        if not tags:
            return
        pipe = self.client.pipeline()
        for tag in tags:
            pipe.set(f"{PREFIX}tag:{tag}:key", secrets.token_hex(8))
        await pipe.execute()


def jsonable(rows: Any) -> Any:
    """Round-trip through JSON so cached and fresh values have the same types."""
    return json.loads(json.dumps(rows, default=str))
