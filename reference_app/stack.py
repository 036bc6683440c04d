"""The embedded eSPPD stack: PostgreSQL, Redis, app server and queue workers.

One object owns the lifecycle: `with EmbeddedStack(StackConfig(...)) as stack:`
starts everything on free loopback ports, seeds the database, and on exit
(normal, exception, Ctrl-C) stops every process group and removes every
temporary directory. Logs stay in `log_dir` (the results dir when a campaign
runs) so a failed start can be diagnosed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from reference_app.knobs import Knobs
from reference_app.seed import SIZES, SeedReport, seed
from reference_app.services import (
    PostgresServer,
    PostgresSettings,
    RedisServer,
    ServiceError,
    free_port,
    spawn,
    stop_process,
    wait_for_port,
)
from reference_app.settings import AppSettings

Progress = Callable[[str], None]


@dataclass(frozen=True)
class StackConfig:
    size: str = "small"
    knobs: Knobs = field(default_factory=Knobs)
    log_dir: Path | None = None
    retry_after_s: int = 90

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"unknown size {self.size!r}; choose one of {', '.join(SIZES)}")


class EmbeddedStack:
    def __init__(self, config: StackConfig, progress: Progress | None = None) -> None:
        self.config = config
        self.progress = progress or (lambda _message: None)
        self._tmp = Path(tempfile.mkdtemp(prefix="esppd-stack-"))
        self.log_dir = config.log_dir or self._tmp / "logs"
        self.storage_dir = self._tmp / "storage"
        self.postgres = PostgresServer(self.log_dir, PostgresSettings(
            max_connections=config.knobs.pg_max_connections))
        self.redis = RedisServer(self.log_dir, name="redis-cache")
        self.queue_redis = RedisServer(self.log_dir, name="redis-queue")
        self.app_port = 0
        self.seed_report: SeedReport | None = None
        self._app: subprocess.Popen[bytes] | None = None
        self._workers: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def dsn(self) -> str:
        return self.postgres.dsn

    @property
    def monitor_dsn(self) -> str:
        return self.postgres.monitor_dsn

    @property
    def redis_url(self) -> str:
        return self.redis.url

    @property
    def queue_redis_url(self) -> str:
        return self.queue_redis.url

    @property
    def settings(self) -> AppSettings:
        return AppSettings(dsn=self.dsn, redis_url=self.redis_url,
                           queue_redis_url=self.queue_redis_url, storage_dir=self.storage_dir,
                           knobs=self.config.knobs, retry_after_s=self.config.retry_after_s)

    def describe(self) -> dict[str, str]:
        """The one JSON line `up` prints: where to point load and collectors."""
        return {"url": self.url, "dsn": self.dsn, "monitor_dsn": self.monitor_dsn,
                "redis": self.redis_url, "queue_redis": self.queue_redis_url}

    def pids(self) -> dict[str, list[int]]:
        """Top-level pid of each component (each leads its own process group)."""
        return {
            "postgres": [self.postgres.pid] if self.postgres.pid else [],
            "redis": [pid for pid in (self.redis.pid, self.queue_redis.pid) if pid],
            "app": [self._app.pid] if self._app else [],
            "queue": [worker.pid for worker in self._workers],
        }

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        knobs = self.config.knobs
        self.progress("starting PostgreSQL")
        self.postgres.start()
        self.progress(f"seeding ({self.config.size})")
        with psycopg.connect(self.dsn) as conn:
            self.seed_report = seed(conn, self.config.size, with_indexes=knobs.indexes,
                                    bcrypt_rounds=knobs.bcrypt_rounds)
            conn.execute("SELECT pg_stat_statements_reset()")
            conn.execute("SELECT pg_stat_reset()")
            conn.commit()
        self.progress("starting Redis (cache and queue)")
        self.redis.start()
        self.queue_redis.start()
        self.progress(f"starting app server ({knobs.app_workers} workers)")
        self.start_app()
        self.progress(f"starting {knobs.queue_workers} queue workers")
        for _ in range(knobs.queue_workers):
            self.start_queue_worker()

    def _child_env(self) -> dict[str, str]:
        env = {**os.environ, **self.settings.to_env()}
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        return env

    def start_app(self, timeout: float = 60.0) -> None:
        self.app_port = free_port()
        log = self.log_dir / "app.log"
        self._app = spawn([sys.executable, "-m", "reference_app.server", "--port",
                           str(self.app_port), "--workers", str(self.config.knobs.app_workers)],
                          log, env=self._child_env())
        wait_for_port(self.app_port, timeout, self._app, "app server", log)
        self._wait_healthy(timeout, log)

    def _wait_healthy(self, timeout: float, log: Path) -> None:
        deadline = time.monotonic() + timeout
        expected = self.config.knobs.app_workers
        while time.monotonic() < deadline:
            if self._app is not None and self._app.poll() is not None:
                raise ServiceError(f"app server exited with code {self._app.returncode}; "
                                   f"see {log}")
            try:
                with urllib.request.urlopen(f"{self.url}/status", timeout=2) as response:
                    if json.load(response).get("processes", 0) >= expected:
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.1)
        raise ServiceError(f"app server not healthy within {timeout:.0f} s; see {log}")

    def start_queue_worker(self) -> subprocess.Popen[bytes]:
        index = len(self._workers) + 1
        worker = spawn([sys.executable, "-m", "reference_app.worker"],
                       self.log_dir / f"queue-worker-{index}.log", env=self._child_env())
        self._workers.append(worker)
        return worker

    def stop(self) -> None:
        """Stop everything that was started, in reverse order; safe to call twice."""
        if self._workers:
            self.progress(f"stopping {len(self._workers)} queue workers")
        for worker in self._workers:
            stop_process(worker, grace=10)
        self._workers.clear()
        if self._app is not None:
            self.progress("stopping the app server")
        stop_process(self._app, grace=10)
        self._app = None
        self.progress("stopping Redis and PostgreSQL")
        self.redis.stop()
        self.queue_redis.stop()
        self.postgres.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)  # storage, and logs unless log_dir given

    def __enter__(self) -> EmbeddedStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
