"""Where a host is read from (/proc, its filesystems' space, the tails of its logs): this
machine, or another one over one persistent SSH connection.

SSH host keys are verified against known_hosts (the user's, or a given file) and an
unknown or changed key is refused with a clear message; trusting a new key on first
use happens only when asked for. All files of one sample come back in one round trip.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

import paramiko

from collectors.procfs import CGROUP_FILE, parse_head

# All files of a sample are read by one `head` (one round trip, one process on the
# target); paths are ours, and globs (/proc/[0-9]*/stat) are expanded by the remote shell.
# What a sample may read: /proc, and the cgroup files of the stack (collectors/cgroups.py);
# nothing the remote shell would expand beyond /proc's globs, quote or split.
SAFE_PATH = re.compile(rf"^(/proc/[\w\[\]*/-]+|{CGROUP_FILE})$")
HEAD_BYTES = 4 << 20
# A log path or pattern the remote shell may expand: absolute, no spaces, quotes or $.
SAFE_LOG_PATH = re.compile(r"^/[\w.,+@%=:/*?\[\]-]+$")


@dataclass(frozen=True)
class Appended:
    """What a file gained since a position: `text` from byte `start` on, `length` bytes
    of it (the next position is start + length); start is 0 when the file was replaced
    (a rotation: another inode) or truncated."""

    path: str
    inode: int
    start: int
    length: int
    text: str


class Space(NamedTuple):
    """A filesystem's bytes: its size, free, and available to unprivileged users."""

    size: float
    free: float
    available: float

    @property
    def used_ratio(self) -> float:
        """As `df` computes Use%: used / (used + available), the root reserve left out."""
        used = self.size - self.free
        return used / (used + self.available) if used + self.available > 0 else 0.0


def check_log_path(path: str) -> str:
    if not SAFE_LOG_PATH.match(path):
        raise ValueError(f"log path {path!r}: an absolute path without spaces, quotes or $")
    return path


def _descriptors(pid: int) -> set[str]:
    """What the open file descriptors of a process point to (empty if it is gone)."""
    targets = set()
    try:
        with os.scandir(f"/proc/{pid}/fd") as entries:
            for entry in entries:
                try:
                    targets.add(os.readlink(entry.path))
                except OSError:
                    continue  # closed meanwhile
    except OSError:
        pass  # gone, or not ours to read
    return targets


class ShellError(RuntimeError):
    """The host cannot be read; the message says why and what to do."""


class Shell(Protocol):
    name: str
    local: bool

    def read_files(self, paths: tuple[str, ...]) -> dict[str, str]:
        """Texts by path (a glob path: every match); files that cannot be read are left out."""
        ...

    def sysconf(self) -> tuple[int, int]:
        """Clock ticks per second and page size, to turn /proc/<pid>/stat into units."""
        ...

    def pids(self) -> set[int]:
        """The pids of every process (a directory listing: no file of theirs is read)."""
        ...

    def socket_owners(self, inodes: set[int], pids: Iterable[int]) -> set[int]:
        """Which of `pids` hold one of the sockets `inodes` (an open file descriptor)."""
        ...

    def files(self, patterns: tuple[str, ...]) -> list[str]:
        """The regular files that the glob `patterns` match."""
        ...

    def statfs(self, mounts: list[str]) -> dict[str, Space]:
        """Size, free and available bytes of the filesystems mounted at `mounts`."""
        ...

    def appended(self, positions: dict[str, tuple[int, int]], limit: int) -> list[Appended]:
        """What each file gained since its (inode, offset), at most `limit` bytes; offset
        -1 starts at the end (nothing yet). Files that cannot be read are left out."""
        ...

    def close(self) -> None: ...


class LocalShell:
    name = "local"
    local = True

    def read_files(self, paths: tuple[str, ...]) -> dict[str, str]:
        texts = {}
        for pattern in paths:
            for path in glob.glob(pattern) if "*" in pattern else [pattern]:
                try:
                    with open(path, "rb") as file:  # not pathlib: a sample opens dozens
                        texts[path] = file.read(HEAD_BYTES).decode(errors="replace")
                except OSError:
                    continue  # e.g. /proc/pressure/* on old kernels, or a process gone
        return texts

    def sysconf(self) -> tuple[int, int]:
        return os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")

    def pids(self) -> set[int]:
        return {int(name) for name in os.listdir("/proc") if name.isdigit()}

    def socket_owners(self, inodes: set[int], pids: Iterable[int]) -> set[int]:
        wanted = {f"socket:[{inode}]" for inode in inodes}
        return {pid for pid in pids if wanted & _descriptors(pid)}

    def files(self, patterns: tuple[str, ...]) -> list[str]:
        return sorted({path for pattern in patterns for path in glob.glob(pattern)
                       if os.path.isfile(path)})

    def statfs(self, mounts: list[str]) -> dict[str, Space]:
        found = {}
        for mount in mounts:
            try:
                fs = os.statvfs(mount)
            except OSError:
                continue  # unmounted meanwhile, or not ours to read
            found[mount] = Space(fs.f_blocks * fs.f_frsize, fs.f_bfree * fs.f_frsize,
                                 fs.f_bavail * fs.f_frsize)
        return found

    def appended(self, positions: dict[str, tuple[int, int]], limit: int) -> list[Appended]:
        found = []
        for path, (inode, offset) in positions.items():
            try:
                with open(path, "rb") as file:
                    status = os.fstat(file.fileno())
                    start = _start(inode, offset, status.st_ino, status.st_size)
                    file.seek(start)
                    data = file.read(min(limit, max(status.st_size - start, 0)))
            except OSError:
                continue  # gone or not readable now; the next sample tries again
            found.append(Appended(path, status.st_ino, start, len(data),
                                  data.decode(errors="replace")))
        return found

    def close(self) -> None:
        pass


