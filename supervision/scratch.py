"""Private scratch directories that a killed harness does not leave behind for good.

Why: a harness killed with SIGKILL runs no cleanup. Its servers die with it (the
parent-death signal), but their directories stay in /tmp: a MariaDB datadir alone is
130-400 MB. Each directory is named after the process that made it
(`esppd-<kind>-<pid>-<random>`), and the next stack to start removes those whose
maker is gone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import psutil

PREFIX = "esppd-"
NAME = re.compile(rf"{PREFIX}[a-z]+-(\d+)-[a-z0-9_]+")  # mkdtemp's random part


def scratch_dir(kind: str) -> Path:
    """A new private directory under the system temp dir, tagged with this process."""
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-{os.getpid()}-"))


def sweep_orphans(root: Path | None = None) -> list[Path]:
    """Remove the scratch directories whose maker is no longer running; returns them."""
    root = Path(tempfile.gettempdir()) if root is None else root
    removed = []
    for path in root.glob(f"{PREFIX}*"):
        match = NAME.fullmatch(path.name)
        if match is None or not path.is_dir() or psutil.pid_exists(int(match.group(1))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
