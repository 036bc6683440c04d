"""A throwaway Redis with a password, no persistence, on a free loopback port."""

from __future__ import annotations

import secrets
import shutil
import signal
import subprocess
from pathlib import Path
from urllib.parse import quote

from supervision.binaries import find_binary
from supervision.network import free_port, wait_for_port
from supervision.processes import spawn, stop_process
from supervision.scratch import scratch_dir


class RedisServer:
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
        self._tmp = scratch_dir("redis")
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
