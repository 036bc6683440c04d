"""An nginx of our own serving one site file on a loopback port.

Runs with its own prefix (pid, temp paths, logs) so the machine's nginx, if
any, is untouched; Debian's `fastcgi_params` and `mime.types` are copied next
to the config so the site's relative includes resolve as they do in /etc/nginx.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from supervision.accounts import RunAs
from supervision.binaries import find_binary
from supervision.network import wait_for_port
from supervision.processes import spawn, stop_process
from supervision.scratch import scratch_dir

SYSTEM_CONF = Path("/etc/nginx")


class NginxServer:
    def __init__(self, log_dir: Path, site: str, port: int, workers: int = 2,
                 account: RunAs | None = None) -> None:
        self.log_dir = log_dir
        self.site = site
        self.port = port
        self.workers = workers
        self.account = account
        self._tmp: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 20.0) -> None:
        self._tmp = scratch_dir("nginx")
        for name in ("fastcgi_params", "mime.types"):
            shutil.copy(SYSTEM_CONF / name, self._tmp / name)
        (self._tmp / "site.conf").write_text(self.site)
        temp = {name: self._tmp / name for name in ("client_body", "fastcgi", "proxy",
                                                    "uwsgi", "scgi")}
        for path in temp.values():
            path.mkdir()
            if self.account is not None:
                os.chown(path, self.account.uid, self.account.gid)
        user = f"user {self.account.name};\n" if self.account else ""
        error_log = self.log_dir / "nginx-error.log"
        (self._tmp / "nginx.conf").write_text(
            f"{user}worker_processes {self.workers};\npid {self._tmp}/nginx.pid;\n"
            f"error_log {error_log} warn;\n"
            "events { worker_connections 4096; }\n"
            "http {\n"
            "    include mime.types;\n    default_type application/octet-stream;\n"
            "    sendfile on;\n    keepalive_timeout 65;\n    server_tokens off;\n"
            f"    client_body_temp_path {temp['client_body']};\n"
            f"    fastcgi_temp_path {temp['fastcgi']};\n"
            f"    proxy_temp_path {temp['proxy']};\n"
            f"    uwsgi_temp_path {temp['uwsgi']};\n"
            f"    scgi_temp_path {temp['scgi']};\n"
            "    include site.conf;\n"
            "}\n")
        log = self.log_dir / "nginx.log"
        self._process = spawn([find_binary("nginx"), "-p", str(self._tmp), "-c",
                               str(self._tmp / "nginx.conf"), "-e", str(error_log),
                               "-g", "daemon off;"], log, death_signal=signal.SIGQUIT)
        wait_for_port(self.port, timeout, self._process, "nginx", error_log)

    def stop(self) -> None:
        # SIGQUIT is nginx's graceful shutdown; SIGKILL follows after the grace period.
        stop_process(self._process, signal.SIGQUIT, grace=10)
        self._process = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
