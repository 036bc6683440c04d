"""The embedded eSPPD stack: database, two Redis servers, and one of the two apps.

One object owns the lifecycle: `with EmbeddedStack(StackConfig(...)) as stack:`
starts the database (PostgreSQL or MariaDB, with the shipped settings), Redis
for cache and sessions, Redis for the queue, then the app's runtime (the
Python app, or Laravel on PHP-FPM and nginx) with its queue workers, all on
free loopback ports; it seeds the database; and on exit (normal, exception,
Ctrl-C) it stops every process group and removes every temporary directory.
Logs stay in `log_dir` (the results dir when a campaign runs).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import psycopg

from reference_app import deployment
from reference_app.laravel_runtime import LaravelRuntime
from reference_app.python_runtime import PythonRuntime
from reference_app.seed import SeedReport
from reference_app.stack_config import Progress, StackConfig, StackServices
from supervision.scratch import scratch_dir, sweep_orphans
from supervision.servers import (
    MariaDBServer,
    MariaDBSettings,
    PostgresServer,
    PostgresSettings,
    RedisServer,
)

__all__ = ["EmbeddedStack", "StackConfig"]


class EmbeddedStack:
    def __init__(self, config: StackConfig, progress: Progress | None = None) -> None:
        self.config = config
        self.progress = progress or (lambda _message: None)
        self._tmp = scratch_dir("stack")
        # Absolute: PHP-FPM and nginx resolve relative paths against their own prefix.
        self.log_dir = (config.log_dir or self._tmp / "logs").resolve()
        max_connections = config.knobs.db_max_connections
        self.database: PostgresServer | MariaDBServer = (
            MariaDBServer(self.log_dir, MariaDBSettings(max_connections=max_connections,
                                                        include=deployment.MARIADB_CNF))
            if config.db == "mariadb" else
            PostgresServer(self.log_dir, PostgresSettings(max_connections=max_connections,
                                                          include=deployment.POSTGRES_CONF)))
        self.redis = RedisServer(self.log_dir, name="redis-cache")
        self.queue_redis = RedisServer(self.log_dir, name="redis-queue")
        services = StackServices(config, self.database, self.redis, self.queue_redis,
                                 self.log_dir, self._tmp)
        self.runtime: PythonRuntime | LaravelRuntime = (
            LaravelRuntime(services, self.progress) if config.app == "laravel"
            else PythonRuntime(services, self.progress))

    @property
    def url(self) -> str:
        return self.runtime.url

    @property
    def app_port(self) -> int:
        return self.runtime.port

    def backend_ports(self) -> list[int]:
        """Ports behind the public one whose listen backlog says something (PHP-FPM's)."""
        return self.runtime.backend_ports()

    def log_files(self) -> list[str]:
        """The servers' logs (patterns: queue workers come and go), for a log collector."""
        database = "mariadb.log" if isinstance(self.database, MariaDBServer) \
            else "postgresql.log"
        return [str(self.log_dir / name) for name in
                (database, "redis-*.log", *self.runtime.log_names())]

    @property
    def dsn(self) -> str:
        return self.database.dsn

    @property
    def monitor_dsn(self) -> str:
        return self.database.monitor_dsn

    @property
    def redis_url(self) -> str:
        return self.redis.url

    @property
    def queue_redis_url(self) -> str:
        return self.queue_redis.url

    @property
    def storage_dir(self) -> Path:
        """Where the app writes documents, exports and the mail outbox."""
        return self.runtime.storage_dir

    @property
    def statement_log(self) -> Path | None:
        """The app's count of statements per request and job (StackConfig), or None."""
        return self.runtime.statement_log

    @property
    def seed_report(self) -> SeedReport | None:
        return self.runtime.seed_report

    def query(self, statement: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement as the database owner and return its rows (tests, smoke runs).

        Both drivers take `%s` placeholders; the SQL itself must suit the engine.
        """
        if isinstance(self.database, MariaDBServer):
            with self.database.connect() as conn, conn.cursor() as cur:
                cur.execute(statement, params)
                rows = list(cur.fetchall())
                conn.commit()
                return rows
        with psycopg.connect(self.dsn, autocommit=True) as pg:
            cursor = pg.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def describe(self) -> dict[str, Any]:
        """The one JSON line `up` prints: where to point load and collectors."""
        return {"app": self.config.app, "db": self.config.db, "url": self.url,
                "dsn": self.dsn, "monitor_dsn": self.monitor_dsn, "redis": self.redis_url,
                "queue_redis": self.queue_redis_url, **self.runtime.status_urls(),
                "logs": self.log_files(), "storage": str(self.runtime.storage_dir),
                **({"statement_log": str(self.statement_log)} if self.statement_log else {})}

    def pids(self) -> dict[str, list[int]]:
        """Top-level pid of each component (each leads its own process group)."""
        database = "mariadb" if self.config.db == "mariadb" else "postgres"
        return {
            database: [self.database.pid] if self.database.pid else [],
            "redis": [pid for pid in (self.redis.pid, self.queue_redis.pid) if pid],
            **self.runtime.pids(),
        }

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        orphans = sweep_orphans()
        if orphans:
            self.progress(f"removed {len(orphans)} scratch directories of killed runs")
        config = self.config
        engine = "MariaDB" if config.db == "mariadb" else "PostgreSQL"
        self.progress(f"starting {engine}")
        self.database.start()
        self.progress("starting Redis (cache and queue)")
        self.redis.start()
        self.queue_redis.start()
        started = time.perf_counter()
        if config.app == "python":
            self.progress(f"seeding ({config.size})")
        self.runtime.seed()
        # Laravel's failed_jobs, readable by the collectors like a real team would grant it.
        self.database.grant_monitor_read(("failed_jobs",))
        self.database.reset_statistics()
        self.progress(f"database ready in {time.perf_counter() - started:.1f} s")
        self.runtime.start()

    def stop(self) -> None:
        """Stop everything that was started, in reverse order; safe to call twice."""
        self.runtime.stop()
        self.progress("stopping Redis and the database")
        self.redis.stop()
        self.queue_redis.stop()
        self.database.stop()
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
