"""The /proc parsers and the host collector's arithmetic, on snapshots captured from a real host.

t0 and t1 were taken around a 200 MiB direct write to vda and a second of CPU spin.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from pathlib import Path

import pytest

from collectors.base import Rates
from collectors.host import HostCollector
from collectors.processes import process_group, short_command
from collectors.procfs import (
    MOUNTS_FILE,
    PROC_FILES,
    PROCESS_IO_GLOB,
    TCP_FILES,
    Listener,
    parse_diskstats,
    parse_head,
    parse_keyed,
    parse_listeners,
    parse_mounts,
    parse_net_dev,
    parse_pressure,
    parse_process_table,
    parse_stat,
    parse_tcp_retrans,
)
from collectors.shell import Space

SNAPSHOTS = Path(__file__).parent / "proc_snapshots"


class SnapshotShell:
    """Serves /proc files from a captured snapshot directory (the sysconf of Linux x86)."""

    name = "snapshot"
    local = False

    def __init__(self, directory: Path, processes: dict[str, str] | None = None,
                 sockets: dict[int, int] | None = None) -> None:
        self.directory = directory
        self.processes = processes or {}
        self.sockets = sockets or {}  # socket inode -> the pid holding it

    def read_files(self, paths: tuple[str, ...]) -> dict[str, str]:
        self.asked = paths
        texts = {}
        for path in paths:
            file = self.directory / path.removeprefix("/proc/").replace("/", "_")
            if file.exists():
                texts[path] = file.read_text()
        texts.update({path: text for path, text in self.processes.items()
                      if any(fnmatch.fnmatch(path, pattern) for pattern in paths)})
        return texts

    def sysconf(self) -> tuple[int, int]:
        return 100, 4096

    def pids(self) -> set[int]:
        return {int(part) for path in self.processes
                if (part := path.split("/")[2]).isdigit()}

    def socket_owners(self, inodes: set[int], pids: Iterable[int]) -> set[int]:
        return {self.sockets[inode] for inode in inodes if inode in self.sockets} & set(pids)

    def statfs(self, mounts: list[str]) -> dict[str, Space]:
        return {mount: Space(100e9, 40e9, 35e9) for mount in mounts}

    def close(self) -> None:
        pass


def read(snapshot: str, name: str) -> str:
    return (SNAPSHOTS / snapshot / name).read_text()


def test_stat_has_total_and_per_cpu_times() -> None:
    stat = parse_stat(read("t0", "stat"))
    assert len(stat.per_cpu) >= 1
    assert stat.total.total == pytest.approx(sum(t.total for t in stat.per_cpu.values()), rel=0.01)
    assert stat.procs_running >= 1


def test_stat_without_cpu_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="no cpu line"):
        parse_stat("intr 1 2 3\n")


def test_meminfo_is_in_bytes_and_vmstat_is_plain() -> None:
    meminfo = parse_keyed(read("t0", "meminfo"))
    assert 0 < meminfo["MemAvailable"] <= meminfo["MemTotal"]
    assert meminfo["MemTotal"] % 1024 == 0
    vmstat = parse_keyed(read("t0", "vmstat"))
    assert "pgmajfault" in vmstat
    wanted = ("pgmajfault", "pswpin", "MemTotal")  # one of them is not in vmstat
    assert parse_keyed(read("t0", "vmstat"), wanted) == {
        key: vmstat[key] for key in wanted if key in vmstat}
    assert parse_keyed(read("t0", "meminfo"), ("MemTotal",)) == {
        "MemTotal": meminfo["MemTotal"]}


def test_diskstats_keeps_whole_disks_only() -> None:
    disks = parse_diskstats(read("t0", "diskstats"))
    assert "vda" in disks
    assert not any(name.startswith(("loop", "ram")) for name in disks)
    assert parse_diskstats("   8       1 sda1 1 2 3 4 5 6 7 8 9 10 11\n") == {}


def test_net_dev_skips_loopback() -> None:
    text = ("Inter-| h\n face | h\n    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n"
            "  eth0: 2000 5 0 0 0 0 0 0 3000 6 0 0 0 0 0 0\n")
    assert parse_net_dev(text) == (2000.0, 3000.0)


def test_tcp_retransmits_and_missing_tcp_lines() -> None:
    assert parse_tcp_retrans(read("t0", "net_snmp")) >= 0
    with pytest.raises(ValueError):
        parse_tcp_retrans("Udp: InDatagrams\nUdp: 5\n")


def test_listeners_are_the_listening_sockets_on_chosen_ports_with_queue_and_inode() -> None:
    header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid" \
             "  timeout inode\n"
    tail = "00:00000000 00000000     0        0"
    listening = f"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000007 {tail} 4665996 1 0\n"
    established = f"   1: 0100007F:1F90 0100007F:C350 01 00000000:00000003 {tail} 4665997 1 0\n"
    other_port = f"   2: 0100007F:0016 00000000:0000 0A 00000000:00000009 {tail} 4665998 1 0\n"
    text = header + listening + established + other_port
    assert parse_listeners(text, {8080}) == [Listener(8080, 7, 4665996)]


def test_pressure_some_avg10_as_a_share() -> None:
    assert parse_pressure("some avg10=12.50 avg60=1.00 avg300=0.00 total=5\n"
                          "full avg10=1.00 avg60=0 avg300=0 total=1\n") == pytest.approx(0.125)
    assert parse_pressure("") is None


def test_process_table_handles_odd_command_names_and_vanished_processes() -> None:
    fields = " ".join(["S"] + ["0"] * 10 + ["150", "50"] + ["0"] * 8 + ["2560"])
    texts = {
        "/proc/10/stat": f"10 (php-fpm: pool (www)) {fields}\n",
        "/proc/10/cmdline": "php-fpm: pool www\0",
        "/proc/11/cmdline": "gone\0",  # exited between the glob and the read of stat
        "/proc/12/stat": "12 (broken\n",
    }
    (proc,) = parse_process_table(texts)
    assert (proc.pid, proc.name, proc.cmdline) == (10, "php-fpm: pool (www)", ["php-fpm: pool www"])
    assert (proc.cpu_ticks, proc.rss_pages) == (200.0, 2560.0)


def test_head_output_is_split_per_file_and_a_forged_header_cannot_replace_a_file() -> None:
    text = ("==> /proc/loadavg <==\n0.50 0.40 0.30 1/100 42\n\n"
            "==> /proc/7/cmdline <==\nevil\n==> /proc/loadavg <==\n9 9 9 1/1 1\0\n"
            "==> /proc/7/stat <==\n7 (evil) S\n")
    texts = parse_head(text)
    assert texts["/proc/loadavg"] == "0.50 0.40 0.30 1/100 42\n"
    assert texts["/proc/7/cmdline"] == "evil\n"
    assert texts["/proc/7/stat"] == "7 (evil) S\n"


@pytest.mark.parametrize(("name", "cmdline", "group"), [
    ("postgres", ["postgres: esppd esppd 127.0.0.1(5) idle"], "postgres"),
    ("python", ["esppd-app: worker 1"], "app"),
    ("python", ["python", "-m", "reference_app.worker"], "queue"),
    ("php", ["php", "artisan", "queue:work", "redis"], "queue"),
    ("php-fpm8.2", ["php-fpm: pool www"], "php-fpm"),
    ("redis-server", ["redis-server 127.0.0.1:6379"], "redis"),
    ("mariadbd", ["/usr/sbin/mariadbd", "--defaults-file=/tmp/my.cnf"], "mysql"),
    ("mysqld", ["/usr/sbin/mysqld"], "mysql"),
    ("nginx", ["nginx: worker process"], "nginx"),
    ("locust", ["python", "-m", "locust", "--worker"], "locust"),
    ("python", ["python", "-m", "collectors", "--out", "x"], "collector"),
    ("bash", ["bash"], "other"),
])
def test_process_groups(name: str, cmdline: list[str], group: str) -> None:
    assert process_group(name, cmdline) == group


def test_rates_first_sample_reset_and_normal() -> None:
    rates = Rates()
    assert rates.rate("c", 100, 10.0) is None           # first sample: history, not a rate
    assert rates.rate("c", 150, 12.0) == pytest.approx(25.0)
    assert rates.rate("c", 20, 13.0) is None            # went backwards: a reset
    assert rates.rate("c", 30, 14.0) == pytest.approx(10.0)
    assert rates.rate("c", 40, 14.0) is None            # no time passed
    assert rates.delta("d", 5) is None
    assert rates.delta("d", 8) == 3
    assert rates.delta("d", 1) is None


def host_sample(collector: HostCollector, snapshot: str, ts: float) -> dict[str, float]:
    collector.shell = SnapshotShell(SNAPSHOTS / snapshot, collector.shell.processes)
    return dict(collector.sample(ts).metrics)


def test_host_collector_turns_two_snapshots_into_use_metrics() -> None:
    pid_fields = " ".join(["S"] + ["0"] * 10 + ["{}", "0"] + ["0"] * 8 + ["1000"])
    processes = {"/proc/5/stat": "5 (postgres) " + pid_fields.format(100),
                 "/proc/5/cmdline": "postgres: checkpointer\0"}
    collector = HostCollector(SnapshotShell(SNAPSHOTS / "t0", processes), ports={8080})
    first = host_sample(collector, "t0", 100.0)
    assert "cpu.util" not in first and "disk.util{vda}" not in first  # no rate from one sample
    assert first["mem.available_ratio"] > 0
    assert first["proc.rss{postgres}"] == 1000 * 4096 and "proc.cpu{postgres}" not in first
    # The filesystems' space on the first sample (then every 5th): the disk and the tmpfs.
    assert first["fs.used_ratio{/}"] == pytest.approx(60 / 95)  # df: used / (used + avail)
    assert first["fs.available_bytes{/dev/shm}"] == 35e9 and "fs.used_ratio{/proc}" not in first
    assert first["fs.read_only{/}"] == 0.0  # mounted rw
    collector.shell.processes["/proc/5/stat"] = "5 (postgres) " + pid_fields.format(150)
    second = host_sample(collector, "t1", 102.0)
    assert 0 < second["cpu.util"] <= 1
    assert second["cpu.max_core"] >= second["cpu.util"]
    t0, t1 = (parse_diskstats(read(s, "diskstats"))["vda"] for s in ("t0", "t1"))
    written = (t1.write_sectors - t0.write_sectors) * 512
    assert written >= 200 * 2**20  # the dd between the snapshots
    assert second["disk.write_bytes_rate{vda}"] == pytest.approx(written / 2)
    assert second["disk.iops{vda}"] == pytest.approx((t1.reads + t1.writes - t0.reads
                                                      - t0.writes) / 2)
    assert 0 <= second["disk.util{vda}"] <= 1
    assert second["proc.cpu{postgres}"] == pytest.approx(0.25)  # 50 ticks at 100 Hz over 2 s
    assert second["listen.backlog{8080}"] == 0
    assert {"load.avg1", "net.rx_bytes_rate", "tcp.retrans_rate", "pressure.cpu"} <= set(second)
    assert "fs.used_ratio{/}" not in second


def test_a_disk_appearing_mid_run_yields_no_spike(tmp_path: Path) -> None:
    for snapshot in ("t0", "t1"):
        (tmp_path / snapshot).mkdir()
        for file in (SNAPSHOTS / snapshot).iterdir():
            (tmp_path / snapshot / file.name).write_text(file.read_text())
    new_disk = " 259 0 nvme0n1 900000 0 9000000 100 900000 0 9000000 100 0 500000 900 0 0 0 0\n"
    with open(tmp_path / "t1" / "diskstats", "a") as file:
        file.write(new_disk)
    collector = HostCollector(SnapshotShell(tmp_path / "t0"))
    collector.sample(1.0)
    collector.shell = SnapshotShell(tmp_path / "t1")
    metrics = dict(collector.sample(2.0).metrics)
    assert "disk.util{nvme0n1}" not in metrics and "disk.util{vda}" in metrics


def test_every_proc_file_of_the_snapshot_is_used() -> None:
    names = {path.removeprefix("/proc/").replace("/", "_")
             for path in (*PROC_FILES, *TCP_FILES, MOUNTS_FILE)}
    assert names == {file.name for file in (SNAPSHOTS / "t0").iterdir()}


def test_tcp6_is_read_only_while_a_watched_port_may_listen_there(tmp_path: Path) -> None:
    header = "  sl  local_address rem_address   st tx_queue:rx_queue\n"
    (tmp_path / "stat").write_text(read("t0", "stat"))
    (tmp_path / "meminfo").write_text(read("t0", "meminfo"))
    (tmp_path / "loadavg").write_text(read("t0", "loadavg"))
    (tmp_path / "net_tcp").write_text(
        header + "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000002 00:00000000 0\n")
    (tmp_path / "net_tcp6").write_text(header)
    shell = SnapshotShell(tmp_path)
    collector = HostCollector(shell, ports={8080, 8443})
    assert dict(collector.sample(1.0).metrics)["listen.backlog{8443}"] == 0
    collector.sample(2.0)
    assert "/proc/net/tcp6" in shell.asked  # 8443 is not on IPv4: it may come up on IPv6
    collector.ports = {8080}
    collector.sample(3.0)
    metrics = dict(collector.sample(4.0).metrics)
    assert "/proc/net/tcp6" not in shell.asked and metrics["listen.backlog{8080}"] == 2


def stat_line(pid: int, ppid: int, name: str, own: int, children: int, rss: int = 100,
              state: str = "S") -> str:
    """A /proc/<pid>/stat line with utime=own, cutime=children ticks and `rss` pages."""
    fields = [state, str(ppid)] + ["0"] * 9 + [str(own), "0", str(children), "0"] + ["0"] * 6
    return f"{pid} ({name}) {' '.join([*fields, str(rss)])}\n"


def test_between_scans_only_the_stack_and_the_busiest_outside_processes_are_read() -> None:
    """300 idle processes cost nothing after the first two samples (full scans); a process
    started later is found through the fork counter and classified once."""
    processes = {}
    for pid, name, rss in [(5, "postgres", 5000), (6, "python3", 3000),
                           *((pid, "sleep", 100) for pid in range(100, 400))]:
        processes[f"/proc/{pid}/stat"] = stat_line(pid, 1, name, 0, 0, rss)
        processes[f"/proc/{pid}/cmdline"] = f"{name}\0"
    shell = SnapshotShell(SNAPSHOTS / "t0", processes)
    collector = HostCollector(shell)
    collector.sample(0.0)
    processes["/proc/6/stat"] = stat_line(6, 1, "python3", 100, 0, 3000)  # a busy outsider
    collector.sample(1.0)
    assert "/proc/[0-9]*/stat" in shell.asked  # the first two samples scan every process
    processes["/proc/6/stat"] = stat_line(6, 1, "python3", 200, 0, 3000)
    third = collector.sample(2.0)
    per_process = {path for path in shell.asked if path not in PROC_FILES}
    # the stack, the CPU top, the RSS top 3
    assert per_process == {"/proc/5/stat", "/proc/6/stat", "/proc/100/stat"}
    assert {row[0] for row in third.processes} == {5, 6, 100}
    # A queue worker starts stopped: the kernel's fork counter moves, the pid list is read.
    processes["/proc/stat"] = read("t0", "stat").replace("\nprocesses ", "\nprocesses 1")
    processes["/proc/7/stat"] = stat_line(7, 1, "php", 0, 0, 2000, state="T")
    processes["/proc/7/cmdline"] = "php\0artisan\0queue:work\0"
    fourth = dict(collector.sample(3.0).metrics)
    assert fourth["proc.count{queue}"] == 1 and fourth["proc.stopped{queue}"] == 1
    collector.sample(4.0)
    assert "/proc/7/stat" in shell.asked and "/proc/7/cmdline" not in shell.asked


def listening_on(*sockets: tuple[int, int]) -> str:
    """/proc/net/tcp with a LISTEN socket per (port, inode)."""
    tail = "00:00000000 00000000     0        0"
    return "  sl  local_address rem_address   st tx_queue rx_queue\n" + "".join(
        f"   {n}: 0100007F:{port:04X} 00000000:0000 0A 00000000:00000000 {tail} {inode} 1 0\n"
        for n, (port, inode) in enumerate(sockets))


def crowded_host(*extra: tuple[int, int, str, str]) -> dict[str, str]:
    """Two nginx, two PostgreSQL with a backend each, a PHP-FPM pool on a Unix socket and
    a Redis: (pid, ppid, name, command line) each, plus `extra`."""
    processes = {"/proc/net/tcp": listening_on((8080, 111), (5432, 222))}
    for pid, ppid, name, cmdline in [
            (10, 1, "nginx", "nginx: master process"), (11, 10, "nginx", "nginx: worker"),
            (20, 1, "nginx", "nginx: master process"), (21, 20, "nginx", "nginx: worker"),
            (30, 1, "postgres", "/usr/lib/postgresql/15/bin/postgres"),
            (31, 30, "postgres", "postgres: esppd esppd 127.0.0.1"),
            (32, 31, "sh", "sh -c cp pg_wal/x /backup"),
            (40, 1, "postgres", "/usr/lib/postgresql/15/bin/postgres"),
            (41, 40, "postgres", "postgres: other other 127.0.0.1"),
            (50, 1, "php-fpm8.2", "php-fpm: master process"),
            (51, 50, "php-fpm8.2", "php-fpm: pool www"),
            (60, 1, "redis-server", "redis-server 127.0.0.1:6379"), *extra]:
        processes[f"/proc/{pid}/stat"] = stat_line(pid, ppid, name, 0, 0)
        processes[f"/proc/{pid}/cmdline"] = cmdline.replace(" ", "\0") + "\0"
    return processes


def test_the_target_s_servers_are_the_trees_on_the_watched_ports() -> None:
    """The nginx and PostgreSQL listening on the target's ports, with their descendants,
    are the stack's; the other nginx and PostgreSQL on the host are outside. PHP-FPM on a
    Unix socket and a Redis no port names are counted by name."""
    processes = crowded_host()
    shell = SnapshotShell(SNAPSHOTS / "t0", processes, sockets={111: 10, 222: 30})
    collector = HostCollector(shell, {8080}, {5432})
    collector.sample(0.0)
    first = dict(collector.sample(1.0).metrics)
    assert (first["proc.count{nginx}"], first["proc.count{postgres}"]) == (2, 3)
    assert (first["proc.count{php-fpm}"], first["proc.count{redis}"]) == (2, 1)
    assert "listen.backlog{5432}" not in first and first["listen.backlog{8080}"] == 0
    # New workers of both nginx: the fork counter moves, each is placed by its parent.
    processes["/proc/stat"] = read("t0", "stat").replace("\nprocesses ", "\nprocesses 1")
    for pid, ppid in ((12, 10), (22, 20)):
        processes[f"/proc/{pid}/stat"] = stat_line(pid, ppid, "nginx", 0, 0)
        processes[f"/proc/{pid}/cmdline"] = "nginx: worker\0"
    assert dict(collector.sample(2.0).metrics)["proc.count{nginx}"] == 3


def test_names_decide_where_no_watched_port_is_held() -> None:
    """Without the ports (or without the right to read others' descriptors) every server
    by name is the stack's; the reference app serving the URL itself runs no PHP-FPM."""
    unwatched = HostCollector(SnapshotShell(SNAPSHOTS / "t0", crowded_host()))
    unwatched.sample(0.0)
    metrics = dict(unwatched.sample(1.0).metrics)
    assert (metrics["proc.count{nginx}"], metrics["proc.count{postgres}"]) == (4, 4)
    shell = SnapshotShell(SNAPSHOTS / "t0", crowded_host((70, 1, "python3", "esppd-app")),
                          sockets={111: 70, 222: 30})
    python_app = HostCollector(shell, {8080}, {5432})
    python_app.sample(0.0)
    metrics = dict(python_app.sample(1.0).metrics)
    assert metrics["proc.count{app}"] == 1
    assert "proc.count{nginx}" not in metrics and "proc.count{php-fpm}" not in metrics


def test_short_lived_children_count_once_for_their_parents_group() -> None:
    """A parallel worker seen alive, then reaped, is not counted twice; one never seen is."""
    shell = SnapshotShell(SNAPSHOTS / "t0")
    collector = HostCollector(shell)

    def sample(ts: float, *stats: str) -> dict[str, float]:
        shell.processes = {}
        for line in stats:
            pid = line.split()[0]
            shell.processes[f"/proc/{pid}/stat"] = line
            shell.processes[f"/proc/{pid}/cmdline"] = "postgres: esppd\0"
        return dict(collector.sample(ts).metrics)

    sample(0.0, stat_line(10, 1, "postgres", 100, 0), stat_line(11, 10, "postgres", 20, 0))
    # The child ran 30 more ticks and was reaped (parent cutime 50); another child lived
    # and died between the samples with 40 ticks (parent cutime 50 + 40 = 90).
    second = sample(1.0, stat_line(10, 1, "postgres", 110, 90))
    # parent 10 + (90 - (20 seen before)) = 80 ticks = 0.8 s over 1 s
    assert second["proc.cpu{postgres}"] == pytest.approx(0.8)


def test_a_tree_that_exits_together_is_not_counted_twice() -> None:
    """A child and its grandchild, both seen alive, exit in one interval: the parent's
    reaped time then holds both, and only their CPU since the last sample is new."""
    shell = SnapshotShell(SNAPSHOTS / "t0")
    collector = HostCollector(shell)

    def sample(ts: float, *stats: str) -> dict[str, float]:
        shell.processes = {}
        for line in stats:
            pid = line.split()[0]
            shell.processes[f"/proc/{pid}/stat"] = line
            shell.processes[f"/proc/{pid}/cmdline"] = line.split()[1].strip("()") + "\0"
        return dict(collector.sample(ts).metrics)

    sample(0.0, stat_line(10, 1, "nginx", 100, 0), stat_line(11, 10, "postgres", 300, 0),
           stat_line(12, 11, "postgres", 500, 0))
    # 12 ran 5 more ticks, 11 reaped it and ran 5 more itself; 10 reaped 11:
    # 10's cutime = 305 + (505) = 810, and only 10 ticks of it are new.
    second = sample(1.0, stat_line(10, 1, "nginx", 100, 810))
    assert second["proc.cpu{nginx}"] == pytest.approx(0.1)


def _disk_busy_for(tmp_path: Path, ms: int) -> Path:
    """Snapshot t1 with vda's busy time (io_ticks) advanced by `ms`."""
    folder = tmp_path / f"busy{ms}"
    folder.mkdir(exist_ok=True)
    for file in (SNAPSHOTS / "t1").iterdir():
        (folder / file.name).write_text(file.read_text())
    lines = []
    for line in (folder / "diskstats").read_text().splitlines():
        fields = line.split()
        if fields[2] == "vda":
            fields[12] = str(int(fields[12]) + ms)
        lines.append(" ".join(fields))
    (folder / "diskstats").write_text("\n".join(lines) + "\n")
    return folder


def test_top_processes_stopped_ones_and_io_read_only_while_a_disk_is_busy(
        tmp_path: Path) -> None:
    def stat(pid: int, name: str, state: str, ticks: int) -> str:
        return f"{pid} ({name}) " + " ".join([state] + ["0"] * 10 + [str(ticks), "0"]
                                             + ["0"] * 8 + ["2000"])

    def io(written: int) -> str:
        return f"rchar: 0\nread_bytes: 0\nwrite_bytes: {written}\n"

    processes = {"/proc/6/stat": stat(6, "dd", "D", 10),
                 "/proc/6/cmdline": "dd\0if=/dev/zero\0of=/srv/big\0",
                 "/proc/6/io": io(0),
                 "/proc/7/stat": stat(7, "php-fpm8.2", "T", 0),
                 "/proc/7/cmdline": "php-fpm: pool www\0"}
    collector = HostCollector(SnapshotShell(SNAPSHOTS / "t1", processes))
    first = host_sample(collector, "t1", 100.0)
    assert first["proc.stopped{php-fpm}"] == 1
    assert "proc.stopped{other}" not in first  # outside the stack, only the host totals count
    processes["/proc/6/stat"] = stat(6, "dd", "D", 110)
    collector.shell = SnapshotShell(_disk_busy_for(tmp_path, 900), processes)
    rows = {row[0]: row for row in collector.sample(101.0).processes}
    assert PROCESS_IO_GLOB not in collector.shell.asked  # no disk was busy before
    _, command, group, cores, rss, io_rate = rows[6]
    assert (command, group) == ("dd", "other")  # never its arguments
    assert cores == pytest.approx(1.0) and rss == 2000 * 4096
    assert io_rate is None  # the disk was found 90% busy now: counters from the next sample
    processes["/proc/6/io"] = io(100_000_000)
    collector.shell = SnapshotShell(_disk_busy_for(tmp_path, 1800), processes)
    collector.sample(102.0)
    assert "/proc/6/io" in collector.shell.asked  # the busy outside process is followed
    assert PROCESS_IO_GLOB not in collector.shell.asked  # after two full scans, the followed
    processes["/proc/6/io"] = io(300_000_000)
    collector.shell = SnapshotShell(_disk_busy_for(tmp_path, 2700), processes)
    rows = {row[0]: row for row in collector.sample(103.0).processes}
    assert rows[6][5] == pytest.approx(200e6)
    collector.shell = SnapshotShell(_disk_busy_for(tmp_path, 2700), processes)  # idle now
    collector.sample(104.0)
    collector.shell = SnapshotShell(_disk_busy_for(tmp_path, 2700), processes)
    collector.sample(105.0)
    assert "/proc/6/io" not in collector.shell.asked


@pytest.mark.parametrize(("name", "cmdline", "command"), [
    ("python3", ["/usr/bin/python3", "/opt/backup.py", "--password=x"], "python3 backup.py"),
    ("python3", ["python3", "-m", "celery", "worker"], "python3 -m celery"),
    ("mysql", ["mysql", "-psecret", "esppd"], "mysql"),
    ("postgres", ["postgres: esppd esppd 10.0.0.1(5432) idle"], "postgres"),
    ("kworker/0:1", [], "kworker/0:1"),
])
def test_short_command_names_the_program_never_its_arguments(
        name: str, cmdline: list[str], command: str) -> None:
    assert short_command(name, cmdline) == command


def test_mounts_that_can_fill_up_one_per_device_and_which_are_read_only() -> None:
    text = ("/dev/vda1 / ext4 rw 0 0\n"
            "/dev/vda1 /var/lib/docker ext4 rw 0 0\n"              # the same filesystem
            "/dev/vdb1 /srv/esppd\\040data xfs rw 0 0\n"            # an escaped space
            "tmpfs /dev/shm tmpfs rw 0 0\ntmpfs /run tmpfs rw 0 0\n"  # each tmpfs its own
            "tmpfs /srv/esppd/storage tmpfs ro,relatime,size=8192k 0 0\n"  # remounted ro
            "proc /proc proc rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n")
    assert parse_mounts(text) == {"/": False, "/dev/shm": False, "/run": False,
                                  "/srv/esppd data": False, "/srv/esppd/storage": True}
