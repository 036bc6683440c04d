"""Scratch directories of a killed process are swept; a live process keeps its own."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from supervision.scratch import scratch_dir, sweep_orphans


def test_only_the_directories_of_dead_makers_are_removed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    mine = scratch_dir("pg")
    assert mine.parent == tmp_path and f"-{os.getpid()}-" in mine.name
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    orphan = tmp_path / f"esppd-mariadb-{dead}-k3x_9q"
    (orphan / "data").mkdir(parents=True)
    remote = tmp_path / "esppd-worker-0a1b2c3d4e5f"  # not ours to judge: no pid in it
    remote.mkdir()
    assert sweep_orphans(tmp_path) == [orphan]
    assert mine.is_dir() and remote.is_dir() and not orphan.exists()
