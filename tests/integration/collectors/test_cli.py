"""`python -m collectors` end to end: real servers, files on disk, no secret anywhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from supervision.servers import PostgresServer, RedisServer, SSHServer

from .conftest import read_metrics


def collectors_cli(*args: str, env: dict[str, str] | None = None,
                   timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "collectors", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})},
                          check=False)


def test_standalone_run_writes_every_file_and_no_secret(
        postgres: PostgresServer, redis_server: RedisServer, sshd: SSHServer,
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = collectors_cli(
        "--out", str(out), "--duration", "3", "--interval", "0.5",
        "--postgres", "env:TEST_PG", "--redis", "env:TEST_REDIS", "--queues", "default",
        "--ssh", sshd.target, "--key", str(sshd.key), "--known-hosts", str(sshd.known_hosts),
        "--ports", "8080,8443",
        env={"TEST_PG": postgres.monitor_dsn, "TEST_REDIS": redis_server.url})
    assert done.returncode == 0, done.stderr
    rows = read_metrics(out)
    by_collector = {(row["collector"], row["target"]) for row in rows}
    assert {("host", "local"), ("host", sshd.target),
            ("postgres", "127.0.0.1"), ("redis", "redis")} <= by_collector
    names = {row["metric"] for row in rows}
    assert {"cpu.util", "db.connections.total", "queue.length{default}", "listen.backlog{8080}",
            "collector.sample_ms{postgres}", "collector.sample_ms{host}"} <= names
    for name in ("statements.csv", "queries.csv", "tables.csv", "metrics.csv"):
        assert (out / name).exists()
    secrets = (postgres.password, postgres.monitor_password, redis_server.password)
    for file in [*out.iterdir()]:
        text = file.read_text()
        assert not any(secret in text for secret in secrets), file.name
    assert not any(secret in done.stderr + done.stdout for secret in secrets)


def test_an_unreachable_database_is_a_warning_and_the_rest_still_samples(
        tmp_path: Path) -> None:
    done = collectors_cli("--out", str(tmp_path), "--duration", "2", "--interval", "0.5",
                          "--postgres", "postgresql://monitor:hunter2@127.0.0.1:1/esppd")
    assert done.returncode == 0
    assert "collectors: warning: 127.0.0.1: cannot connect" in done.stderr
    assert "Traceback" not in done.stderr
    assert {row["collector"] for row in read_metrics(tmp_path)} == {"host"}
    assert "hunter2" not in done.stderr + (tmp_path / "events.jsonl").read_text()


def test_bad_arguments_exit_2_with_one_line(tmp_path: Path) -> None:
    for args, expected in ((["--ports", "http"], "not a comma-separated port list"),
                           (["--postgres", "env:ESPPD_NOT_SET"], "ESPPD_NOT_SET is not set"),
                           (["--ssh", "db1"], "expected user@host[:port]"),
                           (["--interval", "0"], "must be positive")):
        done = collectors_cli("--out", str(tmp_path / "x"), *args)
        assert done.returncode == 2, args
        assert expected in done.stderr and "Traceback" not in done.stderr


def test_ctrl_c_stops_at_once_and_keeps_what_was_sampled(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "collectors", "--out", str(tmp_path),
                                "--duration", "600", "--interval", "0.25"],
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(
            (tmp_path / "metrics.csv").read_text().splitlines()
            if (tmp_path / "metrics.csv").exists() else []) < 50:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0
    assert "Traceback" not in (process.stderr.read() if process.stderr else "")
    assert len(read_metrics(tmp_path)) >= 50
