"""A throwaway MariaDB server with performance_schema on, on a free loopback port.

Like PostgresServer: an owner account (`dsn`, for schema and seed) and a
`monitor` account holding only PROCESS and SELECT on performance_schema, which
is what the collectors should be able to live with on a real server. Its
settings come from a my.cnf excerpt (the shipped production one), followed by
the few this server must decide itself: paths, port, memory for a test host.
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

import pymysql

from supervision.accounts import RunAs, chown_tree, run_as_unprivileged
from supervision.binaries import find_binary
from supervision.network import free_port, wait_for_port
from supervision.processes import ServiceError, spawn, stop_process
from supervision.scratch import scratch_dir


@dataclass(frozen=True)
class MariaDBSettings:
    max_connections: int = 151
    buffer_pool_size: str = "256M"
    include: Path | None = None  # a my.cnf whose [mysqld] settings apply before ours
    performance_schema: bool = True  # off only to test what a collector says about it


class MariaDBServer:
    database = "esppd"

    def __init__(self, log_dir: Path, settings: MariaDBSettings = MariaDBSettings()) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.port = 0
        self.password = secrets.token_urlsafe(16)
        self.monitor_password = secrets.token_urlsafe(16)
        self._tmp: Path | None = None
        self._account: RunAs | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def dsn(self) -> str:
        return (f"mysql://esppd:{quote(self.password)}@127.0.0.1:{self.port}/"
                f"{self.database}")

    @property
    def monitor_dsn(self) -> str:
        return (f"mysql://monitor:{quote(self.monitor_password)}@127.0.0.1:{self.port}/"
                f"{self.database}")

    @property
    def socket(self) -> Path:
        if self._tmp is None:
            raise ServiceError("the MariaDB server is not started")
        return self._tmp / "mysqld.sock"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def connect(self, database: str | None = None) -> pymysql.connections.Connection:
        """The owner's connection (autocommit off), for schema and seed."""
        return pymysql.connect(host="127.0.0.1", port=self.port, user="esppd",
                               password=self.password, database=database or self.database,
                               charset="utf8mb4")

    def _config(self, data: Path) -> str:
        base = self.settings.include.read_text() if self.settings.include else ""
        return (f"{base}\n"
                "# The embedded stack's own settings: paths, port, memory for a test host.\n"
                "[mysqld]\n"
                f"datadir = {data}\nsocket = {self.socket}\npid-file = {self._tmp}/mysqld.pid\n"
                f"port = {self.port}\nbind-address = 127.0.0.1\n"
                f"max_connections = {self.settings.max_connections}\n"
                f"innodb_buffer_pool_size = {self.settings.buffer_pool_size}\n"
                "innodb_log_file_size = 48M\n"
                f"performance_schema = {'ON' if self.settings.performance_schema else 'OFF'}\n"
                "default-time-zone = '+00:00'\n"
                "skip-log-bin\n")

    def start(self, timeout: float = 60.0) -> None:
        self._account = run_as_unprivileged("mysql")
        self._tmp = scratch_dir("mariadb")
        data = self._tmp / "data"
        self.port = free_port()
        config = self._tmp / "my.cnf"
        config.write_text(self._config(data))
        chown_tree(self._tmp, self._account)
        user = [f"--user={self._account.name}"] if self._account else []
        install = subprocess.run(
            [find_binary("mariadb-install-db"), f"--defaults-file={config}", *user,
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            capture_output=True, text=True, check=False)
        if install.returncode != 0:
            raise ServiceError(f"mariadb-install-db failed: {install.stderr.strip()[-500:]}")
        log = self.log_dir / "mariadb.log"
        # Started as the account, not switching to it with --user: a process that changes
        # its own credentials loses its parent-death signal.
        self._process = spawn([find_binary("mariadbd"), f"--defaults-file={config}"], log,
                              account=self._account)
        wait_for_port(self.port, timeout, self._process, "MariaDB", log)
        self._create_accounts(timeout)

    def _root(self) -> pymysql.connections.Connection:
        return pymysql.connect(unix_socket=str(self.socket), user="root", password="",
                               autocommit=True)

    def _create_accounts(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                root = self._root()
                break
            except pymysql.err.OperationalError as error:
                if time.monotonic() > deadline:
                    raise ServiceError(f"MariaDB on port {self.port} refuses connections: "
                                       f"{error}") from None
                time.sleep(0.1)
        with root, root.cursor() as cur:
            cur.execute(f"CREATE DATABASE {self.database} CHARACTER SET utf8mb4 "
                        "COLLATE utf8mb4_unicode_ci")
            for host in ("127.0.0.1", "localhost"):
                cur.execute("CREATE USER 'esppd'@%s IDENTIFIED BY %s", (host, self.password))
                cur.execute(f"GRANT ALL ON {self.database}.* TO 'esppd'@%s", (host,))
                cur.execute("CREATE USER 'monitor'@%s IDENTIFIED BY %s",
                            (host, self.monitor_password))
                cur.execute("GRANT PROCESS ON *.* TO 'monitor'@%s", (host,))
                cur.execute("GRANT SELECT ON performance_schema.* TO 'monitor'@%s", (host,))

    def grant_monitor_read(self, tables: tuple[str, ...]) -> None:
        """Let the monitor account read these tables too (Laravel's queue tables)."""
        with self._root() as root, root.cursor() as cur:
            for table in tables:
                for host in ("127.0.0.1", "localhost"):
                    cur.execute(f"GRANT SELECT ON {self.database}.{table} TO 'monitor'@%s",
                                (host,))

    def reset_statistics(self) -> None:
        """Forget the setup's statement digests, table I/O and status counters."""
        with self._root() as root, root.cursor() as cur:
            for table in ("events_statements_summary_by_digest",
                          "table_io_waits_summary_by_table",
                          "table_io_waits_summary_by_index_usage"):
                cur.execute(f"TRUNCATE TABLE performance_schema.{table}")
            cur.execute("FLUSH STATUS")

    def stop(self) -> None:
        stop_process(self._process, signal.SIGTERM, grace=30)
        self._process = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> MariaDBServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
