"""Queue worker: `python -m reference_app.worker` (settings from the environment).

Like `php artisan queue:work`: pops jobs with a reservation, retries with
backoff, records the final failure in failed_jobs, and finishes the current
job before exiting on SIGTERM. A worker killed mid-job loses nothing: the
reservation expires after retry_after and another worker takes the job.
"""

from __future__ import annotations

import argparse
import json
import signal
import time
import traceback
from types import FrameType

import psycopg
import redis
from setproctitle import setproctitle

from reference_app.jobs import HANDLERS, mark_failed
from reference_app.queue import QueueKeys, ReservedJob, SyncQueue
from reference_app.settings import QUEUES, AppSettings


class Worker:
    def __init__(self, settings: AppSettings, queues: list[str]) -> None:
        self.settings = settings
        self.queues = queues
        self.redis = redis.Redis.from_url(settings.queue_redis_url)
        self.queue = SyncQueue(self.redis, settings.queue_prefix, settings.retry_after_s)
        self.conn: psycopg.Connection | None = None
        self.stopping = False

    def stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _connection(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed or self.conn.broken:
            self.conn = psycopg.connect(self.settings.dsn, application_name="esppd-queue")
        return self.conn

    def run(self) -> None:
        notify_keys = [QueueKeys(self.settings.queue_prefix, q).notify for q in self.queues]
        while not self.stopping:
            worked = False
            for name in self.queues:
                job = self.queue.pop(name)
                if job is not None:
                    self.process(name, job)
                    worked = True
                    break
            if not worked and not self.stopping:
                # Like Laravel's block_for: sleep on the notify lists instead of spinning.
                self.redis.blpop(notify_keys, timeout=1)

    def process(self, queue: str, job: ReservedJob) -> None:
        payload = job.payload
        delay_ms = self.settings.knobs.queue_job_delay_ms
        try:
            if delay_ms:
                time.sleep(delay_ms / 1000)
            HANDLERS[payload["job"]](self._connection(), self.settings.storage_dir,
                                     payload["data"])
        except Exception as error:  # noqa: BLE001  # any job failure is retried or recorded
            if self.conn is not None and not self.conn.closed:
                self.conn.rollback()
            self.fail_or_retry(queue, job, error)
        else:
            self.queue.delete(queue, job)

    def fail_or_retry(self, queue: str, job: ReservedJob, error: Exception) -> None:
        payload = job.payload
        if payload["attempts"] < payload.get("maxTries", 1):
            self.queue.release(queue, job, payload.get("backoff", 0) * payload["attempts"])
            return
        conn = self._connection()
        conn.execute(
            "INSERT INTO failed_jobs (uuid, connection, queue, payload, exception) "
            "VALUES (%s, 'redis', %s, %s, %s) ON CONFLICT (uuid) DO NOTHING",
            (payload["uuid"], queue, json.dumps(payload),
             "".join(traceback.format_exception(error))[-4000:]))
        mark_failed(conn, payload["job"], payload["data"])
        self.queue.delete(queue, job)


def main() -> None:
    parser = argparse.ArgumentParser(description="eSPPD queue worker")
    parser.add_argument("--queue", default=",".join(("notifications", "documents", "exports",
                                                     "default")),
                        help="comma-separated queues, highest priority first")
    args = parser.parse_args()
    queues = [name.strip() for name in args.queue.split(",") if name.strip()]
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown:
        raise SystemExit(f"unknown queue(s): {', '.join(unknown)}; known: {', '.join(QUEUES)}")
    setproctitle("esppd-queue worker")
    worker = Worker(AppSettings.from_env(), queues)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()


if __name__ == "__main__":
    main()
