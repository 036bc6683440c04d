"""CPU quotas and disk I/O limits of the stack's cgroups, and how much of them was used.

Why: a process group under a CPU quota (systemd `CPUQuota=`, `docker run --cpus`, a
Kubernetes CPU limit) saturates at its quota while the host's CPUs idle, so neither the
host totals nor the group's share of the host show anything full, and its busy workers
look like a pool too small. The kernel counts the scheduler periods in which a cgroup
used its whole quota and waited for the next (`nr_throttled` of `nr_periods` in its
cpu.stat): that share is the quota's saturation. A disk I/O limit (systemd's
`IOWriteIOPSMax=`, `docker run --device-write-iops`, a cloud volume's provisioned IOPS
seen as io.max) does the same to a disk: the device idles while the limited process's
commits wait their turn. The kernel counts no throttled time for it, so the share of
the limit used (operations or bytes per second over the limit) stands in: what waits on
a limit paces itself to it, so a limit that binds reads 75-95% used rather than 100%.

Which cgroups: those of the stack's processes and their ancestors (a quota on a parent
slice throttles its children too), learnt from /proc/<pid>/cgroup at each full process
scan and every LEARN_S (a process moved into another cgroup is seen within that); their
quota and cpu.stat are read every sample (a quota set mid-run counts from the next
second). cgroup v2 (`cpu.max`, `io.max`, `io.stat`) and v1's cpu and blkio controllers
(`cpu.cfs_quota_us`, `cpu.cfs_period_us`, `blkio.throttle.*`), in one read of the
host's files, locally or over SSH. A cgroup
whose path needs quoting (systemd's `\\x2d` escapes) is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from collectors.base import Rates, Sample
from collectors.procfs import parse_keyed
from collectors.shell import SAFE_PATH

V1, V2 = 1, 2
LEARN_S = 10.0  # the stack's processes' cgroups read again this often
QUOTA_METRIC = "cgroup.quota_cores"
THROTTLED_METRIC = "cgroup.throttled"
IO_LIMIT_METRIC = "cgroup.io_limit"
IO_LIMIT_USED_METRIC = "cgroup.io_limit_used"


def cgroup_hierarchies(mounts: str, controller: str = "cpu") -> dict[int, str]:
    """Where the cgroup hierarchies that can hold a limit of `controller` are mounted: v1's
    with that controller (cpu for a CPU quota, blkio for an I/O limit), and the v2
    (unified) one."""
    found: dict[int, str] = {}
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        if fields[2] == "cgroup" and controller in fields[3].split(","):
            found.setdefault(V1, fields[1])
        elif fields[2] == "cgroup2":
            found.setdefault(V2, fields[1])
    return found


def process_cgroup(text: str, hierarchies: dict[int, str], controller: str = "cpu"
                   ) -> tuple[int, str] | None:
    """The hierarchy version and path of a process's cgroup of `controller`, from
    /proc/<pid>/cgroup: v1's controller where it is mounted (a hybrid host keeps the
    controllers there), else the unified hierarchy's."""
    unified = None
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[1] and controller in parts[1].split(",") and V1 in hierarchies:
            return V1, parts[2]
        if parts[0] == "0" and not parts[1] and V2 in hierarchies:
            unified = (V2, parts[2])
    return unified


def with_ancestors(path: str) -> list[str]:
    """A cgroup and every parent up to the root, the root excluded (it has no quota)."""
    node = PurePosixPath(path)
    return [str(p) for p in (node, *node.parents) if str(p) != "/"]


def quota_cores(version: int, texts: dict[str, str]) -> float | None:
    """The cgroup's CPU quota in cores (`texts`: its files by name), None when it has
    none."""
    try:
        if version == V2:
            quota, period = texts["cpu.max"].split()[:2]
            return None if quota == "max" else float(quota) / float(period)
        quota = texts["cpu.cfs_quota_us"].strip()
        period = texts["cpu.cfs_period_us"].strip()
    except (KeyError, ValueError):
        return None
    return None if int(quota) < 0 else float(quota) / float(period)


def throttle_counts(text: str) -> tuple[float, float] | None:
    """(scheduler periods, throttled periods) from a cgroup's cpu.stat."""
    stat = parse_keyed(text, ("nr_periods", "nr_throttled"))
    if "nr_periods" not in stat or "nr_throttled" not in stat:
        return None
    return stat["nr_periods"], stat["nr_throttled"]


