"""A PHP-FPM master of our own, running one pool file on a loopback TCP port.

Why our own master: the machine's php-fpm service (if any) is never touched,
and the pool under test is exactly the text the caller hands over (the shipped
production pool with its listen address and paths changed). Extra ini files
(OPcache settings) are added to PHP's own scan directory through
PHP_INI_SCAN_DIR, so Debian's php.ini and conf.d still apply.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path

from supervision.binaries import find_binary
from supervision.network import wait_for_port
from supervision.processes import spawn, stop_process
from supervision.scratch import scratch_dir


class PhpFpmServer:
    def __init__(self, log_dir: Path, pool: str, port: int,
                 ini_files: Mapping[str, str] | None = None) -> None:
        self.log_dir = log_dir
        self.pool = pool
        self.port = port
        self.ini_files = dict(ini_files or {})
        self._tmp: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 30.0) -> None:
        self._tmp = scratch_dir("fpm")
        (self._tmp / "pool.d").mkdir()
        (self._tmp / "pool.d" / "pool.conf").write_text(self.pool)
        (self._tmp / "conf.d").mkdir()
        for name, text in self.ini_files.items():
            (self._tmp / "conf.d" / name).write_text(text)
        config = self._tmp / "php-fpm.conf"
        config.write_text(
            "[global]\n"
            f"pid = {self._tmp}/php-fpm.pid\n"
            f"error_log = {self.log_dir}/php-fpm.log\n"
            "log_level = notice\n"
            "daemonize = no\n"
            f"include = {self._tmp}/pool.d/*.conf\n")
        env = {**os.environ, "PHP_INI_SCAN_DIR": f":{self._tmp}/conf.d"}
        log = self.log_dir / "php-fpm.log"
        self._process = spawn([find_binary("php-fpm"), "--nodaemonize", "--fpm-config",
                               str(config)], log, env=env, death_signal=signal.SIGQUIT)
        wait_for_port(self.port, timeout, self._process, "PHP-FPM", log)

    def stop(self) -> None:
        # SIGQUIT is PHP-FPM's graceful stop: children finish their request first.
        stop_process(self._process, signal.SIGQUIT, grace=10)
        self._process = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
