"""A throwaway OpenSSH server on loopback: its own host key, one client key, known_hosts.

Why: the SSH collectors and remote Locust workers are tested (and benchmarked)
against a real sshd with host-key verification on, never against the
machine's own server. It logs in as the current user (as root, sshd needs its
privilege separation directory).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil

from supervision.network import free_port, wait_for_port
from supervision.processes import ServiceError, spawn, stop_process
from supervision.scratch import scratch_dir


class SSHServer:
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
        self._tmp = scratch_dir("sshd")
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
