"""Host collector: USE signals of CPU, memory, disks, network, and CPU/RSS per process group.

The same /proc parsers serve a local host and one read over SSH. Per-process
groups come from psutil locally (on one host a CPU total says nothing about
who is to blame: postgres, the app, the queue workers, redis, the load
generator). Over SSH they come from every /proc/<pid>/stat and cmdline, read
in the same round trip as the host-wide files. The few processes using most
CPU, memory and (while a disk is busy) storage I/O go to processes.csv, so a
saturated host names its culprit, inside the stack or not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import psutil

from collectors.base import Rates, Sample
from collectors.procfs import (
    PROC_FILES,
    TCP_FILES,
    CpuTimes,
    parse_diskstats,
    parse_keyed,
    parse_listen_backlog,
    parse_loadavg,
    parse_net_dev,
    parse_pressure,
    parse_process_table,
    parse_stat,
    parse_tcp_retrans,
    process_globs,
)
from collectors.shell import Shell

SECTOR_BYTES = 512
TOP_PROCESSES = 3            # per resource and sample, written to processes.csv
MIN_CPU_CORES = 0.02         # a process below this is not worth a row
MIN_IO_RATE = 64 * 1024.0    # bytes/s
IO_WATCH_UTIL = 0.5          # read per-process I/O counters while a disk is this busy
STOPPED_STATES = frozenset({"T", "t", psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP})
INTERPRETER = re.compile(r"^(python|php|perl|ruby|node|bash|sh|java)[\d.]*$")


@dataclass(frozen=True)
class ProcessCpu:
    """One process at one sample: CPU seconds of its own, and of children it reaped."""

    pid: int
    ppid: int
    group: str
    own_s: float
    children_s: float
    rss: float
    ts: float = 0.0
    command: str = ""
    stopped: bool = False
    io_bytes: float | None = None


def short_command(name: str, cmdline: list[str]) -> str:
    """What a person calls the process, never its arguments (they may hold secrets):
    the program, and for an interpreter the script or module it runs."""
    program = cmdline[0] if cmdline else ""
    if not program or " " in program:   # empty (a kernel thread) or a rewritten title
        return name
    base = os.path.basename(program)
    if INTERPRETER.match(base) and len(cmdline) > 1:
        if cmdline[1] == "-m" and len(cmdline) > 2:
            return f"{base} -m {cmdline[2]}"
        if not cmdline[1].startswith("-"):
            return f"{base} {os.path.basename(cmdline[1])}"
    return base


def process_group(name: str, cmdline: list[str]) -> str:
    """Which part of the stack a process belongs to (by title and command line)."""
    text = " ".join(cmdline) or name
    if text.startswith("esppd-app") or "reference_app.server" in text:
        return "app"
    if text.startswith("esppd-queue") or "reference_app.worker" in text or \
            "queue:work" in text or "horizon" in text:
        return "queue"
    if name.startswith("postgres") or text.startswith("postgres"):
        return "postgres"
    if name.startswith(("mysqld", "mariadbd")) or text.startswith(("/usr/sbin/mysqld",
                                                                   "/usr/sbin/mariadbd")):
        return "mysql"
    if name.startswith("redis-server") or "redis-server" in text[:60]:
        return "redis"
    if name.startswith("php-fpm") or text.startswith("php-fpm"):
        return "php-fpm"
    if name.startswith("nginx"):
        return "nginx"
    if "locust" in text or "run_campaign.py" in text:
        return "locust"
    if "-m collectors" in text:
        return "collector"
    return "other"


@dataclass
class HostCollector:
    shell: Shell
    ports: set[int] = field(default_factory=set)
    name: str = "host"
    rates: Rates = field(default_factory=Rates)
    _cpu_prev: dict[str, CpuTimes] = field(default_factory=dict)
    _proc_prev: dict[int, ProcessCpu] = field(default_factory=dict)
    _groups: dict[int, tuple[psutil.Process, str, str]] = field(default_factory=dict)
    _tcp_files: tuple[str, ...] = TCP_FILES
    _watch_io: bool = False

    @property
    def target(self) -> str:
        return self.shell.name

    def check(self) -> list[str]:
        try:
            texts = self.shell.read_files(("/proc/stat",))
        except Exception as error:  # noqa: BLE001  # any failure is reported, never raised
            return [str(error)]
        return [] if "/proc/stat" in texts else [f"{self.target}: cannot read /proc/stat"]

    def sample(self, ts: float) -> Sample:
        with_io = self._watch_io  # decided by the previous sample's disks
        texts = self.shell.read_files(
            PROC_FILES + (self._tcp_files if self.ports else ())
            + (() if self.shell.local else process_globs(with_io)))
        out = Sample()
        self._cpu(texts["/proc/stat"], out)
        self._memory(texts, ts, out)
        self._disks(texts.get("/proc/diskstats", ""), ts, out)
        out.add("load.avg1", parse_loadavg(texts["/proc/loadavg"]))
        if "/proc/net/dev" in texts:
            rx, tx = parse_net_dev(texts["/proc/net/dev"])
            out.add("net.rx_bytes_rate", self.rates.rate("net.rx", rx, ts))
            out.add("net.tx_bytes_rate", self.rates.rate("net.tx", tx, ts))
        if "/proc/net/snmp" in texts:
            out.add("tcp.retrans_rate", self.rates.rate(
                "tcp.retrans", parse_tcp_retrans(texts["/proc/net/snmp"]), ts))
        if self.ports:
            self._listen_backlog(texts, out)
        for kind in ("cpu", "memory", "io"):
            text = texts.get(f"/proc/pressure/{kind}")
            if text:
                out.add(f"pressure.{kind}", parse_pressure(text))
        self._process_groups(self._local_processes(ts, with_io) if self.shell.local
                             else self._remote_processes(texts, ts, with_io), ts, out)
        return out

    def _listen_backlog(self, texts: dict[str, str], out: Sample) -> None:
        ipv4 = parse_listen_backlog(texts.get("/proc/net/tcp", ""), self.ports)
        ipv6 = parse_listen_backlog(texts.get("/proc/net/tcp6", ""), self.ports)
        backlog = {port: ipv4.get(port, 0) + ipv6.get(port, 0) for port in self.ports}
        if "/proc/net/tcp6" in self._tcp_files and set(ipv4) == self.ports and not ipv6:
            self._tcp_files = ("/proc/net/tcp",)
        for port in sorted(self.ports):
            out.add(f"listen.backlog{{{port}}}", backlog[port])

    def _cpu(self, text: str, out: Sample) -> None:
        stat = parse_stat(text)
        out.add("cpu.count", len(stat.per_cpu))
        out.add("load.runqueue", stat.procs_running)
        now, before = stat.total, self._cpu_prev.get("cpu")
        if before is not None and now.total > before.total:
            span = now.total - before.total
            out.add("cpu.util", (now.busy - before.busy) / span)
            out.add("cpu.user", (now.user + now.nice - before.user - before.nice) / span)
            out.add("cpu.system", (now.system - before.system) / span)
            out.add("cpu.iowait", (now.iowait - before.iowait) / span)
            out.add("cpu.steal", (now.steal - before.steal) / span)
        per_cpu = [(times.busy - old.busy) / (times.total - old.total)
                   for cpu, times in stat.per_cpu.items()
                   if (old := self._cpu_prev.get(cpu)) is not None and times.total > old.total]
        out.add("cpu.max_core", max(per_cpu) if per_cpu else None)
        self._cpu_prev = {"cpu": stat.total, **stat.per_cpu}

    def _memory(self, texts: dict[str, str], ts: float, out: Sample) -> None:
        meminfo = parse_keyed(texts["/proc/meminfo"])
        total = meminfo.get("MemTotal", 0.0)
        if total:
            out.add("mem.total", total)
            out.add("mem.available_ratio", meminfo.get("MemAvailable", 0.0) / total)
        vmstat = parse_keyed(texts.get("/proc/vmstat", ""))
        for metric, key in (("swap.in_rate", "pswpin"), ("swap.out_rate", "pswpout"),
                            ("mem.major_faults_rate", "pgmajfault")):
            if key in vmstat:
                out.add(metric, self.rates.rate(key, vmstat[key], ts))
        if "oom_kill" in vmstat:
            out.add("mem.oom_kills", self.rates.delta("oom_kill", vmstat["oom_kill"]))

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

    def _local_processes(self, ts: float, with_io: bool) -> Iterator[ProcessCpu]:
        """Every process from psutil (the group of a pid is decided once: psutil keeps
        the same Process object while it lives, so cmdline is not read every sample)."""
        own = os.getpid()
        groups: dict[int, tuple[psutil.Process, str, str]] = {}
        for proc in psutil.process_iter():
            if proc.pid == own:
                continue
            try:
                known = self._groups.get(proc.pid)
                with proc.oneshot():
                    if known and known[0] is proc:
                        group, command = known[1], known[2]
                    else:
                        name, cmdline = proc.name(), proc.cmdline()
                        group, command = process_group(name, cmdline), short_command(name,
                                                                                     cmdline)
                    times, memory, ppid = proc.cpu_times(), proc.memory_info(), proc.ppid()
                    stopped = proc.status() in STOPPED_STATES
                io = _io_bytes(proc) if with_io else None
            except psutil.Error:
                continue  # exited or not ours to read
            groups[proc.pid] = (proc, group, command)
            yield ProcessCpu(proc.pid, ppid, group, times.user + times.system,
                             times.children_user + times.children_system, float(memory.rss),
                             ts, command, stopped, io)
        self._groups = groups

    def _remote_processes(self, texts: dict[str, str], ts: float, with_io: bool
                          ) -> Iterator[ProcessCpu]:
        """The same from the remote /proc/<pid>/stat and cmdline sections."""
        ticks, page = self.shell.sysconf()
        for proc in parse_process_table(texts, with_io):
            yield ProcessCpu(proc.pid, proc.ppid, process_group(proc.name, proc.cmdline),
                             proc.cpu_ticks / ticks, proc.children_ticks / ticks,
                             proc.rss_pages * page, ts, short_command(proc.name, proc.cmdline),
                             proc.state in STOPPED_STATES, proc.io_bytes)

    def _process_groups(self, processes: Iterator[ProcessCpu], ts: float, out: Sample) -> None:
        """CPU (cores), RSS, count and stopped processes per group; the top processes.

        Short-lived processes (PostgreSQL parallel workers, autovacuum, forked helpers)
        often start and exit between two samples; their CPU shows up only in their
        parent's reaped-children time, so that counts too, minus what was already
        counted for children seen alive before they vanished.
        """
        now = {proc.pid: proc for proc in processes}
        counted_before = _counted_in_gone(self._proc_prev, now)
        cpu: dict[str, float] = {}
        rss: dict[str, float] = {}
        count: dict[str, int] = {}
        stopped: dict[str, int] = {}
        cores: dict[int, float] = {}
        io_rate: dict[int, float] = {}
        for pid, proc in now.items():
            before = self._proc_prev.get(pid)
            if before is not None and ts > before.ts:
                used = (proc.own_s - before.own_s) + max(
                    0.0, proc.children_s - before.children_s - counted_before.get(pid, 0.0))
                cores[pid] = max(0.0, used) / (ts - before.ts)
                cpu[proc.group] = cpu.get(proc.group, 0.0) + cores[pid]
                if proc.io_bytes is not None and before.io_bytes is not None:
                    io_rate[pid] = max(0.0, proc.io_bytes - before.io_bytes) / (ts - before.ts)
            rss[proc.group] = rss.get(proc.group, 0.0) + proc.rss
            count[proc.group] = count.get(proc.group, 0) + 1
            stopped[proc.group] = stopped.get(proc.group, 0) + proc.stopped
        first = not self._proc_prev
        self._proc_prev = now
        for group in sorted(count):
            if not first:
                out.add(f"proc.cpu{{{group}}}", cpu.get(group, 0.0))
            out.add(f"proc.rss{{{group}}}", rss[group])
            out.add(f"proc.count{{{group}}}", count[group])
            out.add(f"proc.stopped{{{group}}}", stopped[group])
        out.processes.extend(_top_processes(now, cores, io_rate))

    def close(self) -> None:
        self.shell.close()


def _top_processes(now: dict[int, ProcessCpu], cores: dict[int, float],
                   io_rate: dict[int, float]) -> list[list[object]]:
    """Rows (pid, command, group, cores, rss, io bytes/s) of the processes using most CPU,
    memory and storage I/O: a handful per sample, whatever the host's process count."""
    def top(values: dict[int, float], floor: float) -> list[int]:
        ranked = sorted(values, key=values.__getitem__, reverse=True)[:TOP_PROCESSES]
        return [pid for pid in ranked if values[pid] >= floor]

    chosen = dict.fromkeys(top(cores, MIN_CPU_CORES) + top(io_rate, MIN_IO_RATE)
                           + top({pid: p.rss for pid, p in now.items()}, 0.0))
    return [[pid, now[pid].command, now[pid].group, round(cores.get(pid, 0.0), 4),
             now[pid].rss, round(io_rate[pid]) if pid in io_rate else None]
            for pid in chosen]


def _io_bytes(proc: psutil.Process) -> float | None:
    try:
        counters = proc.io_counters()
    except (psutil.AccessDenied, AttributeError):
        return None
    return float(counters.read_bytes + counters.write_bytes)


def _counted_in_gone(before: dict[int, ProcessCpu], now: dict[int, ProcessCpu]
                     ) -> dict[int, float]:
    """Per living parent: CPU seconds of its vanished descendants already counted.

    A tree that exits together (a test's PostgreSQL, a build) reaches the parent's
    reaped-children time as one sum that includes the grandchildren seen alive, so
    their last-seen CPU is credited to the top vanished process's parent too.
    """
    gone = {pid: proc for pid, proc in before.items() if pid not in now}
    children: dict[int, list[int]] = {}
    for pid, proc in gone.items():
        children.setdefault(proc.ppid, []).append(pid)

    def credit(pid: int) -> float:
        proc = gone[pid]
        return proc.own_s + proc.children_s + sum(credit(c) for c in children.get(pid, ()))

    counted: dict[int, float] = {}
    for pid, proc in gone.items():
        if proc.ppid not in gone:
            counted[proc.ppid] = counted.get(proc.ppid, 0.0) + credit(pid)
    return counted


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor
