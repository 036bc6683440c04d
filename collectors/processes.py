"""CPU, memory and I/O of the stack's processes, at a cost that does not grow with the host.

Why: reading every /proc/<pid> each second cost 10.5 ms a sample with 85 processes and
21.6 ms with 185; a production host with PHP-FPM children and a hundred database
backends has more. So every process is read only in a full scan: in the first two
samples, every RESCAN_S, and at most every BUSY_RESCAN_S while the host's CPU, memory or
a disk is busy with something not followed (to name an outside culprit). In between,
only the followed processes are read: the stack's (grouped by name, process_group) and
the outside ones that used most of a resource at the last look. A process started since
the last sample is found from the list of pids (one directory listing, taken only when
the kernel's fork counter moved) and classified once. The target's servers are found by
the ports they listen on (the app's URL, the DSNs): a process holding such a socket, and
its descendants, are the stack's (a server no name knows is the app's), and another
instance of a kind found there (a second PostgreSQL, another site's nginx) is outside.
Names alone decide where no watched port was found (PHP-FPM on a Unix socket).
Short-lived processes (PostgreSQL parallel workers, forked helpers) count through their
parent's reaped-children time.
What the followed processes do not explain is the host total minus the stack:
`proc.cpu{other}`.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace

from collectors.base import Sample
from collectors.procfs import ProcessStat, parse_process_table, process_globs, process_paths
from collectors.shell import Shell

RESCAN_S = 60.0              # every process is read this often, whatever happens
BUSY_RESCAN_S = 5.0          # and this often while something unfollowed is busy
UNFOLLOWED_CORES = 0.2       # host CPU beyond the followed processes that asks for a scan
TOP_PROCESSES = 3            # per resource and sample, written to processes.csv
MIN_CPU_CORES = 0.02         # a process below this is not worth a row
MIN_IO_RATE = 64 * 1024.0    # bytes/s
STOPPED_STATES = frozenset({"T", "t"})
EXITED_STATES = frozenset({"Z", "X"})  # a zombie has exited; only its parent's wait is left
OUTSIDE = "other"            # the group of every process outside the stack
PORT_GROUP = "app"           # the group of an unknown process serving a watched port
# The kinds of server a stack runs one of: a known server found on a watched port claims
# its kind, so the same kind elsewhere on the host is another stack's.
KINDS = {"app": "front", "nginx": "front", "php-fpm": "fastcgi", "postgres": "database",
         "mysql": "database", "redis": "redis"}
SELF_SERVED = "app"          # a front that is the application itself (needs no PHP-FPM)
NEVER_OWNERS = frozenset({1})  # init holds socket-activated ports for every service
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
    start: float = 0.0
    exited: bool = False


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
    return OUTSIDE


@dataclass
class ProcessWatch:
    """Which processes to read each sample, and what they used (see the module doc)."""

    _followed: dict[int, ProcessCpu] = field(default_factory=dict)  # their last reading
    _scanned: dict[int, ProcessCpu] = field(default_factory=dict)   # all, at the last scan
    _known: dict[int, float] = field(default_factory=dict)  # pid -> start, all classified
    _scans: int = 0
    _last_scan: float = -math.inf
    _scan_wanted: bool = False
    _forks: float | None = None
    _full: bool = False
    _listening: set[int] = field(default_factory=set)  # watched ports' sockets, resolved
    _owners: set[int] = field(default_factory=set)  # pids holding them
    _tree: dict[int, str] = field(default_factory=dict)  # owners and descendants -> group
    _claimed: set[str] = field(default_factory=set)  # server kinds found on watched ports

    def paths(self, ts: float, with_io: bool) -> tuple[str, ...]:
        """The per-process files this sample reads: every process's in a full scan."""
        since = ts - self._last_scan
        self._full = self._scans < 2 or since >= RESCAN_S or (
            self._scan_wanted and since >= BUSY_RESCAN_S)
        if self._full:
            return process_globs(with_io)
        return process_paths(sorted(self._followed), with_io, with_cmdline=False)

    @property
    def scanned(self) -> bool:
        """Whether the last sample read every process (a full scan)."""
        return self._full

    def stack_pids(self) -> dict[str, list[int]]:
        """The stack's processes by group, as followed now."""
        groups: dict[str, list[int]] = {}
        for pid, proc in sorted(self._followed.items()):
            if proc.group != OUTSIDE and not proc.exited:
                groups.setdefault(proc.group, []).append(pid)
        return groups

    def sample(self, shell: Shell, texts: dict[str, str], ts: float, with_io: bool,
               forks: float, busy_cores: float | None, memory_tight: bool,
               listening: set[int], out: Sample) -> None:
        """Per-group CPU (cores), RSS, count and stopped processes, and the top processes,
        from the files `paths` asked for (and the processes started since, read here).

        `listening`: the inodes of the sockets listening on the watched ports. The
        processes holding one, and their descendants, are the stack's (see `_placed`):
        found in a full scan, and inherited by the children they start.
        """
        first = not self._followed and not self._scanned
        if self._full:
            now, before = self._read_all(shell, texts, ts, with_io, listening)
        else:
            now, before = self._read_followed(shell, texts, ts, with_io, forks)
        self._forks = forks
        cores, io_rate = _rates(now, before, _counted_in_gone(self._followed, now))
        stack_cores = _add_groups(now, cores, first, out)
        if busy_cores is not None and not first:
            out.add(f"proc.cpu{{{OUTSIDE}}}", max(0.0, busy_cores - stack_cores))
        chosen = _top_pids(now, cores, io_rate)
        out.processes.extend([pid, now[pid].command, now[pid].group,
                              round(cores.get(pid, 0.0), 4), now[pid].rss,
                              round(io_rate[pid]) if pid in io_rate else None]
                             for pid in chosen)
        unrated = set() if self._full else {pid for pid in now if pid not in before}
        self._followed = {pid: proc for pid, proc in now.items()
                          if proc.group != OUTSIDE or pid in chosen or pid in unrated}
        if self._full:
            self._scans, self._last_scan, self._scanned = self._scans + 1, ts, now
        unfollowed = None if busy_cores is None else busy_cores - sum(cores.values())
        self._scan_wanted = memory_tight or with_io or listening != self._listening or (
            unfollowed is not None and unfollowed >= UNFOLLOWED_CORES)

    def _read_all(self, shell: Shell, texts: dict[str, str], ts: float, with_io: bool,
                  listening: set[int]) -> tuple[dict[int, ProcessCpu], dict[int, ProcessCpu]]:
        """A full scan's readings, and the earlier readings to take rates against; the
        watched ports' holders resolved again when the listening sockets changed."""
        ticks, page = shell.sysconf()
        now = {stat.pid: _reading(stat, ts, ticks, page)
               for stat in parse_process_table(texts, with_io)}
        self._known = {pid: proc.start for pid, proc in now.items()}
        if listening != self._listening:
            self._owners = shell.socket_owners(
                listening, [pid for pid in now if pid not in NEVER_OWNERS]) if listening \
                else set()
            self._listening = listening
        self._grow_trees(now)
        return ({pid: self._placed(proc) for pid, proc in now.items()},
                {**self._scanned, **self._followed})

    def _grow_trees(self, now: dict[int, ProcessCpu]) -> None:
        """The target's process trees from the owners of the watched ports, and the server
        kinds they claim: a known server (by name) claims its kind; the reference app
        serving the URL itself claims PHP-FPM's too."""
        roots = {pid: now[pid].group for pid in self._owners if pid in now}
        self._claimed = {KINDS[group] for group in roots.values() if group in KINDS}
        if SELF_SERVED in roots.values():
            self._claimed.add(KINDS["php-fpm"])
        self._tree = {pid: group if group != OUTSIDE else PORT_GROUP
                      for pid, group in roots.items()}
        children: dict[int, list[int]] = {}
        for pid, proc in now.items():
            children.setdefault(proc.ppid, []).append(pid)
        parents = list(self._tree)
        while parents:
            parent = parents.pop()
            for child in children.get(parent, ()):
                if child not in self._tree:
                    self._tree[child] = _inherited(now[child].group, self._tree[parent])
                    parents.append(child)

    def _placed(self, proc: ProcessCpu) -> ProcessCpu:
        """The process's group within the stack: its tree's, or outside when its kind was
        found on a watched port and it is not in that tree (another stack's server)."""
        group = self._tree.get(proc.pid)
        if group is None:
            group = OUTSIDE if KINDS.get(proc.group) in self._claimed else proc.group
        return proc if group == proc.group else replace(proc, group=group)

    def _read_followed(self, shell: Shell, texts: dict[str, str], ts: float, with_io: bool,
                       forks: float) -> tuple[dict[int, ProcessCpu], dict[int, ProcessCpu]]:
        """The followed processes' readings (group and command kept), and those started
        since the last sample when the fork counter moved."""
        ticks, page = shell.sysconf()
        now, reused = {}, []
        for stat in parse_process_table(texts, with_io):
            known = self._followed.get(stat.pid)
            if known is not None and known.start == stat.start:
                now[stat.pid] = _reading(stat, ts, ticks, page, known)
            else:
                reused.append(stat.pid)
        if forks != self._forks or reused:
            now.update(self._started(shell, reused, ts, with_io))
        return now, self._followed

    def _started(self, shell: Shell, reused: list[int], ts: float, with_io: bool
                 ) -> dict[int, ProcessCpu]:
        """Processes started since the last sample (and followed pids now reused)."""
        pids = shell.pids()
        self._known = {pid: start for pid, start in self._known.items() if pid in pids}
        self._tree = {pid: group for pid, group in self._tree.items() if pid in pids}
        new = sorted({pid for pid in pids if pid not in self._known} | set(reused))
        if not new:
            return {}
        ticks, page = shell.sysconf()
        texts = shell.read_files(process_paths(new, with_io, with_cmdline=True))
        found = {stat.pid: _reading(stat, ts, ticks, page)
                 for stat in parse_process_table(texts, with_io)}
        self._known.update({pid: proc.start for pid, proc in found.items()})
        for pid in sorted(found, key=lambda pid: found[pid].start):  # parents first
            proc = found[pid]
            if proc.ppid in self._tree:  # a server's new worker, or its helper
                self._tree[pid] = _inherited(proc.group, self._tree[proc.ppid])
            found[pid] = self._placed(proc)
        return found