def _start(inode: int, offset: int, now_inode: int, size: int) -> int:
    """Where to read from: the end at first, the top of a replaced or truncated file."""
    if offset < 0:
        return size
    return offset if now_inode == inode and size >= offset else 0


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
        self._channel: paramiko.Channel | None = None
        self._sysconf: tuple[int, int] | None = None

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

    def client(self) -> paramiko.SSHClient:
        """The verified connection (opened on first use), for SFTP and long-running commands."""
        if self._client is None:
            self._client = self.connect()
        return self._client

    def run(self, command: str) -> str:
        """Run one command (a channel of its own; the user's login shell starts each time)."""
        client = self.client()
        try:
            _stdin, stdout, _stderr = client.exec_command(command, timeout=self.timeout_s)
            return stdout.read().decode(errors="replace")
        except (paramiko.SSHException, OSError, EOFError) as error:
            self.close()
            raise ShellError(f"{self.name}: connection lost: {error}") from None

    def ask(self, command: str) -> str:
        """Run a command in the one long-lived remote `sh` of this connection.

        Why: a channel per sample makes sshd fork a session and the login shell read
        its rc files every second (measured: ~14% of a core on the target); the
        long-lived shell costs one `head` per sample.
        """
        marker = f"__esppd_done_{uuid.uuid4().hex}__"
        try:
            channel = self._session()
            channel.sendall(f"{command}\necho; echo {marker}\n".encode())
            received = bytearray()
            end = f"\n{marker}\n".encode()
            while not received.endswith(end):
                chunk = channel.recv(1 << 20)
                if not chunk:
                    raise EOFError("the remote shell exited")
                received += chunk
        except (paramiko.SSHException, OSError, EOFError) as error:
            self.close()
            raise ShellError(f"{self.name}: connection lost: {error or 'timed out'}") from None
        return received[:-len(end) - 1].decode(errors="replace")  # minus the added newline

    def _session(self) -> paramiko.Channel:
        if self._channel is None or self._channel.closed:
            transport = self.client().get_transport()
            if transport is None or not transport.is_active():
                raise EOFError("the SSH transport is closed")
            channel = transport.open_session(timeout=self.timeout_s)
            channel.settimeout(self.timeout_s)
            channel.exec_command("exec /bin/sh 2>/dev/null")
            self._channel = channel
        return self._channel

    def sysconf(self) -> tuple[int, int]:
        if self._sysconf is None:
            ticks, page = self.ask("getconf CLK_TCK; getconf PAGESIZE").split()
            self._sysconf = int(ticks), int(page)
        return self._sysconf

    def read_files(self, paths: tuple[str, ...]) -> dict[str, str]:
        unsafe = [path for path in paths if not SAFE_PATH.match(path)]
        if unsafe:
            raise ValueError(f"not a /proc or cgroup path: {unsafe[0]!r}")
        # A process that exited since its pid was listed is left out (its error dropped).
        return parse_head(self.ask(
            f"head -v -c {HEAD_BYTES} -- {' '.join(paths)} 2>/dev/null"))

    def pids(self) -> set[int]:
        # `echo` with a glob is a builtin of the remote shell: no process is started.
        return {int(path[6:]) for path in self.ask("echo /proc/[0-9]*").split()
                if path[6:].isdigit()}

    def socket_owners(self, inodes: set[int], pids: Iterable[int]) -> set[int]:
        # One `find` over the descriptors of the candidates; the patterns are ours (ints).
        tests = " -o ".join(f"-lname 'socket:\\[{int(inode)}\\]'" for inode in inodes)
        folders = " ".join(f"/proc/{int(pid)}/fd" for pid in pids)
        if not tests or not folders:
            return set()
        found = self.ask(f"find {folders} \\( {tests} \\) 2>/dev/null")
        return {int(parts[2]) for line in found.splitlines()
                if len(parts := line.split("/")) > 3 and parts[2].isdigit()}

    def statfs(self, mounts: list[str]) -> dict[str, Space]:
        if not mounts:
            return {}
        # One `stat -f` for all: blocks, free, available, block size, then the name.
        found = {}
        listed = self.ask("stat -f -c '%b %f %a %S %n' -- "
                          f"{' '.join(shlex.quote(mount) for mount in mounts)} 2>/dev/null")
        for line in listed.splitlines():
            parts = line.split(" ", 4)
            if len(parts) == 5 and all(part.isdigit() for part in parts[:4]):
                blocks, free, available, size = (float(part) for part in parts[:4])
                found[parts[4]] = Space(blocks * size, free * size, available * size)
        return found

    def files(self, patterns: tuple[str, ...]) -> list[str]:
        # The remote shell expands the (checked) patterns; `-f` keeps regular files.
        listed = self.ask(" ".join(f'for f in {check_log_path(pattern)}; do [ -f "$f" ] && '
                                   'echo "$f"; done;' for pattern in patterns))
        return sorted(set(listed.split()))

    def appended(self, positions: dict[str, tuple[int, int]], limit: int) -> list[Appended]:
        """One round trip for every file: per file a header line (marker, inode, start,
        length, its index), then its bytes and a newline; a marker line ends the last."""
        marker = f"__esppd_file_{uuid.uuid4().hex}__"
        script = []
        paths = list(positions)
        for index, path in enumerate(paths):
            inode, offset = positions[path]
            quoted = shlex.quote(check_log_path(path))
            script.append(
                f"set -- $(stat -L -c '%i %s' -- {quoted} 2>/dev/null); "
                f'if [ -n "$1" ]; then o={int(offset)}; '
                f'if [ $o -lt 0 ]; then o=$2; elif [ "$1" != {int(inode)} ] || '
                f'[ $2 -lt $o ]; then o=0; fi; n=$(($2 - o)); [ $n -gt {int(limit)} ] && '
                f'n={int(limit)}; echo "{marker} $1 $o $n {index}"; '
                f'tail -c +$((o + 1)) -- {quoted} | head -c $n; echo; fi')
        if not script:
            return []
        # A last marker line ends the last file's bytes as the next header ends the others'.
        script.append(f'echo "{marker} end"')
        found = []
        for section in self.ask("\n".join(script)).split(marker + " ")[1:-1]:
            header, _, body = section.partition("\n")
            node, start, length, number = header.split()
            found.append(Appended(paths[int(number)], int(node), int(start), int(length),
                                  body[:-1]))  # minus the newline echoed after the bytes
        return found

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._client is not None:
            self._client.close()
            self._client = None
