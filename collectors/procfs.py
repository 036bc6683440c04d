"""Parsers of /proc files: one set for the local host and for hosts read over SSH.

Each parser takes the file's text and returns plain numbers; turning counters
into rates is the host collector's job (through Rates), so these stay pure and
are tested on captured snapshots.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

PROC_FILES = ("/proc/stat", "/proc/meminfo", "/proc/vmstat", "/proc/diskstats",
              "/proc/loadavg", "/proc/net/dev", "/proc/net/snmp", "/proc/pressure/cpu",
              "/proc/pressure/memory", "/proc/pressure/io")
# Read only when listen ports are watched: the kernel walks every socket bucket to
# produce them (~4 ms each on a big machine), so tcp6 is dropped once all ports are IPv4.
TCP_FILES = ("/proc/net/tcp", "/proc/net/tcp6")
# Read every few samples: which filesystems to ask for their space.
MOUNTS_FILE = "/proc/mounts"
# Every process's stat and command line, read in a full scan (collectors/processes.py).
PROCESS_GLOBS = ("/proc/[0-9]*/stat", "/proc/[0-9]*/cmdline")
# Every process's storage I/O counters: read only while a disk is busy, to name who uses it.
PROCESS_IO_GLOB = "/proc/[0-9]*/io"


def process_globs(with_io: bool) -> tuple[str, ...]:
    """The per-process files in reading order: command lines last, so that a forged
    `==> path <==` line in one cannot replace a file read before it (see parse_head)."""
    stat, cmdline = PROCESS_GLOBS
    return (stat, PROCESS_IO_GLOB, cmdline) if with_io else PROCESS_GLOBS


def process_paths(pids: list[int], with_io: bool, with_cmdline: bool) -> tuple[str, ...]:
    """The same files of the given processes only, in the same order."""
    kinds = ("stat", *(("io",) if with_io else ()), *(("cmdline",) if with_cmdline else ()))
    return tuple(f"/proc/{pid}/{kind}" for kind in kinds for pid in pids)


PROCESS_FILE = re.compile(r"^/proc/(\d+)/(stat|cmdline|io)$")
# A cgroup file a sample may read (collectors/cgroups.py): no character a shell would
# expand, quote or split on.
CGROUP_FILE = r"/sys/fs/cgroup/[\w.,+@:=/-]+"
HEAD_HEADER = re.compile(rf"^==> (/proc/[\w/]+|{CGROUP_FILE}) <==$")
WHOLE_DISK = re.compile(
    r"^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|hd[a-z]+|nvme\d+n\d+|mmcblk\d+|dm-\d+|md\d+)$")


@dataclass(frozen=True)
class CpuTimes:
    user: float
    nice: float
    system: float
    idle: float
    iowait: float
    irq: float
    softirq: float
    steal: float

    @property
    def total(self) -> float:
        return (self.user + self.nice + self.system + self.idle + self.iowait + self.irq
                + self.softirq + self.steal)

    @property
    def busy(self) -> float:
        return self.user + self.nice + self.system + self.irq + self.softirq + self.steal


@dataclass(frozen=True)
class Stat:
    total: CpuTimes
    per_cpu: dict[str, CpuTimes]
    procs_running: int
    procs_blocked: int
    forks: float = 0.0  # processes created since boot: unchanged means no new process


def parse_stat(text: str) -> Stat:
    total: CpuTimes | None = None
    per_cpu: dict[str, CpuTimes] = {}
    running = blocked = 0
    forks = 0.0
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0].startswith("cpu"):
            values = [float(v) for v in parts[1:9]] + [0.0] * (8 - len(parts[1:9]))
            times = CpuTimes(*values)
            if parts[0] == "cpu":
                total = times
            else:
                per_cpu[parts[0]] = times
        elif parts[0] == "procs_running":
            running = int(parts[1])
        elif parts[0] == "procs_blocked":
            blocked = int(parts[1])
        elif parts[0] == "processes":
            forks = float(parts[1])
    if total is None:
        raise ValueError("/proc/stat has no cpu line")
    return Stat(total, per_cpu, running, blocked, forks)


def parse_keyed(text: str, keys: tuple[str, ...] | None = None) -> dict[str, float]:
    """`key value [kB]` and `key: value` files (/proc/meminfo, /proc/vmstat), in bytes for kB;
    only `keys` when given (found by one regex: vmstat has ~180 lines, read every second)."""
    pattern = _keyed_pattern(keys)
    return {match[1]: float(match[2]) * (1024 if match[3] else 1)
            for match in pattern.finditer(text)}


@functools.cache
def _keyed_pattern(keys: tuple[str, ...] | None) -> re.Pattern[str]:
    names = "|".join(map(re.escape, keys)) if keys else r"\S+?"
    return re.compile(rf"^({names}):?[ \t]+(-?\d+(?:\.\d+)?)( kB)?[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class DiskCounters:
    reads: float
    read_sectors: float
    read_ms: float
    writes: float
    write_sectors: float
    write_ms: float
    io_ticks_ms: float
    weighted_ms: float


def parse_diskstats(text: str) -> dict[str, DiskCounters]:
    """Whole disks only (partitions and loop/ram devices would double count)."""
    disks = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 14 or not WHOLE_DISK.match(parts[2]):
            continue
        f = [float(v) for v in parts[3:14]]
        disks[parts[2]] = DiskCounters(reads=f[0], read_sectors=f[2], read_ms=f[3], writes=f[4],
                                       write_sectors=f[6], write_ms=f[7], io_ticks_ms=f[9],
                                       weighted_ms=f[10])
    return disks


# Filesystems whose filling up stops a server's writes (not proc, sysfs, cgroup...); tmpfs
# too: /dev/shm holds PostgreSQL's dynamic shared memory, /run sockets and locks.
FILESYSTEMS = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "jfs",
                         "reiserfs", "overlay", "vfat", "exfat", "ntfs", "ntfs3", "fuseblk",
                         "nfs", "nfs4", "cifs", "smb3", "ceph", "glusterfs", "tmpfs"})
MOUNT_ESCAPE = re.compile(r"\\([0-7]{3})")


def parse_mounts(text: str) -> dict[str, bool]:
    """Mount points of the filesystems in /proc/mounts that can fill up, one per device (a
    device mounted at several places is one filesystem: its shortest path; every tmpfs
    is a filesystem of its own), each with whether it is mounted read-only (the kernel
    remounts a filesystem so after I/O errors: ext4's errors=remount-ro)."""
    by_device: dict[str, tuple[str, bool]] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[2] not in FILESYSTEMS:
            continue
        mount = MOUNT_ESCAPE.sub(lambda octal: chr(int(octal[1], 8)), fields[1])
        device = fields[0] if fields[0].startswith("/") else mount
        known = by_device.get(device)
        if known is None or len(mount) < len(known[0]):
            by_device[device] = (mount, "ro" in fields[3].split(","))
    return dict(sorted(by_device.values()))


def parse_loadavg(text: str) -> float:
    return float(text.split()[0])


def parse_net_dev(text: str) -> tuple[float, float]:
    """Received and sent bytes over all interfaces but loopback."""
    rx = tx = 0.0
    for line in text.splitlines()[2:]:
        name, _, data = line.partition(":")
        fields = data.split()
        if name.strip() == "lo" or len(fields) < 9:
            continue
        rx += float(fields[0])
        tx += float(fields[8])
    return rx, tx


def parse_tcp_retrans(text: str) -> float:
    """RetransSegs from /proc/net/snmp (a header line then a value line per protocol)."""
    lines = [line.split() for line in text.splitlines() if line.startswith("Tcp:")]
    if len(lines) < 2:
        raise ValueError("/proc/net/snmp has no Tcp lines")
    return float(dict(zip(lines[0][1:], lines[1][1:], strict=False))["RetransSegs"])


class Listener(NamedTuple):
    """A listening TCP socket on a watched port: its accept queue and its inode (which
    process holds it is found from the inode: collectors/processes.py)."""

    port: int
    queue: int
    inode: int


def parse_listeners(text: str, ports: set[int]) -> list[Listener]:
    """LISTEN sockets on `ports` (/proc/net/tcp{,6}: rx_queue is the accept queue)."""
    listeners = []
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 5 or parts[3] != "0A":  # 0A = LISTEN
            continue
        port = int(parts[1].rsplit(":", 1)[1], 16)
        if port in ports:
            inode = int(parts[9]) if len(parts) > 9 and parts[9].isdigit() else 0
            listeners.append(Listener(port, int(parts[4].split(":")[1], 16), inode))
    return listeners


def parse_pressure(text: str) -> float | None:
    """The `some avg10` share (0-1) of a /proc/pressure file."""
    for line in text.splitlines():
        if line.startswith("some"):
            for item in line.split()[1:]:
                key, _, value = item.partition("=")
                if key == "avg10":
                    return float(value) / 100
    return None


@dataclass(frozen=True)
class ProcessStat:
    pid: int
    ppid: int
    name: str
    cmdline: list[str]
    cpu_ticks: float  # utime + stime, in clock ticks
    children_ticks: float  # cutime + cstime: exited children this process has reaped
    rss_pages: float
    state: str = "R"  # R running, S sleeping, D disk wait, T stopped, t traced, Z zombie
    io_bytes: float | None = None  # read_bytes + write_bytes from /proc/<pid>/io, when read
    start: float = 0.0  # start time in ticks since boot: a pid reused by another process differs


def parse_head(text: str) -> dict[str, str]:
    """Split `head -v -- FILE...` output into {path: text} (how an SSH sample reads /proc).

    The first section of a path wins, so a command line that contains a header
    cannot replace a file read before it.
    """
    texts: dict[str, str] = {}
    path, lines = "", []
    for line in [*text.splitlines(), "==> /proc/end <=="]:
        header = HEAD_HEADER.match(line)
        if header is None:
            lines.append(line)
            continue
        if path:
            texts.setdefault(path, "\n".join(lines).rstrip("\n") + "\n")
        path, lines = header.group(1), []
    return texts


def parse_process_table(texts: dict[str, str], with_io: bool = False) -> list[ProcessStat]:
    """Processes from /proc/<pid>/stat and cmdline texts (one that exited has no stat),
    and /proc/<pid>/io when it was read (else an io section can only be forged)."""
    files: dict[str, dict[int, str]] = {"stat": {}, "cmdline": {}, "io": {}}
    for path, text in texts.items():
        match = PROCESS_FILE.match(path)
        if match:
            files[match.group(2)][int(match.group(1))] = text
    stats, cmdlines, ios = files["stat"], files["cmdline"], files["io"]
    table = []
    for pid, stat in stats.items():
        # comm is in parentheses and may hold spaces or parentheses itself.
        open_at, close_at = stat.find("("), stat.rfind(")")
        fields = stat[close_at + 2:].split()
        if open_at < 0 or close_at < 0 or len(fields) < 22:
            continue
        # After comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14) ...
        # starttime(19) ... rss(21).
        table.append(ProcessStat(
            pid=pid, ppid=int(fields[1]), name=stat[open_at + 1:close_at],
            cmdline=[arg for arg in cmdlines.get(pid, "").split("\0") if arg.strip()],
            cpu_ticks=float(fields[11]) + float(fields[12]),
            children_ticks=float(fields[13]) + float(fields[14]), rss_pages=float(fields[21]),
            state=fields[0], start=float(fields[19]),
            io_bytes=parse_process_io(ios[pid]) if with_io and pid in ios else None))
    return table


def parse_process_io(text: str) -> float | None:
    """Bytes a process made the storage layer read and write (/proc/<pid>/io)."""
    counters = parse_keyed(text)
    if "read_bytes" not in counters or "write_bytes" not in counters:
        return None
    return counters["read_bytes"] + counters["write_bytes"]