def membership_files(pids: dict[str, list[int]]) -> tuple[str, ...]:
    """The /proc/<pid>/cgroup files of the groups' processes (`pids`: group -> pids)."""
    return tuple(f"/proc/{pid}/cgroup" for group in sorted(pids) for pid in pids[group])


@dataclass
class CgroupWatch:
    """The cgroups of one controller holding the stack's processes (and their ancestors),
    learnt every LEARN_S; a subclass names the files it reads and what it makes of them."""

    controller: str = "cpu"  # v1's controller name; v2 has one hierarchy for all
    _hierarchies: dict[int, str] = field(default_factory=dict)
    # cgroup path -> (hierarchy version, directory on the host, groups inside it)
    _cgroups: dict[str, tuple[int, str, set[str]]] = field(default_factory=dict)
    _rates: Rates = field(default_factory=Rates)
    _learnt: float = -math.inf

    def mounts(self, text: str) -> None:
        self._hierarchies = cgroup_hierarchies(text, self.controller)

    @property
    def mounted(self) -> bool:
        """A hierarchy of its controller is mounted: there is something to learn."""
        return bool(self._hierarchies)

    def due(self, ts: float) -> bool:
        return ts - self._learnt >= LEARN_S

    def learn(self, texts: dict[str, str], pids: dict[str, list[int]], ts: float) -> None:
        """Which cgroups hold the groups' processes (`pids`: group -> pids; `texts`: their
        /proc/<pid>/cgroup files, read once for every watch: `membership_files`)."""
        self._learnt = ts
        if not self._hierarchies or not pids:
            self._cgroups = {}
            return
        cgroups: dict[str, tuple[int, str, set[str]]] = {}
        for group, members in pids.items():
            for pid in members:
                found = process_cgroup(texts.get(f"/proc/{pid}/cgroup", ""),
                                       self._hierarchies, self.controller)
                if found is None:
                    continue
                version, leaf = found
                paths = with_ancestors(leaf) if self.inherited(version) else \
                    [leaf] if leaf != "/" else []
                for path in paths:
                    directory = self._hierarchies[version].rstrip("/") + path
                    if SAFE_PATH.match(directory):
                        cgroups.setdefault(path, (version, directory, set()))[2].add(group)
        self._cgroups = cgroups

    def paths(self) -> tuple[str, ...]:
        """The files this sample reads for every cgroup."""
        return tuple(f"{directory}/{name}" for version, directory, _ in self._cgroups.values()
                     for name in self.files(version))

    def files(self, version: int) -> tuple[str, ...]:
        raise NotImplementedError

    def inherited(self, version: int) -> bool:
        """Whether a parent's limit holds the processes below it too (then every
        ancestor is read)."""
        return True

    def sample(self, texts: dict[str, str], ts: float, out: Sample) -> None:
        for path, (version, directory, groups) in sorted(self._cgroups.items()):
            self.read(path, version, {name: texts[f"{directory}/{name}"]
                                      for name in self.files(version)
                                      if f"{directory}/{name}" in texts},
                      sorted(groups), ts, out)

    def read(self, path: str, version: int, texts: dict[str, str], groups: list[str],
             ts: float, out: Sample) -> None:
        raise NotImplementedError


@dataclass
class CpuQuotaWatch(CgroupWatch):
    """The stack's cgroups with a CPU quota: `cgroup.quota_cores{group:path}` and
    `cgroup.throttled{group:path}`, the share of its scheduler periods throttled."""

    def files(self, version: int) -> tuple[str, ...]:
        quota = ("cpu.max",) if version == V2 else ("cpu.cfs_quota_us", "cpu.cfs_period_us")
        return (*quota, "cpu.stat")

    def read(self, path: str, version: int, texts: dict[str, str], groups: list[str],
             ts: float, out: Sample) -> None:
        cores = quota_cores(version, texts)
        counts = throttle_counts(texts.get("cpu.stat", ""))
        if counts is None:
            return
        periods = self._rates.delta(f"{path} periods", counts[0])
        throttled = self._rates.delta(f"{path} throttled", counts[1])
        if cores is None:
            return
        share = (throttled / periods if periods and throttled is not None
                 else 0.0 if periods == 0 else None)
        for group in groups:
            out.add(f"{QUOTA_METRIC}{{{group}:{path}}}", cores)
            out.add(f"{THROTTLED_METRIC}{{{group}:{path}}}", share)


