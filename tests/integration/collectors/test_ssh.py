"""The host collector over SSH, against a real sshd on loopback with host keys verified."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from collectors.host import HostCollector
from collectors.logs import LogCollector
from collectors.sampler import Sampler
from collectors.shell import LocalShell, ShellError, SSHShell, SSHTarget
from supervision import free_port, wait_for_port
from supervision.servers import SSHServer

from .conftest import read_events, read_metrics, sample_times, wait_until


def ssh_shell(sshd: SSHServer, known_hosts: Path | None = None,
              trust: bool = False) -> SSHShell:
    return SSHShell(SSHTarget.parse(sshd.target), sshd.key, known_hosts or sshd.known_hosts,
                    trust_new_host_key=trust, timeout_s=5)


def two_samples(collector: HostCollector) -> dict[str, float]:
    """Rates need two samples some time apart."""
    collector.sample(time.time())
    time.sleep(0.5)
    return dict(collector.sample(time.time()).metrics)


def test_ssh_reads_the_same_signals_as_local(sshd: SSHServer) -> None:
    remote = HostCollector(ssh_shell(sshd))
    assert remote.check() == []
    remote_metrics = two_samples(remote)
    local_metrics = two_samples(HostCollector(LocalShell()))
    host_wide = {name for name in local_metrics if not name.startswith("proc.")}
    assert host_wide <= set(remote_metrics)
    assert 0 <= remote_metrics["cpu.util"] <= 1
    assert "proc.cpu{other}" in remote_metrics  # the host total minus the stack
    # Between full scans a process started since the last sample is found from the
    # remote pid list, classified from its command line and followed from then on.
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)",
                               "reference_app.worker"])
    try:
        time.sleep(0.3)
        found = dict(remote.sample(time.time()).metrics)
        assert found["proc.count{queue}"] >= 1 and found["proc.rss{queue}"] > 0
        time.sleep(0.3)
        assert dict(remote.sample(time.time()).metrics)["proc.count{queue}"] >= 1
    finally:
        worker.kill()
        worker.wait()
    remote.close()


def test_over_ssh_an_unknown_server_on_the_watched_port_is_the_app(sshd: SSHServer) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               "127.0.0.1"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 10, server, "http.server")
        remote = HostCollector(ssh_shell(sshd), {port})
        assert two_samples(remote)["proc.count{app}"] >= 1  # found by `find` on its fds
        remote.close()
    finally:
        server.kill()
        server.wait()


def test_a_changed_host_key_is_refused(sshd: SSHServer, tmp_path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")],
                   check=True)
    impostor = (tmp_path / "k.pub").read_text().split()
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{sshd.port} {impostor[0]} {impostor[1]}\n")
    collector = HostCollector(ssh_shell(sshd, known, trust=True))  # trust never overrides
    (problem,) = collector.check()
    assert "host key does not match known_hosts; refusing" in problem
    with pytest.raises(ShellError, match="does not match"):
        collector.sample(time.time())


def test_an_unknown_host_is_refused_unless_trusted_explicitly(sshd: SSHServer,
                                                              tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    (problem,) = HostCollector(ssh_shell(sshd, known)).check()
    assert "unknown host key" in problem and "--trust-new-host-key" in problem
    assert not known.exists()
    trusting = HostCollector(ssh_shell(sshd, known, trust=True))
    assert trusting.check() == []
    assert sshd.known_hosts.read_text().split()[1:] == known.read_text().split()[1:]
    assert HostCollector(ssh_shell(sshd, known)).check() == []  # remembered from now on


def test_an_unreachable_host_is_one_clear_line(tmp_path: Path) -> None:
    shell = SSHShell(SSHTarget("nobody", "127.0.0.1", 1), known_hosts=tmp_path / "kh",
                     timeout_s=2)
    (problem,) = HostCollector(shell).check()
    assert problem.startswith("nobody@127.0.0.1:1: cannot connect")


def test_sshd_restart_mid_sampling_is_a_recorded_gap(sshd: SSHServer, tmp_path: Path) -> None:
    sampler = Sampler(tmp_path, [HostCollector(ssh_shell(sshd))], interval_s=0.25,
                      say=lambda _text: None)
    sampler.start()
    wait_until(lambda: len(sample_times(tmp_path)) >= 3)  # sampling before the restart
    sshd.restart(down_s=1.0)
    gap = wait_until(lambda: next((e for e in read_events(tmp_path)
                                   if e["kind"] == "collector_gap"
                                   and e["message"] == "recovered"), None))
    wait_until(lambda: any(ts >= gap["end"] for ts in sample_times(tmp_path)))  # resumed
    sampler.stop()
    kinds = [e["kind"] for e in read_events(tmp_path) if e.get("message") == "recovered"
             or e["kind"] == "collector_error"]
    assert kinds == ["collector_error", "collector_gap"]
    gap = next(e for e in read_events(tmp_path) if e.get("message") == "recovered")
    stamps = sorted({float(row["ts"]) for row in read_metrics(tmp_path)})
    assert stamps[0] < gap["start"] and stamps[-1] >= gap["end"]


def test_a_log_over_ssh_counts_what_the_local_collector_counts(sshd: SSHServer,
                                                               tmp_path: Path) -> None:
    line = ("2026/12/06 17:31:05 [error] 12#12: *3 connect() failed (111: Connection refused) "
            "while connecting to upstream, client: 127.0.0.1\n")
    log = tmp_path / "nginx-error.log"
    log.write_text(line * 3)
    remote = LogCollector(ssh_shell(sshd), (str(tmp_path / "*.log"),))
    local = LogCollector(LocalShell(), (str(tmp_path / "*.log"),))
    assert remote.check() == []
    for collector in (remote, local):
        collector.sample(time.time())
    with log.open("a") as file:
        file.write(line * 4 + line[:20])
    counted = [dict(collector.sample(time.time()).metrics) for collector in (remote, local)]
    key = ("log.errors{nginx-error.log: error: connect() failed (N: Connection refused) while "
           "connecting to upstream}")
    assert counted[0] == counted[1] and counted[0][key] == 4
    log.rename(tmp_path / "nginx-error.log.1")
    log.write_text(line)
    assert dict(remote.sample(time.time()).metrics)[key] == 1
    unsafe = LogCollector(ssh_shell(sshd), ("/tmp/with space.log",)).check()
    assert len(unsafe) == 1 and "without spaces" in unsafe[0]
    remote.close()


def test_filesystem_space_over_ssh_is_what_statvfs_says(sshd: SSHServer) -> None:
    remote, local = ssh_shell(sshd), LocalShell()
    mounts = ["/", "/no/such/mount"]
    far, near = remote.statfs(mounts), local.statfs(mounts)
    assert set(far) == set(near) == {"/"}
    assert far["/"].size == near["/"].size
    assert abs(far["/"].used_ratio - near["/"].used_ratio) < 0.01
    collector = HostCollector(remote)
    first = dict(collector.sample(time.time()).metrics)  # the first sample reads the space
    assert 0 < first["fs.used_ratio{/}"] < 1 and first["fs.available_bytes{/}"] > 0
    assert first["fs.read_only{/}"] == 0.0  # /proc/mounts read over SSH: mounted rw
    remote.close()