def _reading(stat: ProcessStat, ts: float, ticks: int, page: int,
             known: ProcessCpu | None = None) -> ProcessCpu:
    """A process's reading in units; its group and command from `known` when followed."""
    group, command = ((known.group, known.command) if known is not None else
                      (process_group(stat.name, stat.cmdline),
                       short_command(stat.name, stat.cmdline)))
    return ProcessCpu(stat.pid, stat.ppid, group, stat.cpu_ticks / ticks,
                      stat.children_ticks / ticks, stat.rss_pages * page, ts, command,
                      stat.state in STOPPED_STATES, stat.io_bytes, stat.start,
                      stat.state in EXITED_STATES)


def _inherited(own: str, parent: str) -> str:
    """A descendant in the target's tree keeps a stack name of its own, else takes its
    parent's group (Apache's workers, a backup script PostgreSQL runs)."""
    return own if own != OUTSIDE else parent


def _rates(now: dict[int, ProcessCpu], before: dict[int, ProcessCpu],
           counted_before: dict[int, float]) -> tuple[dict[int, float], dict[int, float]]:
    """Cores and I/O bytes/s of each process read before (the same process: same start).

    A parent's reaped-children time counts too, minus what was already counted for
    children seen alive before they vanished (`counted_before`).
    """
    cores: dict[int, float] = {}
    io_rate: dict[int, float] = {}
    for pid, proc in now.items():
        old = before.get(pid)
        span = 0.0 if old is None or old.start != proc.start else proc.ts - old.ts
        if old is None or span <= 0:
            continue
        used = (proc.own_s - old.own_s) + max(
            0.0, proc.children_s - old.children_s - counted_before.get(pid, 0.0))
        cores[pid] = max(0.0, used) / span
        if proc.io_bytes is not None and old.io_bytes is not None:
            io_rate[pid] = max(0.0, proc.io_bytes - old.io_bytes) / span
    return cores, io_rate


