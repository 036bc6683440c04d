"""The local host collector reads a real filesystem's state: a tmpfs mounted writable,
then remounted read-only as the kernel does after I/O errors."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from collectors.host import SPACE_EVERY, HostCollector
from collectors.shell import LocalShell

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


def test_a_filesystem_remounted_read_only_is_flagged_at_its_next_reading(
        tmp_path: Path) -> None:
    mount = tmp_path / "storage"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "esppd-test", str(mount)],
                   check=True)
    try:
        collector = HostCollector(LocalShell())
        first = dict(collector.sample(time.time()).metrics)
        assert first[f"fs.read_only{{{mount}}}"] == 0.0
        assert first["fs.read_only{/}"] == 0.0
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        between = [dict(collector.sample(time.time()).metrics) for _ in range(SPACE_EVERY)]
        assert all(f"fs.read_only{{{mount}}}" not in m for m in between[:-1])
        assert between[-1][f"fs.read_only{{{mount}}}"] == 1.0
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
