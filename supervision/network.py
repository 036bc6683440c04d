"""Free loopback ports, and waiting until a server listens on one."""

from __future__ import annotations

import random
import socket
import subprocess
import time
from pathlib import Path

from supervision.processes import ServiceError

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_PORT = 10_000


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now, below the kernel's
    ephemeral range when there is room: a port from that range (what binding port 0
    gives) can be taken by any outgoing connection before the server binds it, which
    a busy host does (seen: nginx failing to bind, the Laravel stack's deploy having
    held its port for seconds while a load test ran beside it)."""
    below = range(LOWEST_PORT, _ephemeral_low())
    for port in [*random.sample(below, k=min(50, len(below))), 0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise ServiceError("no free TCP port on 127.0.0.1")


def _ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (Linux default 32768)."""
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes] | None = None,
                  what: str = "server", log: Path | None = None) -> None:
    """Block until something accepts on 127.0.0.1:port, or fail naming the log to read."""
    deadline = time.monotonic() + timeout
    see = f"; see {log}" if log else ""
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServiceError(f"{what} exited with code {process.returncode} while "
                               f"starting{see}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise ServiceError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s{see}")
