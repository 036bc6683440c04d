"""Queue robustness (retries, failed_jobs, a worker killed mid-job) and clean teardown."""

from __future__ import annotations

import json
import os
import signal
import time

import psutil
import psycopg
import pytest
import redis

from reference_app.queue import QueueKeys, SyncQueue, make_payload
from reference_app.settings import QUEUE_PREFIX
from reference_app.stack import EmbeddedStack, StackConfig

pytestmark = pytest.mark.timeout(180)


def wait_for(predicate, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_failing_job_is_retried_then_recorded_in_failed_jobs(stack: EmbeddedStack) -> None:
    client = redis.Redis.from_url(stack.queue_redis_url)
    queue = SyncQueue(client, QUEUE_PREFIX, retry_after_s=3)
    payload = make_payload("GenerateSppdDocument", {"document_id": -1, "sppd_id": -1},
                           max_tries=2, backoff_s=0)
    queue.push("documents", payload)
    job_uuid = json.loads(payload)["uuid"]
    with psycopg.connect(stack.dsn, autocommit=True) as conn:
        row = wait_for(lambda: conn.execute(
            "SELECT payload, exception FROM failed_jobs WHERE uuid = %s", (job_uuid,)).fetchone())
    assert json.loads(row[0])["attempts"] == 2
    assert "sppd -1 not found" in row[1]
    keys = QueueKeys(QUEUE_PREFIX, "documents")
    assert client.zcard(keys.reserved) == 0


def test_a_job_survives_its_worker_being_killed(tmp_path_factory: pytest.TempPathFactory) -> None:
    config = StackConfig(log_dir=tmp_path_factory.mktemp("kill"), retry_after_s=2)
    knobs = config.knobs.with_values({"queue_job_delay_ms": "1500", "queue_workers": "1"})
    config = StackConfig(knobs=knobs, log_dir=config.log_dir, retry_after_s=2)
    with EmbeddedStack(config) as running:
        client = redis.Redis.from_url(running.queue_redis_url)
        with psycopg.connect(running.dsn, autocommit=True) as conn:
            export_id = conn.execute("INSERT INTO exports (user_id, bulan, tahun) VALUES "
                                     "(1, 1, 2026) RETURNING id").fetchone()[0]
            SyncQueue(client, QUEUE_PREFIX, 2).push("exports", make_payload(
                "ExportMonthlyReport", {"export_id": export_id, "bulan": 1, "tahun": 2026}))
            keys = QueueKeys(QUEUE_PREFIX, "exports")
            wait_for(lambda: client.zcard(keys.reserved) == 1)  # the worker holds it...
            victim = running.pids()["queue"][0]
            os.kill(victim, signal.SIGKILL)  # ...and dies mid-job
            running.start_queue_worker()
            status = wait_for(lambda: conn.execute(
                "SELECT status FROM exports WHERE id = %s AND status <> 'queued'",
                (export_id,)).fetchone(), timeout=30)
        assert status[0] == "ready"


def test_teardown_leaves_no_process_or_directory(tmp_path_factory: pytest.TempPathFactory
                                                 ) -> None:
    stack = EmbeddedStack(StackConfig(log_dir=tmp_path_factory.mktemp("teardown")))
    with stack:
        leaders = [pid for pids in stack.pids().values() for pid in pids]
        family = {pid for leader in leaders
                  for pid in [leader, *(c.pid for c in psutil.Process(leader).children(True))]}
        tmp = stack._tmp
        assert len(family) > 6
    time.sleep(0.5)
    alive = [pid for pid in family if psutil.pid_exists(pid)
             and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert alive == []
    assert not tmp.exists()
