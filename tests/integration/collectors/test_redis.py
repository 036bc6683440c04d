"""Redis collector: Laravel queue lengths (pending, reserved, delayed) and cache health."""

from __future__ import annotations

import time

import pytest
import redis

from collectors.redisq import RedisCollector
from supervision.servers import RedisServer

PREFIX = "laravel_database_"


def metrics(collector: RedisCollector) -> dict[str, float]:
    return dict(collector.sample(time.time()).metrics)


def test_queue_lengths_in_laravels_layout(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    collector = RedisCollector(redis_server.url, queues=("default",))
    assert collector.check() == []
    before = metrics(collector)
    assert before["queue.length{default}"] == 0  # named up front: measured before any job
    client.rpush(f"{PREFIX}queues:documents", *[f"job{i}" for i in range(5)])
    client.zadd(f"{PREFIX}queues:documents:reserved", {"job-r": time.time() + 60})
    client.zadd(f"{PREFIX}queues:documents:delayed", {"job-a": 1, "job-b": 2})
    collector._samples = 0  # the next sample rescans the keyspace
    during = metrics(collector)
    assert during["queue.length{documents}"] == 5
    assert during["queue.reserved{documents}"] == 1
    assert during["queue.delayed{documents}"] == 2
    client.delete(f"{PREFIX}queues:documents", f"{PREFIX}queues:documents:reserved",
                  f"{PREFIX}queues:documents:delayed")  # drained: Redis drops empty keys
    after = metrics(collector)
    assert after["queue.length{documents}"] == 0  # still reported: idle is a measurement
    collector.close()


def test_cache_hit_ratio_is_per_sample_and_queue_only_servers_skip_it(
        redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)
    client.set("cache:master", "x")
    collector = RedisCollector(redis_server.url)
    metrics(collector)
    for _ in range(30):
        client.get("cache:master")
    for _ in range(10):
        client.get("cache:missing")
    sample = metrics(collector)
    assert sample["redis.hit_ratio"] == 0.75
    assert sample["redis.lookups_rate"] > 0  # the 40 lookups, per second since the first
    assert sample["redis.clients"] >= 2 and sample["redis.memory_bytes"] > 0
    queue_only = RedisCollector(redis_server.url, cache_stats=False)
    assert not {"redis.hit_ratio", "redis.lookups_rate"} & set(metrics(queue_only))
    collector.close()
    queue_only.close()


def test_how_keys_leave_deleted_or_expired(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.mset({f"esppd_cache:k{i}": "x" for i in range(50)})
    collector = RedisCollector(redis_server.url)
    first = metrics(collector)
    assert first["redis.keys"] == 50
    client.delete(*[f"esppd_cache:k{i}" for i in range(40)])
    client.unlink("esppd_cache:k40")
    client.set("esppd_cache:short", "x", px=1)
    time.sleep(0.2)
    client.get("esppd_cache:short")  # expired on access, if not yet by the server
    after = metrics(collector)
    assert after["redis.keys"] == 9
    assert after["redis.deletes_rate"] > 0 and after["redis.expired_keys"] > 0
    # The client that deleted is caught by its last command, by address and name;
    # one that ran something else since is not.
    client.client_setname("cache-wiper")
    wiper = client.client_list(_type="normal")
    other = redis.Redis.from_url(redis_server.url)
    other.delete("esppd_cache:k41")
    other.get("esppd_cache:k42")
    address = next(entry["addr"] for entry in wiper if entry["name"] == "cache-wiper")
    client.delete("esppd_cache:k43")
    caught = {name: value for name, value in metrics(collector).items()
              if name.startswith("redis.deleting_client")}
    assert caught == {f"redis.deleting_client{{{address} cache-wiper}}": 1.0}
    other.close()
    collector.close()


def test_commands_refused_are_counted_by_kind(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    collector = RedisCollector(redis_server.url)
    assert not any(name.startswith("redis.errors") for name in metrics(collector))
    client.config_set("maxmemory", "1")  # full: under noeviction every write is refused
    client.config_set("maxmemory-policy", "noeviction")
    try:
        for n in range(5):
            with pytest.raises(redis.exceptions.OutOfMemoryError):
                client.set(f"esppd_cache:k{n}", "x")
        time.sleep(0.2)
        assert metrics(collector)["redis.errors{OOM}"] > 0
    finally:
        client.config_set("maxmemory", "0")
    assert metrics(collector)["redis.errors{OOM}"] == 0  # a kind seen stays, at 0
    # Connections turned away at maxclients: no command's reply, so errorstats misses them.
    client.config_set("maxclients", str(client.info("clients")["connected_clients"]))
    try:
        for _ in range(3):
            with pytest.raises(redis.exceptions.ConnectionError, match="max number of clients"):
                redis.Redis.from_url(redis_server.url).ping()
        assert metrics(collector)["redis.errors{maxclients}"] > 0
    finally:
        client.config_set("maxclients", "10000")
    collector.close()


def test_the_round_trip_shows_a_paused_server_and_who_paused_it(
        redis_server: RedisServer) -> None:
    collector = RedisCollector(redis_server.url)
    first = metrics(collector)
    assert first["redis.latency_ms"] < 50  # loopback: well under a millisecond
    assert not any(name.startswith("redis.stalling_client") for name in first)
    pauser = redis.Redis.from_url(redis_server.url)
    pauser.client_setname("stuck-admin")
    address = next(entry["addr"] for entry in pauser.client_list(_type="normal")
                   if entry["name"] == "stuck-admin")
    pauser.execute_command("CLIENT", "PAUSE", "300", "ALL")
    paused = metrics(collector)
    assert paused["redis.latency_ms"] >= 200  # waited for the pause to end
    # Caught by its last command; the app's other commands (GET, SET) are not.
    assert {name: value for name, value in paused.items()
            if name.startswith("redis.stalling_client")} == {
        f"redis.stalling_client{{{address} stuck-admin CLIENT PAUSE}}": 1.0}
    pauser.get("k")
    assert metrics(collector)[f"redis.stalling_client{{{address} stuck-admin CLIENT PAUSE}}"] == 0
    pauser.close()
    collector.close()


def test_wrong_password_is_one_line_without_the_password(redis_server: RedisServer) -> None:
    url = redis_server.url.replace(redis_server.password, "not-the-password")
    problems = RedisCollector(url).check()
    assert len(problems) == 1 and "not-the-password" not in problems[0]


def test_one_info_section_per_call_reads_the_same_signals(redis_server: RedisServer) -> None:
    """Redis before 7.0 takes one INFO section per call: the collector asks for each (in
    the same pipeline) and reads the same metrics from them."""
    client = redis.Redis.from_url(redis_server.url)
    client.set("cache:one", "x")
    client.rpush(f"{PREFIX}queues:mail", "job")
    together, apart = (RedisCollector(redis_server.url, queues=("mail",)) for _ in range(2))
    apart._one_info_per_section = True
    for collector in (together, apart):
        metrics(collector)
    client.delete("cache:one")
    client.get("cache:one")
    first, second = metrics(together), metrics(apart)
    assert set(first) == set(second)
    for name in ("redis.keys", "redis.hit_ratio", "queue.length{mail}", "redis.clients"):
        assert first[name] == second[name], name
    assert first["redis.deletes_rate"] > 0 and second["redis.deletes_rate"] > 0
    client.delete(f"{PREFIX}queues:mail")
    together.close()
    apart.close()
