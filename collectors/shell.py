"""Where /proc is read from: this machine, or another one over one persistent SSH connection.

SSH host keys are verified against known_hosts (the user's, or a given file) and an
unknown or changed key is refused with a clear message; trusting a new key on first
use happens only when asked for. All files of one sample come back in one round trip.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import paramiko

MARKER = "==> esppd-file "


class ShellError(RuntimeError):
    """The host cannot be read; the message says why and what to do."""


class Shell(Protocol):
    name: str
    local: bool

    def read_files(self, paths: tuple[str, ...]) -> dict[str, str]: ...

    def close(self) -> None: ...


class LocalShell:
    name = "local"
    local = True

    def read_files(self, paths: tuple[str, ...]) -> dict[str, str]:
        texts = {}
        for path in paths:
            try:
                texts[path] = Path(path).read_text()
            except OSError:
                continue  # e.g. /proc/pressure/* on old kernels
        return texts

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class SSHTarget:
    user: str
    host: str
    port: int = 22

    @classmethod
    def parse(cls, text: str) -> SSHTarget:
        """user@host[:port]"""
        user, at, rest = text.partition("@")
        if not at or not user or not rest:
            raise ValueError(f"--ssh {text!r}: expected user@host[:port]")
        host, _, port = rest.partition(":")
        return cls(user, host, int(port) if port else 22)

    def __str__(self) -> str:
        return f"{self.user}@{self.host}" + (f":{self.port}" if self.port != 22 else "")


class SSHShell:
    local = False

    def __init__(self, target: SSHTarget, key: Path | None = None,
                 known_hosts: Path | None = None, trust_new_host_key: bool = False,
                 timeout_s: float = 10.0) -> None:
        self.target = target
        self.name = str(target)
        self.key = key
        self.known_hosts = known_hosts
        self.trust_new_host_key = trust_new_host_key
        self.timeout_s = timeout_s
        self._client: paramiko.SSHClient | None = None

    def connect(self) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        if self.known_hosts is not None:
            if self.known_hosts.exists():
                client.load_host_keys(str(self.known_hosts))
        else:
            client.load_system_host_keys()
        client.set_missing_host_key_policy(
            paramiko.AutoAddPolicy() if self.trust_new_host_key else paramiko.RejectPolicy())
        try:
            client.connect(self.target.host, port=self.target.port, username=self.target.user,
                           key_filename=str(self.key) if self.key else None,
                           timeout=self.timeout_s, banner_timeout=self.timeout_s,
                           auth_timeout=self.timeout_s, allow_agent=True, look_for_keys=True)
        except paramiko.BadHostKeyException:
            raise ShellError(f"{self.name}: the host key does not match known_hosts; refusing "
                             "to connect (if the server was reinstalled, remove its old key)"
                             ) from None
        except paramiko.SSHException as error:
            if "not found in known_hosts" in str(error):
                raise ShellError(f"{self.name}: unknown host key; add it to known_hosts "
                                 "(ssh-keyscan) or pass --trust-new-host-key") from None
            raise ShellError(f"{self.name}: SSH failed: {error}") from None
        except (TimeoutError, OSError) as error:
            raise ShellError(f"{self.name}: cannot connect: {error}") from None
        if self.trust_new_host_key and self.known_hosts is not None:
            client.save_host_keys(str(self.known_hosts))
        transport = client.get_transport()
        if transport is not None:
            transport.set_keepalive(15)
        return client

    def run(self, command: str) -> str:
        if self._client is None:
            self._client = self.connect()
        try:
            _stdin, stdout, _stderr = self._client.exec_command(command, timeout=self.timeout_s)
            return stdout.read().decode(errors="replace")
        except (paramiko.SSHException, OSError, EOFError) as error:
            self.close()
            raise ShellError(f"{self.name}: connection lost: {error}") from None

    def read_files(self, paths: tuple[str, ...]) -> dict[str, str]:
        script = "; ".join(f"echo '{MARKER}{path}'; cat {shlex.quote(path)} 2>/dev/null"
                           for path in paths)
        texts: dict[str, str] = {}
        current: str | None = None
        lines: list[str] = []
        for line in self.run(script).splitlines():
            if line.startswith(MARKER):
                if current is not None and lines:
                    texts[current] = "\n".join(lines) + "\n"
                current, lines = line[len(MARKER):], []
            else:
                lines.append(line)
        if current is not None and lines:
            texts[current] = "\n".join(lines) + "\n"
        return texts

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
