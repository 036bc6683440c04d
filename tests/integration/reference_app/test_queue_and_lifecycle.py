"""Queue robustness (retries, failed_jobs, a worker killed mid-job, supervision) and teardown,
on both apps."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

import psutil
import pytest
import redis

from reference_app.client import EsppdClient
from reference_app.knobs import Knobs
from reference_app.settings import QUEUE_PREFIX
from reference_app.stack import EmbeddedStack, StackConfig
from reference_app.stack_config import APPS

pytestmark = pytest.mark.timeout(180)

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def signal_workers(stack: EmbeddedStack, signum: int) -> None:
    for pid in stack.pids()["queue"]:
        os.kill(pid, signum)


def test_failing_job_is_retried_then_recorded_in_failed_jobs(stack: EmbeddedStack) -> None:
    """The SPPD of a queued document vanishes before a worker runs the job: every try fails,
    the last one lands in failed_jobs and the user sees `failed`, not `queued` forever."""
    client = EsppdClient(stack.url)
    client.login("dosen", 12)
    depart = date.today() + timedelta(days=45)
    created = client.post("/sppd", {"tujuan_id": 5, "transportasi_id": 3,
                                    "maksud": "Pelatihan dosen", "tanggal_berangkat":
                                    depart.isoformat(), "tanggal_kembali": depart.isoformat()})
    sppd_id = client.location_id(created)
    signal_workers(stack, signal.SIGSTOP)
    try:
        document = client.post(f"/sppd/{sppd_id}/document")
        stack.query("DELETE FROM sppd WHERE id = %s", (sppd_id,))
    finally:
        signal_workers(stack, signal.SIGCONT)
    document_id = client.location_id(document)
    status = wait_for(lambda: stack.query("SELECT status FROM documents WHERE id = %s AND "
                                          "status <> 'queued'", (document_id,)), timeout=60)
    assert status[0][0] == "failed"
    failures = stack.query("SELECT queue, payload, exception FROM failed_jobs ORDER BY id")
    queue, payload, exception = failures[-1]
    assert queue == "documents" and "GenerateSppdDocument" in payload
    assert "found" in exception.lower()  # the missing SPPD, in either app's words
    assert redis.Redis.from_url(stack.queue_redis_url).zcard(
        f"{QUEUE_PREFIX}queues:documents:reserved") == 0


@pytest.mark.parametrize("app", APPS)
def test_a_job_survives_its_worker_being_killed(app: str,
                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    """SIGKILL mid-job: the supervisor restarts the worker, the reservation expires after
    retry_after, and the job runs again to completion."""
    knobs = Knobs().with_values({"queue_job_delay_ms": "1500", "queue_workers": "1"})
    config = StackConfig(app=app, knobs=knobs, retry_after_s=2,
                         log_dir=tmp_path_factory.mktemp(f"kill-{app}"))
    with EmbeddedStack(config) as running:
        client = EsppdClient(running.url)
        client.login("keuangan", 1)
        export = client.post("/exports", {"bulan": 1, "tahun": date.today().year})
        reserved = f"{QUEUE_PREFIX}queues:exports:reserved"
        queue = redis.Redis.from_url(running.queue_redis_url)
        wait_for(lambda: queue.zcard(reserved) == 1)  # the worker holds it...
        victim = running.pids()["queue"][0]
        os.kill(victim, signal.SIGKILL)  # ...and dies mid-job
        replacement = wait_for(lambda: [pid for pid in running.pids()["queue"] if pid != victim])
        assert replacement
        status = client.wait_ready(client.location_path(export), timeout=30)
        assert status["status"] == "ready"


@pytest.mark.parametrize(("app", "db"), [("python", "postgresql"), ("laravel", "postgresql"),
                                         ("laravel", "mariadb")])
def test_teardown_leaves_no_process_or_directory(app: str, db: str,
                                                 tmp_path_factory: pytest.TempPathFactory
                                                 ) -> None:
    stack = EmbeddedStack(StackConfig(app=app, db=db,
                                      log_dir=tmp_path_factory.mktemp(f"teardown-{app}-{db}")))
    with stack:
        leaders = [pid for pids in stack.pids().values() for pid in pids]
        family = {pid for leader in leaders
                  for pid in [leader, *(c.pid for c in psutil.Process(leader).children(True))]}
        tmp = stack._tmp
        assert len(family) > 6
    alive: set[int] = set()

    def all_gone() -> bool:
        nonlocal alive
        alive = {pid for pid in family if psutil.pid_exists(pid)
                 and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE}
        return not alive

    wait_for(all_gone, timeout=15)
    assert not tmp.exists()