def _add_groups(now: dict[int, ProcessCpu], cores: dict[int, float], first: bool,
                out: Sample) -> float:
    """proc.cpu/rss/count/stopped of each stack group; returns the stack's cores."""
    cpu: dict[str, float] = {}
    rss: dict[str, float] = {}
    count: dict[str, int] = {}
    stopped: dict[str, int] = {}
    for pid, proc in now.items():
        if proc.group == OUTSIDE or proc.exited:  # a crashed server its parent never reaped
            continue
        cpu[proc.group] = cpu.get(proc.group, 0.0) + cores.get(pid, 0.0)
        rss[proc.group] = rss.get(proc.group, 0.0) + proc.rss
        count[proc.group] = count.get(proc.group, 0) + 1
        stopped[proc.group] = stopped.get(proc.group, 0) + proc.stopped
    for group in sorted(count):
        if not first:
            out.add(f"proc.cpu{{{group}}}", cpu[group])
        out.add(f"proc.rss{{{group}}}", rss[group])
        out.add(f"proc.count{{{group}}}", count[group])
        out.add(f"proc.stopped{{{group}}}", stopped[group])
    return sum(cpu.values())


def _top_pids(now: dict[int, ProcessCpu], cores: dict[int, float],
              io_rate: dict[int, float]) -> list[int]:
    """The processes using most CPU, memory and storage I/O (their rows go to
    processes.csv): a handful per sample, whatever the host's process count."""
    def top(values: dict[int, float], floor: float) -> list[int]:
        ranked = sorted(values, key=values.__getitem__, reverse=True)[:TOP_PROCESSES]
        return [pid for pid in ranked if values[pid] >= floor]

    return list(dict.fromkeys(top(cores, MIN_CPU_CORES) + top(io_rate, MIN_IO_RATE)
                              + top({pid: p.rss for pid, p in now.items()}, 0.0)))


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