# v1's throttle files and the counters each limit is measured against.
V1_IO_LIMITS = {"read_iops": ("blkio.throttle.read_iops_device", "blkio.throttle.io_serviced",
                              "Read"),
                "write_iops": ("blkio.throttle.write_iops_device",
                               "blkio.throttle.io_serviced", "Write"),
                "read_bps": ("blkio.throttle.read_bps_device",
                             "blkio.throttle.io_service_bytes", "Read"),
                "write_bps": ("blkio.throttle.write_bps_device",
                              "blkio.throttle.io_service_bytes", "Write")}
# v2's io.max keys and io.stat's counters, by the same limit names.
V2_IO_LIMITS = {"read_iops": ("riops", "rios"), "write_iops": ("wiops", "wios"),
                "read_bps": ("rbps", "rbytes"), "write_bps": ("wbps", "wbytes")}


def io_limits(version: int, texts: dict[str, str]) -> dict[tuple[str, str], tuple[float, float]]:
    """(device, limit) -> (the limit, the operations or bytes done so far against it) of a
    cgroup's I/O limits (`read_iops`, `write_iops`, `read_bps`, `write_bps`), from v2's
    io.max and io.stat or v1's blkio.throttle files; devices without a limit are left out."""
    found: dict[tuple[str, str], tuple[float, float]] = {}
    if version == V2:
        limits = _device_fields(texts.get("io.max", ""))
        done = _device_fields(texts.get("io.stat", ""))
        for device, fields in limits.items():
            for name, (key, counter) in V2_IO_LIMITS.items():
                value = fields.get(key, "max")
                if value != "max":  # io.stat lists a device once it was used
                    found[(device, name)] = (float(value),
                                             float(done.get(device, {}).get(counter, 0)))
        return found
    for name, (limit_file, counter_file, kind) in V1_IO_LIMITS.items():
        counters = {(parts[0], parts[1]): parts[2] for parts in
                    (line.split() for line in texts.get(counter_file, "").splitlines())
                    if len(parts) == 3}
        for line in texts.get(limit_file, "").splitlines():
            parts = line.split()
            if len(parts) == 2 and (parts[0], kind) in counters:
                found[(parts[0], name)] = (float(parts[1]), float(counters[(parts[0], kind)]))
    return found


def _device_fields(text: str) -> dict[str, dict[str, str]]:
    """`MAJ:MIN key=value ...` lines (io.max, io.stat) by device."""
    return {parts[0]: dict(item.partition("=")[::2] for item in parts[1:])
            for parts in (line.split() for line in text.splitlines()) if parts}


@dataclass
class IoLimitWatch(CgroupWatch):
    """The stack's cgroups with a disk I/O limit (systemd's IOReadIOPSMax= and kin, docker
    --device-write-iops, io.max): `cgroup.io_limit{group:path:major:minor:limit}`, the limit
    (operations or bytes per second), and `cgroup.io_limit_used{...}`, the share of it
    used. A limited process waits for its I/O whatever the disk has free, so the disk
    looks idle while its owner's commits queue: the share used is the limit's
    utilisation."""

    controller: str = "blkio"

    def inherited(self, version: int) -> bool:
        # v1's blk-throttle is flat: a limit holds only its cgroup's own processes, and
        # its counters count only theirs.
        return version == V2

    def files(self, version: int) -> tuple[str, ...]:
        if version == V2:
            return ("io.max", "io.stat")
        return tuple(sorted({name for files in V1_IO_LIMITS.values() for name in files[:2]}))

    def read(self, path: str, version: int, texts: dict[str, str], groups: list[str],
             ts: float, out: Sample) -> None:
        for (device, name), (limit, done) in sorted(io_limits(version, texts).items()):
            rate = self._rates.rate(f"{path} {device} {name}", done, ts)
            if limit <= 0:
                continue
            for group in groups:
                label = f"{group}:{path}:{device}:{name}"
                out.add(f"{IO_LIMIT_METRIC}{{{label}}}", limit)
                out.add(f"{IO_LIMIT_USED_METRIC}{{{label}}}",
                        None if rate is None else rate / limit)
