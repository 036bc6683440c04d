"""Distributed campaigns with Locust workers started over SSH (a real sshd on loopback)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from supervision.servers import SSHServer

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]


def campaign(tmp_path: Path, sshd: SSHServer, python: str = sys.executable,
             known_hosts: Path | None = None) -> Path:
    path = tmp_path / "remote.toml"
    path.write_text(f"""
name = "remote"
[target]
kind = "embedded"
size = "small"
[load]
shape = "constant"
users = 8
spawn_rate = 8
duration = "15s"
think_scale = 0.1
[distribution]
workers = 0
[[distribution.hosts]]
host = "127.0.0.1"
port = {sshd.port}
user = "{sshd.user}"
key = "{sshd.key}"
known_hosts = "{known_hosts or sshd.known_hosts}"
python = "{python}"
workers = 2
""")
    return path


def run(path: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "run_campaign.py", str(path), "--out", str(out),
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=240)


def command_lines(matches: Callable[[str], bool]) -> list[str]:
    """Command lines of the processes with an argument that `matches`."""
    return [" ".join(proc.info["cmdline"]) for proc in psutil.process_iter(["cmdline"])
            if any(matches(part) for part in proc.info["cmdline"] or [])]


def remote_processes() -> list[str]:
    """Every process that names an uploaded worker directory, including the login shell's
    transient `bash -c "cd ... && exec python ..."` (and any copy it forks while starting
    up) before it turns into the worker."""
    return command_lines(lambda part: "/tmp/esppd-worker-" in part)


def remote_workers() -> list[str]:
    """Running Locust workers: the shell has exec'd into Python, so the uploaded
    locustfile is an argument of its own."""
    return command_lines(lambda part: part.startswith("/tmp/esppd-worker-")
                         and part.endswith("/locustfile.py"))


def remote_leftovers() -> list[str]:
    return remote_processes() + [str(path) for path in Path("/tmp").glob("esppd-worker-*")]


def test_two_workers_over_ssh_merge_into_the_masters_totals(tmp_path: Path,
                                                             sshd: SSHServer) -> None:
    out = tmp_path / "results"
    done = run(campaign(tmp_path, sshd), out)
    assert done.returncode in (0, 1), done.stderr[-3000:]  # 1: an SLO missed on a busy machine
    assert (out / "report.html").is_file()
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert len([e for e in events if e["kind"] == "worker_joined"]) == 2
    logs = sorted((out / "logs").glob(f"locust-worker-127.0.0.1-{sshd.port}-*.log"))
    assert len(logs) == 2 and all("Starting Locust" in log.read_text() for log in logs)
    with open(out / "requests.csv", newline="") as file:
        recorded = sum(int(row["count"]) for row in csv.DictReader(file))
    with open(out / "locust" / "locust_stats.csv", newline="") as file:
        locust_total = next(int(row["Request Count"]) for row in csv.DictReader(file)
                            if row["Name"] == "Aggregated")
    assert recorded == locust_total > 50
    assert remote_leftovers() == []


def test_a_worker_host_without_locust_stops_everything_before_it_starts(
        tmp_path: Path, sshd: SSHServer) -> None:
    out = tmp_path / "results"
    done = run(campaign(tmp_path, sshd, python="/nonexistent/python3"), out)
    assert done.returncode == 3
    assert f"worker host {sshd.target}: /nonexistent/python3 cannot import locust" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (out / "requests.csv").exists()  # nothing started
    assert remote_leftovers() == []


def test_an_unknown_worker_host_key_is_refused(tmp_path: Path, sshd: SSHServer) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    done = run(campaign(tmp_path, sshd, known_hosts=empty), tmp_path / "results")
    assert done.returncode == 3
    assert "unknown host key" in done.stderr and "Traceback" not in done.stderr


def test_a_killed_runner_leaves_no_remote_worker(tmp_path: Path, sshd: SSHServer) -> None:
    out = tmp_path / "results"
    path = campaign(tmp_path, sshd)
    path.write_text(path.read_text().replace('duration = "15s"', 'duration = "120s"'))
    process = subprocess.Popen([sys.executable, "run_campaign.py", str(path), "--out",
                                str(out), "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(remote_workers()) < 2:
        time.sleep(0.5)
    assert len(remote_workers()) == 2
    process.kill()  # no cleanup runs: the SSH hang-up must stop the workers
    process.wait(timeout=10)
    deadline = time.monotonic() + 60  # generous: a loaded CI host is slow to reap
    while time.monotonic() < deadline and remote_processes():
        time.sleep(0.5)
    assert remote_processes() == []
    for directory in Path("/tmp").glob("esppd-worker-*"):  # left behind by design; tidy up
        shutil.rmtree(directory, ignore_errors=True)
