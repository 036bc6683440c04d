"""The Python reference app on the embedded stack: uvicorn workers and queue workers.

Its database is created by the seed (schema.sql, then COPY); its app server
reports its own workers on /status; its queue workers run under a Supervisor
that restarts them when they exit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg

from reference_app.seed import SeedReport, seed
from reference_app.settings import AppSettings
from reference_app.stack_config import Progress, StackServices
from supervision import (
    Program,
    ServiceError,
    Supervisor,
    free_port,
    spawn,
    stop_process,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parent.parent


class PythonRuntime:
    app = "python"
    statement_log: Path | None = None  # only the Laravel app counts its statements

    def __init__(self, services: StackServices, progress: Progress) -> None:
        self.services = services
        self.progress = progress
        self.port = 0
        self.storage_dir = services.tmp / "storage"
        self.seed_report: SeedReport | None = None
        self._app: subprocess.Popen[bytes] | None = None
        self._queue: Supervisor | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self) -> AppSettings:
        services = self.services
        return AppSettings(dsn=services.database.dsn, redis_url=services.redis.url,
                           queue_redis_url=services.queue_redis.url,
                           storage_dir=self.storage_dir, knobs=services.config.knobs,
                           retry_after_s=services.config.retry_after_s)

    def backend_ports(self) -> list[int]:
        return []

    def status_urls(self) -> dict[str, str]:
        return {"app_status": f"{self.url}/status"}

    def log_names(self) -> list[str]:
        """Its logs in the stack's log folder: the app server's and the queue workers'."""
        return ["app.log", "queue-worker-*.log"]

    def seed(self) -> None:
        config = self.services.config
        with psycopg.connect(self.services.database.dsn) as conn:
            self.seed_report = seed(conn, config.size, with_indexes=config.knobs.indexes,
                                    bcrypt_rounds=config.knobs.bcrypt_rounds,
                                    approval_chain=config.approval_chain)

    def start(self) -> None:
        knobs = self.services.config.knobs
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        self.progress(f"starting app server ({knobs.app_workers} workers)")
        self._start_app()
        if knobs.queue_workers:
            self.progress(f"starting {knobs.queue_workers} queue workers")
            self._queue = Supervisor(Program(
                "queue-worker", (sys.executable, "-m", "reference_app.worker"),
                numprocs=knobs.queue_workers, env=self._child_env()),
                self.services.log_dir, notify=self.progress)
            self._queue.start()

    def _child_env(self) -> dict[str, str]:
        env = {**os.environ, **self.settings.to_env()}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        return env

    def _start_app(self, timeout: float = 60.0) -> None:
        self.port = free_port()
        log = self.services.log_dir / "app.log"
        self._app = spawn([sys.executable, "-m", "reference_app.server", "--port",
                           str(self.port), "--workers",
                           str(self.services.config.knobs.app_workers)],
                          log, env=self._child_env())
        wait_for_port(self.port, timeout, self._app, "app server", log)
        self._wait_healthy(timeout, log)

    def _wait_healthy(self, timeout: float, log: Path) -> None:
        deadline = time.monotonic() + timeout
        expected = self.services.config.knobs.app_workers
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

    def pids(self) -> dict[str, list[int]]:
        return {"app": [self._app.pid] if self._app else [],
                "queue": self._queue.pids() if self._queue else []}

    def stop(self) -> None:
        if self._queue is not None:
            self.progress("stopping the queue workers")
            self._queue.stop()
            self._queue = None
        if self._app is not None:
            self.progress("stopping the app server")
        stop_process(self._app, grace=10)
        self._app = None
