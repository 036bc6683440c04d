"""The line every benchmark prints first: the host it ran on.

Why: on a noisy 2-core machine a figure means something only next to the host's
process count and load at the time it was measured.
"""

from __future__ import annotations

import os

from collectors.shell import LocalShell


def host_processes() -> int:
    return len(LocalShell().pids())


def host_line() -> str:
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return (f"host: {os.cpu_count()} CPUs, {host_processes()} processes, "
            f"load average {load} (1, 5, 15 min)")
