"""Hold running processes under a cgroup limit, as systemd's `CPUQuota=` and
`IOReadIOPSMax=`/`IOWriteIOPSMax=`, `docker run --cpus` and `--device-write-iops`, or a
Kubernetes CPU limit do: a cgroup of their own with the limit, theirs until the context
closes.

Why here: the fault suite limits a server of the running stack from outside, and the
collector's tests need a limited process to read; both want the same cgroup handling on
cgroup v2 (`cpu.max`, `io.max`) and on v1's cpu and blkio controllers
(`cpu.cfs_quota_us`, `blkio.throttle.*_iops_device`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from collectors.cgroups import V1, V2, cgroup_hierarchies, process_cgroup
from supervision import ServiceError

PERIOD_US = 100_000  # the kernel's default scheduler period
V1_CONTROLLER = {"cpu": "cpu", "io": "blkio"}  # v2's controller name -> v1's


def _hierarchy(controller: str) -> tuple[int, Path]:
    """The writable hierarchy with `controller` (v1's where mounted, else v2's)."""
    hierarchies = cgroup_hierarchies(Path("/proc/mounts").read_text(),
                                     V1_CONTROLLER[controller])
    if V1 in hierarchies:
        return V1, Path(hierarchies[V1])
    if V2 in hierarchies:
        root = Path(hierarchies[V2])
        with contextlib.suppress(OSError):
            if controller in (root / "cgroup.controllers").read_text().split():
                return V2, root
    raise ServiceError(f"no cgroup hierarchy with the {controller} controller is mounted here")


@dataclass(frozen=True)
class Cgroup:
    """A cgroup of our own holding processes under a limit."""

    path: str           # as /proc/<pid>/cgroup shows it
    directory: Path
    version: int


@dataclass(frozen=True)
class Quota(Cgroup):
    """A cgroup holding processes under a CPU quota."""

    def set(self, cores: float) -> None:
        """Change the quota (the processes stay)."""
        _write_quota(self, cores)


def _write_quota(group: Cgroup, cores: float) -> None:
    quota = round(cores * PERIOD_US)
    if group.version == V2:
        (group.directory / "cpu.max").write_text(f"{quota} {PERIOD_US}")
    else:
        (group.directory / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (group.directory / "cpu.cfs_quota_us").write_text(str(quota))


def _move(directory: Path, pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, FileNotFoundError):
        (directory / "cgroup.procs").write_text(str(pid))


@contextlib.contextmanager
def _own_cgroup(pids: Iterable[int], name: str, controller: str,
                configure: Callable[[Cgroup], None]) -> Iterator[Cgroup]:
    """The processes (and what they fork meanwhile) in a new cgroup of `controller`'s
    hierarchy, configured before they enter it; moved back and the cgroup removed after."""
    what = "a CPU quota" if controller == "cpu" else "an I/O limit"
    if os.geteuid() != 0:
        raise ServiceError(f"{what} needs root (it writes the cgroup filesystem)")
    version, root = _hierarchy(controller)
    origins = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            found = process_cgroup(Path(f"/proc/{pid}/cgroup").read_text(),
                                   {version: str(root)}, V1_CONTROLLER[controller])
            if found:
                origins[pid] = root / found[1].lstrip("/")
    if not origins:
        raise ServiceError("none of the processes to limit is running")
    group = root / name
    limited = Cgroup(f"/{name}", group, version)
    try:
        if version == V2:
            with contextlib.suppress(OSError):  # already on where the root delegates it
                (root / "cgroup.subtree_control").write_text(f"+{controller}")
        group.mkdir(exist_ok=True)
        configure(limited)
    except OSError as error:
        raise ServiceError(f"cannot set {what} in {group}: {error}") from error
    try:
        for pid in origins:
            _move(group, pid)
        yield limited
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


@contextlib.contextmanager
def cpu_quota(pids: Iterable[int], cores: float, name: str) -> Iterator[Quota]:
    """The processes (and what they fork meanwhile) limited to `cores` of CPU together.
    Needs root; raises ServiceError where it cannot."""
    with _own_cgroup(pids, name, "cpu", lambda group: _write_quota(group, cores)) as group:
        yield Quota(group.path, group.directory, group.version)


def block_device(path: str) -> str:
    """`major:minor` of the disk holding `path`: the device an I/O limit names (a
    partition's limit goes on its disk). Raises ServiceError for a filesystem on no block
    device (tmpfs, overlay, NFS)."""
    try:
        device = os.stat(path).st_dev
    except OSError as error:
        raise ServiceError(f"cannot read the device of {path}: {error}") from error
    number = f"{os.major(device)}:{os.minor(device)}"
    sysfs = Path("/sys/dev/block") / number
    if not sysfs.exists():
        raise ServiceError(f"{path} is on no block device (device {number})")
    if (sysfs / "partition").exists():
        return (sysfs.resolve().parent / "dev").read_text().strip()
    return number


@contextlib.contextmanager
def io_limit(pids: Iterable[int], device: str, iops: int, name: str) -> Iterator[Cgroup]:
    """The processes (and what they fork meanwhile) limited to `iops` reads and `iops`
    writes per second on `device` (`major:minor`) together. Needs root; raises
    ServiceError where it cannot."""
    def configure(limited: Cgroup) -> None:
        if limited.version == V2:
            (limited.directory / "io.max").write_text(f"{device} riops={iops} wiops={iops}")
        else:
            for kind in ("read", "write"):
                (limited.directory / f"blkio.throttle.{kind}_iops_device").write_text(
                    f"{device} {iops}")

    with _own_cgroup(pids, name, "io", configure) as limited:
        yield limited
