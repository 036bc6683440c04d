"""Hold running processes under a CPU quota, as systemd's `CPUQuota=`, `docker run --cpus`
or a Kubernetes CPU limit does: a cgroup of their own with the quota, theirs until the
context closes.

Why here: the fault suite limits a server of the running stack from outside, and the
collector's tests need a throttled process to read; both want the same cgroup handling
on cgroup v2 (`cpu.max`) and on v1's cpu controller (`cpu.cfs_quota_us`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from collectors.cgroups import V1, V2, cpu_hierarchies, process_cgroup
from supervision import ServiceError

PERIOD_US = 100_000  # the kernel's default scheduler period


def _hierarchy() -> tuple[int, Path]:
    """The writable hierarchy with the cpu controller (v1's where mounted, else v2's)."""
    hierarchies = cpu_hierarchies(Path("/proc/mounts").read_text())
    if V1 in hierarchies:
        return V1, Path(hierarchies[V1])
    if V2 in hierarchies:
        root = Path(hierarchies[V2])
        with contextlib.suppress(OSError):
            if "cpu" in (root / "cgroup.controllers").read_text().split():
                return V2, root
    raise ServiceError("no cgroup hierarchy with the cpu controller is mounted here")


@dataclass(frozen=True)
class Quota:
    """A cgroup holding processes under a CPU quota."""

    path: str           # as /proc/<pid>/cgroup shows it
    directory: Path
    version: int

    def set(self, cores: float) -> None:
        """Change the quota (the processes stay)."""
        quota = round(cores * PERIOD_US)
        if self.version == V2:
            (self.directory / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        else:
            (self.directory / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.directory / "cpu.cfs_quota_us").write_text(str(quota))


def _move(directory: Path, pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, FileNotFoundError):
        (directory / "cgroup.procs").write_text(str(pid))


@contextlib.contextmanager
def cpu_quota(pids: Iterable[int], cores: float, name: str) -> Iterator[Quota]:
    """The processes (and what they fork meanwhile) limited to `cores` of CPU together.
    Needs root; raises ServiceError where it cannot."""
    if os.geteuid() != 0:
        raise ServiceError("a CPU quota needs root (it writes the cgroup filesystem)")
    version, root = _hierarchy()
    origins = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            found = process_cgroup(Path(f"/proc/{pid}/cgroup").read_text(), {version: str(root)})
            if found:
                origins[pid] = root / found[1].lstrip("/")
    if not origins:
        raise ServiceError("none of the processes to limit is running")
    group = root / name
    quota = Quota(f"/{name}", group, version)
    try:
        if version == V2:
            with contextlib.suppress(OSError):  # already on where the root delegates it
                (root / "cgroup.subtree_control").write_text("+cpu")
        group.mkdir(exist_ok=True)
        quota.set(cores)
    except OSError as error:
        raise ServiceError(f"cannot set a CPU quota in {group}: {error}") from error
    try:
        for pid in origins:
            _move(group, pid)
        yield quota
    finally:
        home = next(iter(origins.values()))
        for _ in range(3):  # children forked while moving out land here too
            inside = [int(p) for p in (group / "cgroup.procs").read_text().split()]
            if not inside:
                break
            for pid in inside:
                _move(origins.get(pid, home), pid)
        with contextlib.suppress(OSError):
            group.rmdir()
