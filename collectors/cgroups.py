"""CPU quotas of the stack's cgroups, and how often the kernel throttled them.

Why: a process group under a CPU quota (systemd `CPUQuota=`, `docker run --cpus`, a
Kubernetes CPU limit) saturates at its quota while the host's CPUs idle, so neither the
host totals nor the group's share of the host show anything full, and its busy workers
look like a pool too small. The kernel counts the scheduler periods in which a cgroup
used its whole quota and waited for the next (`nr_throttled` of `nr_periods` in its
cpu.stat): that share is the quota's saturation.

Which cgroups: those of the stack's processes and their ancestors (a quota on a parent
slice throttles its children too), learnt from /proc/<pid>/cgroup at each full process
scan and every LEARN_S (a process moved into another cgroup is seen within that); their
quota and cpu.stat are read every sample (a quota set mid-run counts from the next
second). cgroup v2 (`cpu.max`) and v1's cpu controller (`cpu.cfs_quota_us`,
`cpu.cfs_period_us`), in one read of the host's files, locally or over SSH. A cgroup
whose path needs quoting (systemd's `\\x2d` escapes) is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from collectors.base import Rates, Sample
from collectors.procfs import parse_keyed
from collectors.shell import SAFE_PATH, Shell

V1, V2 = 1, 2
LEARN_S = 10.0  # the stack's processes' cgroups read again this often
QUOTA_METRIC = "cgroup.quota_cores"
THROTTLED_METRIC = "cgroup.throttled"


def cpu_hierarchies(mounts: str) -> dict[int, str]:
    """Where the cgroup hierarchies that can hold a CPU quota are mounted: v1's with the
    cpu controller, and the v2 (unified) one."""
    found: dict[int, str] = {}
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        if fields[2] == "cgroup" and "cpu" in fields[3].split(","):
            found.setdefault(V1, fields[1])
        elif fields[2] == "cgroup2":
            found.setdefault(V2, fields[1])
    return found


def process_cgroup(text: str, hierarchies: dict[int, str]) -> tuple[int, str] | None:
    """The hierarchy version and path of a process's CPU cgroup, from /proc/<pid>/cgroup:
    v1's cpu controller where it is mounted (a hybrid host keeps the controllers there),
    else the unified hierarchy's."""
    unified = None
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[1] and "cpu" in parts[1].split(",") and V1 in hierarchies:
            return V1, parts[2]
        if parts[0] == "0" and not parts[1] and V2 in hierarchies:
            unified = (V2, parts[2])
    return unified


def with_ancestors(path: str) -> list[str]:
    """A cgroup and every parent up to the root, the root excluded (it has no quota)."""
    node = PurePosixPath(path)
    return [str(p) for p in (node, *node.parents) if str(p) != "/"]


def quota_cores(version: int, texts: dict[str, str], directory: str) -> float | None:
    """The cgroup's CPU quota in cores, None when it has none."""
    try:
        if version == V2:
            quota, period = texts[f"{directory}/cpu.max"].split()[:2]
            return None if quota == "max" else float(quota) / float(period)
        quota = texts[f"{directory}/cpu.cfs_quota_us"].strip()
        period = texts[f"{directory}/cpu.cfs_period_us"].strip()
    except (KeyError, ValueError):
        return None
    return None if int(quota) < 0 else float(quota) / float(period)


def throttle_counts(text: str) -> tuple[float, float] | None:
    """(scheduler periods, throttled periods) from a cgroup's cpu.stat."""
    stat = parse_keyed(text, ("nr_periods", "nr_throttled"))
    if "nr_periods" not in stat or "nr_throttled" not in stat:
        return None
    return stat["nr_periods"], stat["nr_throttled"]


@dataclass
class CgroupWatch:
    """The stack's cgroups with a CPU quota: `cgroup.quota_cores{group:path}` and
    `cgroup.throttled{group:path}`, the share of its scheduler periods throttled."""

    _hierarchies: dict[int, str] = field(default_factory=dict)
    # cgroup path -> (hierarchy version, directory on the host, groups inside it)
    _cgroups: dict[str, tuple[int, str, set[str]]] = field(default_factory=dict)
    _rates: Rates = field(default_factory=Rates)
    _learnt: float = -math.inf

    def mounts(self, text: str) -> None:
        self._hierarchies = cpu_hierarchies(text)

    def due(self, ts: float) -> bool:
        return ts - self._learnt >= LEARN_S

    def learn(self, shell: Shell, pids: dict[str, list[int]], ts: float) -> None:
        """Which cgroups hold the groups' processes (`pids`: group -> pids)."""
        self._learnt = ts
        if not self._hierarchies or not pids:
            self._cgroups = {}
            return
        texts = shell.read_files(tuple(f"/proc/{pid}/cgroup"
                                       for group in sorted(pids) for pid in pids[group]))
        cgroups: dict[str, tuple[int, str, set[str]]] = {}
        for group, members in pids.items():
            for pid in members:
                found = process_cgroup(texts.get(f"/proc/{pid}/cgroup", ""), self._hierarchies)
                if found is None:
                    continue
                version, leaf = found
                for path in with_ancestors(leaf):
                    directory = self._hierarchies[version].rstrip("/") + path
                    if SAFE_PATH.match(directory):
                        cgroups.setdefault(path, (version, directory, set()))[2].add(group)
        self._cgroups = cgroups

    def paths(self) -> tuple[str, ...]:
        """The files this sample reads: each cgroup's quota and cpu.stat."""
        files: list[str] = []
        for version, directory, _ in self._cgroups.values():
            quota = ("cpu.max",) if version == V2 else ("cpu.cfs_quota_us", "cpu.cfs_period_us")
            files.extend(f"{directory}/{name}" for name in (*quota, "cpu.stat"))
        return tuple(files)

    def sample(self, texts: dict[str, str], out: Sample) -> None:
        for path, (version, directory, groups) in sorted(self._cgroups.items()):
            cores = quota_cores(version, texts, directory)
            counts = throttle_counts(texts.get(f"{directory}/cpu.stat", ""))
            if counts is None:
                continue
            periods = self._rates.delta(f"{path} periods", counts[0])
            throttled = self._rates.delta(f"{path} throttled", counts[1])
            if cores is None:
                continue
            share = (throttled / periods if periods and throttled is not None
                     else 0.0 if periods == 0 else None)
            for group in sorted(groups):
                out.add(f"{QUOTA_METRIC}{{{group}:{path}}}", cores)
                out.add(f"{THROTTLED_METRIC}{{{group}:{path}}}", share)
