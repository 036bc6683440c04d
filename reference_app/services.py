"""Throwaway PostgreSQL, Redis and SSH servers on free loopback ports.

Why: tests, the reference stack and the collectors' integration tests all need
real servers that start in seconds, never touch the machine's own clusters,
and always clean up. PostgreSQL refuses to run as root, so when we are root
the cluster runs as an unprivileged user.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psutil
import psycopg


class ServiceError(RuntimeError):
    """A server that could not be started; the message says what to fix."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes] | None = None,
                  what: str = "server", log: Path | None = None) -> None:
    """Block until something accepts on 127.0.0.1:port, or fail naming the log to read."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServiceError(f"{what} exited with code {process.returncode} while starting"
                               + (f"; see {log}" if log else ""))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise ServiceError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s"
                       + (f"; see {log}" if log else ""))


def find_binary(name: str) -> str:
    """Locate a server binary on PATH or in Debian's versioned PostgreSQL directories."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit()
                        else 0)
    if candidates:
        return candidates[-1]
    raise ServiceError(f"{name} not found: install it (make bootstrap does, as root)")


def unprivileged_user() -> pwd.struct_passwd | None:
    """The account to run PostgreSQL as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ServiceError("running as root and neither a 'postgres' nor a 'nobody' user exists")


def chown_tree(path: Path, account: pwd.struct_passwd | None) -> None:
    if account is None:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, account.pw_uid, account.pw_gid)
        for entry in dirs + files:
            os.chown(os.path.join(root, entry), account.pw_uid, account.pw_gid)


def stop_process(process: subprocess.Popen[bytes] | None, first_signal: int = signal.SIGTERM,
                 grace: float = 10.0) -> None:
    """Stop a process started with start_new_session=True, and its whole process group."""
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, first_signal)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


PR_SET_PDEATHSIG = 1


def _die_with_parent(signum: int) -> Callable[[], None]:
    """preexec_fn: the kernel sends `signum` to the child when its parent dies.

    Why: a harness killed with SIGKILL cannot run its cleanup; without this its
    servers would live on as orphans. Caveat: "parent" is the forking thread,
    so start stacks from a long-lived thread (the main one).
    """
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork

    def set_parent_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, signum)

    return set_parent_death_signal


def spawn(argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None,
          account: pwd.struct_passwd | None = None, cwd: Path | None = None,
          death_signal: int = signal.SIGTERM) -> subprocess.Popen[bytes]:
    """Start a long-running child in its own session (so stop_process can kill its group)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(
            list(argv), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True,
            user=account.pw_uid if account else None, group=account.pw_gid if account else None,
            extra_groups=[] if account else None, preexec_fn=_die_with_parent(death_signal),
        )


@dataclass(frozen=True)
class PostgresSettings:
    max_connections: int = 100
    shared_buffers: str = "128MB"
    extra: tuple[tuple[str, str], ...] = ()


class PostgresServer:
    """A throwaway PostgreSQL cluster with pg_stat_statements and track_io_timing on.

    Two roles: the owner (`dsn`, a superuser for schema and seed) and a
    `monitor` role holding only pg_monitor (`monitor_dsn`), which is what the
    collectors should be able to live with on a real server.
    """

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
        account = unprivileged_user()
        self._tmp = Path(tempfile.mkdtemp(prefix="esppd-pg-"))
        data = self._tmp / "data"
        pwfile = self._tmp / "pwfile"
        pwfile.write_text(self.password + "\n")
        chown_tree(self._tmp, account)
        initdb = subprocess.run(
            [find_binary("initdb"), "-D", str(data), "-U", "esppd", "-E", "UTF8",
             "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
             f"--pwfile={pwfile}", "--no-sync", "--no-instructions"],
            capture_output=True, text=True, user=account.pw_uid if account else None,
            group=account.pw_gid if account else None, extra_groups=[] if account else None,
            check=False,
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
            "log_min_duration_statement": "-1",
            **dict(self.settings.extra),
        }
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


class RedisServer:
    """A throwaway Redis with a password, no persistence, on a free loopback port."""

    def __init__(self, log_dir: Path, name: str = "redis") -> None:
        self.log_dir = log_dir
        self.name = name
        self.port = 0
        self.password = secrets.token_urlsafe(16)
        self._tmp: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://:{quote(self.password)}@127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 20.0) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="esppd-redis-"))
        self.port = free_port()
        config = self._tmp / "redis.conf"
        # The password goes into a config file, not argv, so `ps` never shows it.
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\nprotected-mode yes\nsave \"\"\n"
            f"appendonly no\ndir {self._tmp}\nrequirepass {self.password}\n"
            "maxclients 10000\n"
        )
        config.chmod(0o600)
        log = self.log_dir / f"{self.name}.log"
        self._process = spawn([find_binary("redis-server"), str(config)], log)
        wait_for_port(self.port, timeout, self._process, "Redis", log)

    def stop(self) -> None:
        stop_process(self._process, signal.SIGTERM, grace=10)
        self._process = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> RedisServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SSHServer:
    """A throwaway OpenSSH server on loopback: its own host key, one client key, known_hosts.

    Why: the SSH collectors and remote Locust workers are tested against a real sshd,
    with host-key verification on, never against the machine's own server. It logs in
    as the current user (as root, sshd needs its privilege separation directory).
    """

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.port = 0
        self.user = pwd.getpwuid(os.geteuid()).pw_name
        self._binary = ""
        self._tmp: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def directory(self) -> Path:
        if self._tmp is None:
            raise ServiceError("the SSH server is not started")
        return self._tmp

    @property
    def key(self) -> Path:
        """The client's private key (no passphrase)."""
        return self.directory / "client_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.directory / "known_hosts"

    @property
    def target(self) -> str:
        return f"{self.user}@127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 20.0) -> None:
        self._binary = shutil.which("sshd") or "/usr/sbin/sshd"
        if not Path(self._binary).exists():
            raise ServiceError("sshd is not installed (Debian: apt-get install openssh-server)")
        self._tmp = Path(tempfile.mkdtemp(prefix="esppd-sshd-"))
        for name in ("host_ed25519", "client_ed25519"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name,
                            "-f", str(self._tmp / name)], check=True, capture_output=True)
        (self._tmp / "authorized_keys").write_text((self._tmp / "client_ed25519.pub").read_text())
        self.port = free_port()
        host_key = (self._tmp / "host_ed25519.pub").read_text().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {host_key[0]} {host_key[1]}\n")
        (self._tmp / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self._tmp}/host_ed25519\n"
            f"PidFile {self._tmp}/sshd.pid\nAuthorizedKeysFile {self._tmp}/authorized_keys\n"
            "PubkeyAuthentication yes\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUsePAM no\n"
            "StrictModes no\nSubsystem sftp internal-sftp\nLogLevel ERROR\n")
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        self._launch(timeout)

    def _launch(self, timeout: float) -> None:
        log = self.log_dir / "sshd.log"
        self._process = spawn([self._binary, "-D", "-e",
                               "-f", str(self.directory / "sshd_config")], log)
        wait_for_port(self.port, timeout, self._process, "sshd", log)

    def restart(self, down_s: float = 0.0, timeout: float = 20.0) -> None:
        """Kill the server and its sessions, stay down `down_s`, start it on the same port."""
        self._kill()
        time.sleep(down_s)
        self._launch(timeout)

    def _kill(self) -> None:
        """The listener and its sessions (which sshd moves into sessions of their own)."""
        if self._process is None:
            return
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(self._process.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    child.kill()
        stop_process(self._process, signal.SIGTERM, grace=5)
        self._process = None

    def stop(self) -> None:
        self._kill()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> SSHServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
