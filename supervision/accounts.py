"""Which account a server runs as when the harness is root.

Why: PostgreSQL refuses to run as root, MariaDB wants its own user, and
PHP-FPM's pool and nginx's workers should not run as root either. Debian's
packages create `postgres`, `mysql` and `www-data`; `nobody` is the fallback.
"""

from __future__ import annotations

import contextlib
import os
import pwd
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RunAs:
    """An unprivileged account to start a child as."""

    name: str
    uid: int
    gid: int

    def popen_kwargs(self) -> dict[str, Any]:
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def run_as_unprivileged(*preferred: str) -> RunAs | None:
    """The first existing account of `preferred` (then `nobody`) when root; None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in (*preferred, "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return RunAs(entry.pw_name, entry.pw_uid, entry.pw_gid)
    raise RuntimeError(f"running as root and none of {', '.join(preferred)}, nobody exists")


def chown_tree(path: Path, account: RunAs | None) -> None:
    """Give `path` and everything under it to `account` (nothing to do when not root)."""
    if account is None:
        return
    os.chown(path, account.uid, account.gid)
    for root, dirs, files in os.walk(path):
        for entry in dirs + files:
            os.chown(os.path.join(root, entry), account.uid, account.gid, follow_symlinks=False)
