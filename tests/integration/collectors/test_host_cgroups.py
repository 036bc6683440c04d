"""The host collector reads a real CPU quota: a busy process of the stack held to 0.2
cores by a cgroup of its own, locally and over SSH, and a quota set while it runs; and a
real disk I/O limit: a writer of the stack held to 8 writes per second."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.cgroups import LEARN_S
from collectors.host import HostCollector
from collectors.shell import LocalShell, Shell, SSHShell, SSHTarget
from harness.cgroup_limits import Cgroup, Quota, block_device, cpu_quota, io_limit
from supervision import ServiceError
from supervision.servers import SSHServer

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="a cgroup quota needs root")


@pytest.fixture
def app_process() -> Iterator[subprocess.Popen[bytes]]:
    """A busy loop the collector counts as the app server (by its command line)."""
    process = subprocess.Popen([sys.executable, "-c", "while True: pass",
                                "reference_app.server"])
    yield process
    process.kill()
    process.wait()


@contextlib.contextmanager
def limited(pid: int, cores: float) -> Iterator[Quota]:
    try:
        with cpu_quota([pid], cores, f"esppd-test-{uuid.uuid4().hex[:8]}") as quota:
            yield quota
    except ServiceError as error:
        pytest.skip(f"no CPU quota here: {error}")


def samples(collector: HostCollector, count: int) -> list[dict[str, float]]:
    found = []
    for _ in range(count):
        found.append(dict(collector.sample(time.time()).metrics))
        time.sleep(0.5)
    return found


@pytest.mark.parametrize("remote", [False, True], ids=["local", "ssh"])
def test_a_throttled_group_reports_its_quota_and_throttling(
        app_process: subprocess.Popen[bytes], remote: bool,
        request: pytest.FixtureRequest) -> None:
    shell: Shell = LocalShell()
    if remote:
        sshd: SSHServer = request.getfixturevalue("sshd")
        shell = SSHShell(SSHTarget.parse(sshd.target), sshd.key, sshd.known_hosts, timeout_s=5)
    with limited(app_process.pid, 0.2) as quota:
        path = quota.path
        collector = HostCollector(shell)
        last = samples(collector, 4)[-1]
        assert last[f"cgroup.quota_cores{{app:{path}}}"] == pytest.approx(0.2)
        # A busy loop under 0.2 cores waits in every period it runs in.
        assert last[f"cgroup.throttled{{app:{path}}}"] >= 0.8
        assert last["proc.cpu{app}"] == pytest.approx(0.2, abs=0.08)
        collector.close()


def test_a_quota_set_while_sampling_counts_from_the_next_sample(
        app_process: subprocess.Popen[bytes]) -> None:
    with limited(app_process.pid, 2.0) as quota:
        path = quota.path
        collector = HostCollector(LocalShell())
        before = samples(collector, 3)[-1]
        # 2 cores for one busy loop: a quota, never reached.
        assert before[f"cgroup.throttled{{app:{path}}}"] == 0.0
        quota.set(0.1)
        after = samples(collector, 2)
        assert all(sample[f"cgroup.quota_cores{{app:{path}}}"] == pytest.approx(0.1)
                   for sample in after)
        assert after[-1][f"cgroup.throttled{{app:{path}}}"] >= 0.8


def test_a_process_moved_into_a_quota_is_found_within_the_relearn_interval(
        app_process: subprocess.Popen[bytes]) -> None:
    """Its cgroup is read again every LEARN_S, not only at the full scans a minute apart
    (the sample times are given: the collector takes them as the clock)."""
    collector = HostCollector(LocalShell())
    start = time.time()
    for second in range(3):
        collector.sample(start + second)
    with limited(app_process.pid, 0.2) as quota:
        metric = f"cgroup.throttled{{app:{quota.path}}}"
        seen = {}
        for second in range(3, 6 + int(LEARN_S)):
            time.sleep(0.2)
            seen[second] = metric in dict(collector.sample(start + second).metrics)
        assert not seen[3]
        assert seen[5 + int(LEARN_S)]


# Writes one 4 KiB block with O_DIRECT and fsyncs it, again and again (a database's log
# flushes at every commit): each write is an operation the device sees.
DIRECT_WRITER = """
import mmap, os, sys
block = mmap.mmap(-1, 4096)
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o600)
while True:
    os.pwrite(fd, block, 0)
    os.fsync(fd)
"""


@pytest.fixture
def writer_process(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A writer the collector counts as the app server (by its command line)."""
    process = subprocess.Popen([sys.executable, "-c", DIRECT_WRITER, str(tmp_path / "log"),
                                "reference_app.server"])
    yield process
    process.kill()
    process.wait()


@contextlib.contextmanager
def io_limited(pid: int, path: Path, iops: int) -> Iterator[tuple[Cgroup, str]]:
    """The process held to `iops` reads and writes per second on the disk of `path`."""
    try:
        device = block_device(str(path))
        with io_limit([pid], device, iops, f"esppd-test-{uuid.uuid4().hex[:8]}") as limit:
            yield limit, device
    except ServiceError as error:
        pytest.skip(f"no disk I/O limit here: {error}")


def test_a_group_at_its_disk_io_limit_reports_the_limit_and_its_use(
        writer_process: subprocess.Popen[bytes], tmp_path: Path) -> None:
    """A writer of the stack held to 8 writes per second on the disk of its file: the
    collector reads the limit and the share of it used."""
    with io_limited(writer_process.pid, tmp_path, 8) as (limit, device):
        collector = HostCollector(LocalShell())
        found = samples(collector, 6)
        label = f"app:{limit.path}:{device}:write_iops"
        assert found[-1][f"cgroup.io_limit{{{label}}}"] == 8.0
        # The writer wants thousands a second; the kernel lets 8 through.
        used = [sample[f"cgroup.io_limit_used{{{label}}}"] for sample in found[-3:]]
        assert 0.7 <= sum(used) / len(used) <= 1.3, used
        collector.close()
