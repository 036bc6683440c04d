"""A Redis queue in Laravel's key layout, so collectors built for Laravel read it as is.

Keys (with the connection prefix, e.g. `esppd_database_`):
`queues:<name>` list of pending payloads, `queues:<name>:reserved` zset
(score = reservation expiry), `queues:<name>:delayed` zset (score = available
at), `queues:<name>:notify` list. Pop, release and expiry migration are Lua
scripts, like Laravel's LuaScripts, so a worker dying mid-job never loses it:
its reservation expires and the job goes back to the queue.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis

# KEYS: queue, reserved, notify; ARGV: retry-until. Same logic as Laravel's LuaScripts::pop.
POP_SCRIPT = """
local job = redis.call('lpop', KEYS[1])
local reserved = false
if (job ~= false) then
    reserved = cjson.decode(job)
    reserved['attempts'] = reserved['attempts'] + 1
    reserved = cjson.encode(reserved)
    redis.call('zadd', KEYS[2], ARGV[1], reserved)
    redis.call('lpop', KEYS[3])
end
return {job, reserved}
"""

# KEYS: from zset, to list, notify; ARGV: now. Laravel's LuaScripts::migrateExpiredJobs.
MIGRATE_SCRIPT = """
local val = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1], 'limit', 0, 100)
if(next(val) ~= nil) then
    redis.call('zremrangebyrank', KEYS[1], 0, #val - 1)
    for i = 1, #val, 100 do
        redis.call('rpush', KEYS[2], unpack(val, i, math.min(i+99, #val)))
        for j = i, math.min(i+99, #val) do
            redis.call('rpush', KEYS[3], 1)
        end
    end
end
return val
"""

# KEYS: delayed, reserved; ARGV: reserved payload, available-at. Laravel's LuaScripts::release.
RELEASE_SCRIPT = """
redis.call('zrem', KEYS[2], ARGV[1])
redis.call('zadd', KEYS[1], ARGV[2], ARGV[1])
return true
"""


@dataclass(frozen=True)
class QueueKeys:
    prefix: str
    name: str

    @property
    def pending(self) -> str:
        return f"{self.prefix}queues:{self.name}"

    @property
    def reserved(self) -> str:
        return f"{self.pending}:reserved"

    @property
    def delayed(self) -> str:
        return f"{self.pending}:delayed"

    @property
    def notify(self) -> str:
        return f"{self.pending}:notify"


def make_payload(job: str, data: dict[str, Any], max_tries: int = 3,
                 backoff_s: int = 5, timeout_s: int = 120) -> str:
    """A Laravel-shaped job payload (displayName, job, data, attempts, createdAt...)."""
    job_id = str(uuid.uuid4())
    return json.dumps({
        "uuid": job_id, "id": job_id, "displayName": job, "job": job,
        "maxTries": max_tries, "backoff": backoff_s, "timeout": timeout_s,
        "data": data, "attempts": 0, "createdAt": int(time.time()),
    })


@dataclass(frozen=True)
class ReservedJob:
    raw: str        # the payload as stored in :reserved (attempts already incremented)
    payload: dict[str, Any]


class SyncQueue:
    """The worker's side: pop with reservation, delete, release with backoff."""

    def __init__(self, client: redis.Redis, prefix: str, retry_after_s: int) -> None:
        self.client = client
        self.prefix = prefix
        self.retry_after_s = retry_after_s
        self._pop = client.register_script(POP_SCRIPT)
        self._migrate = client.register_script(MIGRATE_SCRIPT)
        self._release = client.register_script(RELEASE_SCRIPT)

    def push(self, queue: str, payload: str) -> None:
        keys = QueueKeys(self.prefix, queue)
        pipe = self.client.pipeline()
        pipe.rpush(keys.pending, payload)
        pipe.rpush(keys.notify, 1)
        pipe.execute()

    def pop(self, queue: str) -> ReservedJob | None:
        keys = QueueKeys(self.prefix, queue)
        now = time.time()
        # Due delayed jobs and expired reservations (a dead worker's) go back first.
        self._migrate(keys=[keys.delayed, keys.pending, keys.notify], args=[now])
        self._migrate(keys=[keys.reserved, keys.pending, keys.notify], args=[now])
        _job, reserved = self._pop(keys=[keys.pending, keys.reserved, keys.notify],
                                  args=[now + self.retry_after_s])
        if not reserved:
            return None
        raw = reserved.decode() if isinstance(reserved, bytes) else reserved
        return ReservedJob(raw=raw, payload=json.loads(raw))

    def delete(self, queue: str, job: ReservedJob) -> None:
        self.client.zrem(QueueKeys(self.prefix, queue).reserved, job.raw)

    def release(self, queue: str, job: ReservedJob, delay_s: float) -> None:
        keys = QueueKeys(self.prefix, queue)
        self._release(keys=[keys.delayed, keys.reserved], args=[job.raw, time.time() + delay_s])
