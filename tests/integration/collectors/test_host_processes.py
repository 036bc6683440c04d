"""The local host collector names the processes using the host, counts stopped workers,
and reads only the stack's processes between full scans, however many the host runs."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from collectors.host import HostCollector
from collectors.processes import TOP_PROCESSES
from collectors.procfs import PROC_FILES, parse_listeners
from collectors.shell import LocalShell
from supervision import wait_for_port
from supervision.servers import PostgresServer

BUSY_LOOP = [sys.executable, "-c", "while True: pass"]
# A queue worker by its command line (process_group), sleeping instead of working.
QUEUE_WORKER = [sys.executable, "-c", "import time; time.sleep(60)", "reference_app.worker"]


class RecordingShell(LocalShell):
    """The real local shell, remembering which files each call read."""

    asked: tuple[str, ...] = ()

    def read_files(self, paths: tuple[str, ...]) -> dict[str, str]:
        self.asked = paths
        return super().read_files(paths)


@pytest.fixture
def spawned() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        process.kill()
        process.wait()


def test_a_busy_process_is_listed_and_a_stopped_worker_counted(
        spawned: list[subprocess.Popen[bytes]]) -> None:
    busy = subprocess.Popen(BUSY_LOOP)
    worker = subprocess.Popen(QUEUE_WORKER)
    spawned += [busy, worker]
    worker.send_signal(signal.SIGSTOP)
    collector = HostCollector(LocalShell())
    collector.sample(time.time())
    time.sleep(1.0)
    sample = collector.sample(time.time())
    metrics = dict(sample.metrics)
    assert metrics["proc.stopped{queue}"] >= 1
    rows = {row[0]: row for row in sample.processes}
    assert busy.pid in rows, "a process using a whole core is among the top CPU users"
    _, command, group, cores, rss, _ = rows[busy.pid]
    assert command.startswith("python") and group == "other"
    assert cores > 0.1 and rss > 0  # a loaded 2-core host gives it less than a core
    assert len(sample.processes) <= 9  # a handful per sample, whatever the host runs
    assert metrics["proc.cpu{other}"] >= cores * 0.8  # the host total minus the stack


def test_a_server_that_died_unreaped_is_no_longer_counted(
        spawned: list[subprocess.Popen[bytes]]) -> None:
    """A crashed server whose parent never waited for it stays in /proc as a zombie: it
    serves nothing, so its group counts one process less (the sign of a server gone)."""
    worker = subprocess.Popen(QUEUE_WORKER)
    spawned.append(worker)
    collector = HostCollector(LocalShell())
    collector.sample(time.time())
    time.sleep(0.5)
    alive = dict(collector.sample(time.time()).metrics)
    worker.kill()  # not waited for: a zombie until the fixture reaps it
    time.sleep(0.5)
    dead = dict(collector.sample(time.time()).metrics)
    assert dead.get("proc.count{queue}", 0) == alive["proc.count{queue}"] - 1


def test_between_scans_a_crowded_host_costs_only_the_followed_processes(
        spawned: list[subprocess.Popen[bytes]]) -> None:
    spawned += [subprocess.Popen(["sleep", "60"]) for _ in range(200)]
    shell = RecordingShell()
    collector = HostCollector(shell)
    for _ in range(3):
        collector.sample(time.time())
        time.sleep(0.5)
    per_process = [path for path in shell.asked if path not in PROC_FILES]
    assert not any("*" in path for path in per_process), "the third sample is no full scan"
    assert len(per_process) < 60, f"{len(per_process)} files: more than the stack's"
    # A hog and a stopped worker started now are found from the fork counter at once.
    hog = subprocess.Popen(BUSY_LOOP)
    worker = subprocess.Popen(QUEUE_WORKER)
    spawned += [hog, worker]
    worker.send_signal(signal.SIGSTOP)
    time.sleep(0.2)
    metrics = dict(collector.sample(time.time()).metrics)
    assert metrics["proc.stopped{queue}"] >= 1
    time.sleep(1.0)
    sample = collector.sample(time.time())
    rows = {row[0]: row for row in sample.processes}
    assert hog.pid in rows and rows[hog.pid][3] > 0.1
    assert f"/proc/{hog.pid}/stat" in shell.asked
    assert len([p for p in shell.asked if p not in PROC_FILES]) < 60 + TOP_PROCESSES


def test_the_accept_queue_comes_from_sock_diag_and_agrees_with_proc_net_tcp() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        port = server.getsockname()[1]
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
        try:
            shell = RecordingShell()
            metrics = dict(HostCollector(shell, {port}).sample(time.time()).metrics)
            assert metrics[f"listen.backlog{{{port}}}"] == 5  # connected, never accepted
            assert "/proc/net/tcp" not in shell.asked  # the kernel's established hash unwalked
            tcp = Path("/proc/net/tcp").read_text()
            # What SSH hosts read: the same queue, the same socket.
            assert [listener.queue for listener in parse_listeners(tcp, {port})] == [5]
        finally:
            for client in clients:
                client.close()


def test_an_unknown_server_on_the_watched_port_is_the_app(
        spawned: list[subprocess.Popen[bytes]]) -> None:
    """No name says `python3 -m http.server` is the app; the socket it listens on does."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port),
                               "--bind", "127.0.0.1"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    spawned.append(server)
    wait_for_port(port, 10, server, "http.server")
    collector = HostCollector(LocalShell(), {port})
    collector.sample(time.time())
    time.sleep(0.3)
    sample = collector.sample(time.time())
    rows = {row[0]: row for row in sample.processes}
    metrics = dict(sample.metrics)
    assert metrics["proc.count{app}"] >= 1
    if server.pid in rows:  # listed when among the top users of a resource
        assert rows[server.pid][2] == "app"
    unwatched = dict(HostCollector(LocalShell()).sample(time.time()).metrics)
    assert "proc.count{app}" not in unwatched  # only the port made it the app's


def test_only_the_postgresql_on_the_targets_port_is_the_stacks(
        tmp_path: Path, postgres: PostgresServer) -> None:
    """Two PostgreSQL servers on the host (a test stack beside the target, a second
    cluster): the one listening on the DSN's port, with its backends, is the stack's."""
    with PostgresServer(tmp_path / "other") as other:
        tree = {postgres.pid, *(child.pid for child in
                                psutil.Process(postgres.pid).children(recursive=True))}
        collector = HostCollector(LocalShell(), stack_ports={postgres.port})
        collector.sample(time.time())
        time.sleep(0.3)
        sample = collector.sample(time.time())
        assert dict(sample.metrics)["proc.count{postgres}"] == len(tree)
        assert not [row for row in sample.processes
                    if row[0] == other.pid and row[2] != "other"]
        unwatched = HostCollector(LocalShell())
        assert dict(unwatched.sample(time.time()).metrics)["proc.count{postgres}"] > len(tree)
