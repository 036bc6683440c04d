"""A throwaway PostgreSQL cluster with pg_stat_statements and track_io_timing on.

Two roles: the owner (`dsn`, a superuser for schema and seed) and a `monitor`
role holding only pg_monitor (`monitor_dsn`), which is what the collectors
should be able to live with on a real server. PostgreSQL refuses to run as
root, so when we are root the cluster runs as `postgres` (or `nobody`).
"""

from __future__ import annotations

import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from supervision.accounts import chown_tree, run_as_unprivileged
from supervision.binaries import find_binary
from supervision.network import free_port, wait_for_port
from supervision.processes import ServiceError, spawn, stop_process
from supervision.scratch import scratch_dir


@dataclass(frozen=True)
class PostgresSettings:
    max_connections: int = 100
    shared_buffers: str = "128MB"
    include: Path | None = None  # a postgresql.conf excerpt applied before our own settings
    extra: tuple[tuple[str, str], ...] = ()


class PostgresServer:

    database = "esppd"

    def __init__(self, log_dir: Path, settings: PostgresSettings = PostgresSettings()) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.port = 0
        self.password = secrets.token_urlsafe(16)
        self.monitor_password = secrets.token_urlsafe(16)
        self._tmp: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def dsn(self) -> str:
        return self._dsn_for(self.database)

    def _dsn_for(self, database: str) -> str:
        return f"postgresql://esppd:{quote(self.password)}@127.0.0.1:{self.port}/{database}"

    @property
    def monitor_dsn(self) -> str:
        return (f"postgresql://monitor:{quote(self.monitor_password)}@127.0.0.1:{self.port}/"
                f"{self.database}")

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 60.0) -> None:
        account = run_as_unprivileged("postgres")
        self._tmp = scratch_dir("pg")
        data = self._tmp / "data"
        pwfile = self._tmp / "pwfile"
        pwfile.write_text(self.password + "\n")
        chown_tree(self._tmp, account)
        initdb = subprocess.run(
            [find_binary("initdb"), "-D", str(data), "-U", "esppd", "-E", "UTF8",
             "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
             f"--pwfile={pwfile}", "--no-sync", "--no-instructions"],
            capture_output=True, text=True, check=False,
            **(account.popen_kwargs() if account else {}),
        )
        pwfile.unlink()
        if initdb.returncode != 0:
            raise ServiceError(f"initdb failed: {initdb.stderr.strip()[-500:]}")
        self.port = free_port()
        options = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self._tmp),
            "shared_preload_libraries": "pg_stat_statements",
            "pg_stat_statements.track": "top",
            "pg_stat_statements.max": "5000",
            "track_io_timing": "on",
            "track_activity_query_size": "4096",
            "max_connections": str(self.settings.max_connections),
            "shared_buffers": self.settings.shared_buffers,
            **dict(self.settings.extra),
        }
        if self.settings.include is not None:
            # A copy inside the data directory: the server account may not read ours.
            (data / "esppd.conf").write_text(self.settings.include.read_text())
            with open(data / "postgresql.conf", "a") as conf:
                conf.write("\ninclude 'esppd.conf'\n")
        argv = [find_binary("postgres"), "-D", str(data)]
        for key, value in options.items():
            argv += ["-c", f"{key}={value}"]
        self._argv, self._account = argv, account
        self._launch(timeout)
        with psycopg.connect(self._dsn_for("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {self.database}")
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute(
                psycopg.sql.SQL("CREATE ROLE monitor LOGIN PASSWORD {} IN ROLE pg_monitor").format(
                    psycopg.sql.Literal(self.monitor_password)))

    def _launch(self, timeout: float) -> None:
        log = self.log_dir / "postgresql.log"
        # SIGINT is PostgreSQL's fast shutdown, also when we die without cleaning up.
        self._process = spawn(self._argv, log, account=self._account, death_signal=signal.SIGINT)
        wait_for_port(self.port, timeout, self._process, "PostgreSQL", log)
        self._wait_accepting(timeout)

    def restart(self, down_s: float = 0.0, timeout: float = 60.0) -> None:
        """Stop the server (clients are cut off), stay down `down_s`, start it on the same port."""
        stop_process(self._process, signal.SIGINT, grace=20)
        time.sleep(down_s)
        self._launch(timeout)

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self._dsn_for("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise ServiceError(f"PostgreSQL on port {self.port} refuses connections: "
                                       f"{error}") from None
                time.sleep(0.1)

    def grant_monitor_read(self, tables: tuple[str, ...]) -> None:
        """Let the monitor account read these tables too (Laravel's queue tables)."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            for table in tables:
                conn.execute(psycopg.sql.SQL("GRANT SELECT ON {} TO monitor").format(
                    psycopg.sql.Identifier(table)))

    def reset_statistics(self) -> None:
        """Forget the setup's statements and table counters, so a run starts from zero."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_stat_statements_reset()")
            conn.execute("SELECT pg_stat_reset()")

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown: roll back and disconnect clients.
        stop_process(self._process, signal.SIGINT, grace=20)
        self._process = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> PostgresServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
