"""Host collector: USE signals of CPU, memory, disks, network, and CPU/RSS per process group.

The same /proc parsers serve a local host and one read over SSH (all files of a sample
in one round trip). Per-process groups come from collectors/processes.py, which reads
the stack's processes each sample and the whole process table only now and then, so
the cost does not grow with the host's process count. On one host a CPU total says
nothing about who is to blame (postgres, the app, the queue workers, redis, the load
generator, something outside the stack): the groups and the top processes say it; a
group held to a CPU quota or a disk I/O limit by its cgroup says so too
(collectors/cgroups.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from socket import AF_INET, AF_INET6

from collectors.base import Rates, Sample
from collectors.cgroups import (
    CgroupWatch,
    CpuQuotaWatch,
    IoLimitWatch,
    membership_files,
)
from collectors.processes import ProcessWatch
from collectors.procfs import (
    MOUNTS_FILE,
    PROC_FILES,
    TCP_FILES,
    CpuTimes,
    Stat,
    parse_diskstats,
    parse_keyed,
    parse_listeners,
    parse_loadavg,
    parse_mounts,
    parse_net_dev,
    parse_pressure,
    parse_stat,
    parse_tcp_retrans,
)
from collectors.shell import Shell
from collectors.sockdiag import ListenQueues, open_listen_queues

SECTOR_BYTES = 512
IO_WATCH_UTIL = 0.5          # read per-process I/O counters while a disk is this busy
TIGHT_MEMORY = 0.2           # available RAM share below which the processes are all read
FULL_WATCH = 0.9             # a filesystem this full: read per-process I/O, to name the writer
SPACE_EVERY = 5              # samples between readings of the filesystems' space
MEMINFO_KEYS = ("MemTotal", "MemAvailable")
VMSTAT_RATES = {"pswpin": "swap.in_rate", "pswpout": "swap.out_rate",
                "pgmajfault": "mem.major_faults_rate"}


@dataclass
class HostCollector:
    shell: Shell
    ports: set[int] = field(default_factory=set)  # listen backlog watched (the app's)
    stack_ports: set[int] = field(default_factory=set)  # the target's other servers
    name: str = "host"
    rates: Rates = field(default_factory=Rates)
    _cpu_prev: dict[str, CpuTimes] = field(default_factory=dict)
    _processes: ProcessWatch = field(default_factory=ProcessWatch)
    _cgroups: tuple[CgroupWatch, ...] = field(
        default_factory=lambda: (CpuQuotaWatch(), IoLimitWatch()))
    _tcp_files: tuple[str, ...] = TCP_FILES  # the families a watched port may listen on
    _watch_io: bool = False
    _listen_queues: ListenQueues | None = None
    _netlink_refused: bool = False
    _samples: int = 0
    _mounts: dict[str, bool] = field(default_factory=dict)  # mount point -> read-only
    _filling: bool = False

    @property
    def target(self) -> str:
        return self.shell.name

    def check(self) -> list[str]:
        try:
            texts = self.shell.read_files(("/proc/stat",))
        except Exception as error:  # noqa: BLE001  # any failure is reported, never raised
            return [str(error)]
        return [] if "/proc/stat" in texts else [f"{self.target}: cannot read /proc/stat"]

    @property
    def watched(self) -> set[int]:
        """Every port the target's servers listen on: their processes are the stack's."""
        return self.ports | self.stack_ports

    def sample(self, ts: float) -> Sample:
        with_io = self._watch_io or self._filling  # decided by earlier samples
        if self.watched and self.shell.local and self._listen_queues is None \
                and not self._netlink_refused:
            self._listen_queues = open_listen_queues()
            self._netlink_refused = self._listen_queues is None
        space = self._samples % SPACE_EVERY == 0
        self._samples += 1
        texts = self.shell.read_files(
            PROC_FILES + (self._tcp_files if self.watched and not self._listen_queues else ())
            + ((MOUNTS_FILE,) if space else ())
            + tuple(path for watch in self._cgroups for path in watch.paths())
            + self._processes.paths(ts, with_io))
        out = Sample()
        if space:
            self._space(texts.get(MOUNTS_FILE), out)
            for watch in self._cgroups:
                watch.mounts(texts.get(MOUNTS_FILE, ""))
        stat = parse_stat(texts["/proc/stat"])
        busy_cores = self._cpu(stat, out)
        available = self._memory(texts, ts, out)
        self._disks(texts.get("/proc/diskstats", ""), ts, out)
        out.add("load.avg1", parse_loadavg(texts["/proc/loadavg"]))
        if "/proc/net/dev" in texts:
            rx, tx = parse_net_dev(texts["/proc/net/dev"])
            out.add("net.rx_bytes_rate", self.rates.rate("net.rx", rx, ts))
            out.add("net.tx_bytes_rate", self.rates.rate("net.tx", tx, ts))
        if "/proc/net/snmp" in texts:
            out.add("tcp.retrans_rate", self.rates.rate(
                "tcp.retrans", parse_tcp_retrans(texts["/proc/net/snmp"]), ts))
        listening = self._listen_backlog(texts, out) if self.watched else set()
        for kind in ("cpu", "memory", "io"):
            text = texts.get(f"/proc/pressure/{kind}")
            if text:
                out.add(f"pressure.{kind}", parse_pressure(text))
        self._processes.sample(self.shell, texts, ts, with_io, stat.forks, busy_cores,
                               available is not None and available < TIGHT_MEMORY, listening,
                               out)
        for watch in self._cgroups:
            watch.sample(texts, ts, out)
        due = [w for w in self._cgroups if self._processes.scanned or w.due(ts)]
        if due:
            pids = self._processes.stack_pids()
            memberships = (self.shell.read_files(membership_files(pids))
                           if pids and any(watch.mounted for watch in due) else {})
            for watch in due:
                watch.learn(memberships, pids, ts)
        return out

    def _listen_backlog(self, texts: dict[str, str], out: Sample) -> set[int]:
        """listen.backlog per backlog port; returns the inodes of the sockets listening on
        every watched port."""
        with_ipv6, watched = "/proc/net/tcp6" in self._tcp_files, self.watched
        if self._listen_queues is not None:
            ipv4 = self._listen_queues.listeners(watched, AF_INET)
            ipv6 = self._listen_queues.listeners(watched, AF_INET6) if with_ipv6 else []
        else:
            ipv4 = parse_listeners(texts.get("/proc/net/tcp", ""), watched)
            ipv6 = parse_listeners(texts.get("/proc/net/tcp6", ""), watched)
        if with_ipv6 and {listener.port for listener in ipv4} == watched and not ipv6:
            self._tcp_files = ("/proc/net/tcp",)
        backlog = dict.fromkeys(self.ports, 0)
        for listener in (*ipv4, *ipv6):
            if listener.port in backlog:
                backlog[listener.port] += listener.queue
        for port in sorted(self.ports):
            out.add(f"listen.backlog{{{port}}}", backlog[port])
        return {listener.inode for listener in (*ipv4, *ipv6)}

    def _cpu(self, stat: Stat, out: Sample) -> float | None:
        """CPU signals; returns the cores busy since the last sample."""
        out.add("cpu.count", len(stat.per_cpu))
        out.add("load.runqueue", stat.procs_running)
        now, before = stat.total, self._cpu_prev.get("cpu")
        busy_cores = None
        if before is not None and now.total > before.total:
            span = now.total - before.total
            out.add("cpu.util", (now.busy - before.busy) / span)
            out.add("cpu.user", (now.user + now.nice - before.user - before.nice) / span)
            out.add("cpu.system", (now.system - before.system) / span)
            out.add("cpu.iowait", (now.iowait - before.iowait) / span)
            out.add("cpu.steal", (now.steal - before.steal) / span)
            busy_cores = (now.busy - before.busy) / span * len(stat.per_cpu)
        per_cpu = [(times.busy - old.busy) / (times.total - old.total)
                   for cpu, times in stat.per_cpu.items()
                   if (old := self._cpu_prev.get(cpu)) is not None and times.total > old.total]
        out.add("cpu.max_core", max(per_cpu) if per_cpu else None)
        self._cpu_prev = {"cpu": stat.total, **stat.per_cpu}
        return busy_cores

    def _memory(self, texts: dict[str, str], ts: float, out: Sample) -> float | None:
        """Memory signals; returns the share of RAM available."""
        meminfo = parse_keyed(texts["/proc/meminfo"], MEMINFO_KEYS)
        total = meminfo.get("MemTotal", 0.0)
        available = meminfo.get("MemAvailable", 0.0) / total if total else None
        if total:
            out.add("mem.total", total)
            out.add("mem.available_ratio", available)
        vmstat = parse_keyed(texts.get("/proc/vmstat", ""), (*VMSTAT_RATES, "oom_kill"))
        for key, metric in VMSTAT_RATES.items():
            if key in vmstat:
                out.add(metric, self.rates.rate(key, vmstat[key], ts))
        if "oom_kill" in vmstat:
            out.add("mem.oom_kills", self.rates.delta("oom_kill", vmstat["oom_kill"]))
        return available

    def _space(self, mounts: str | None, out: Sample) -> None:
        """How full each disk filesystem is, and whether it is read-only: either refuses
        every write (the database's WAL, the app's log and sessions, the jobs' documents)
        while the disk idles."""
        if mounts is not None:
            self._mounts = parse_mounts(mounts)
        fullest = 0.0
        for mount, space in self.shell.statfs(list(self._mounts)).items():
            if space.size <= 0:
                continue  # a pseudo filesystem that holds nothing
            out.add(f"fs.used_ratio{{{mount}}}", space.used_ratio)
            out.add(f"fs.available_bytes{{{mount}}}", space.available)
            out.add(f"fs.read_only{{{mount}}}", float(self._mounts[mount]))
            fullest = max(fullest, space.used_ratio)
        self._filling = fullest >= FULL_WATCH

    def _disks(self, text: str, ts: float, out: Sample) -> None:
        busiest = 0.0
        for device, c in parse_diskstats(text).items():
            key = f"disk.{device}"
            busy = self.rates.rate(f"{key}.ticks", c.io_ticks_ms, ts)
            ops = self.rates.rate(f"{key}.ops", c.reads + c.writes, ts)
            io_ms = self.rates.rate(f"{key}.io_ms", c.read_ms + c.write_ms, ts)
            out.add(f"disk.util{{{device}}}", None if busy is None else min(1.0, busy / 1000))
            busiest = max(busiest, 0.0 if busy is None else busy / 1000)
            out.add(f"disk.iops{{{device}}}", ops)
            out.add(f"disk.queue{{{device}}}",
                    None if (q := self.rates.rate(f"{key}.weighted", c.weighted_ms, ts)) is None
                    else q / 1000)
            out.add(f"disk.read_bytes_rate{{{device}}}", _scaled(self.rates.rate(
                f"{key}.rsec", c.read_sectors, ts), SECTOR_BYTES))
            out.add(f"disk.write_bytes_rate{{{device}}}", _scaled(self.rates.rate(
                f"{key}.wsec", c.write_sectors, ts), SECTOR_BYTES))
            if ops is not None and io_ms is not None:
                out.add(f"disk.await{{{device}}}", io_ms / ops if ops > 0 else 0.0)
        self._watch_io = busiest >= IO_WATCH_UTIL

    def close(self) -> None:
        if self._listen_queues is not None:
            self._listen_queues.close()
            self._listen_queues = None
        self.shell.close()


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor
