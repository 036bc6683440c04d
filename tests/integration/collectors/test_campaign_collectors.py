"""A campaign's collectors, each with its own settings, through the collectors process:
two SSH hosts with different keys, two database engines, a status page; pre-flight names
the collector that cannot work, and every metric written is in the registry."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.metrics import METRICS, base_name
from harness.collectors_process import CollectorsProcess
from harness.config import CampaignConfig
from harness.results import ResultsDir
from supervision.servers import MariaDBServer, PostgresServer, SSHServer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def second_sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    """Another host with its own host key and client key."""
    with SSHServer(tmp_path_factory.mktemp("sshd2-logs")) as server:
        yield server


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBServer]:
    with MariaDBServer(tmp_path_factory.mktemp("mariadb-logs")) as server:
        yield server


def ssh_host(server: SSHServer) -> dict[str, object]:
    return {"type": "host", "ssh": server.target, "key": str(server.key),
            "known_hosts": str(server.known_hosts), "interval": "0.5s"}


def test_every_collector_keeps_its_own_settings(
        sshd: SSHServer, second_sshd: SSHServer, postgres: PostgresServer,
        mariadb: MariaDBServer, tmp_path: Path) -> None:
    assert sshd.key != second_sshd.key
    config = CampaignConfig.model_validate({
        "name": "collectors", "target": {"kind": "url", "url": "http://127.0.0.1:9"},
        "collectors": [ssh_host(sshd), ssh_host(second_sshd),
                       {"type": "postgres", "dsn": postgres.monitor_dsn, "interval": "0.5s"},
                       {"type": "mysql", "dsn": mariadb.monitor_dsn, "interval": "1s"}]})
    results = ResultsDir.create(config, tmp_path / "results")
    process = CollectorsProcess(config, results, None)
    assert process.check() == []
    argv, _env = process.command()
    assert not any(secret in " ".join(argv) for secret in (postgres.monitor_password,
                                                          mariadb.monitor_password))
    process.start()
    try:
        deadline = time.monotonic() + 30
        seen: set[tuple[str, str]] = set()
        while time.monotonic() < deadline and len(seen) < 4:
            time.sleep(0.5)
            with open(results.path / "metrics.csv", newline="") as file:
                rows = list(csv.DictReader(file))
            seen = {(row["collector"], row["target"]) for row in rows}
    finally:
        process.stop()
    assert {("host", sshd.target), ("host", second_sshd.target), ("postgres", "127.0.0.1"),
            ("mysql", "127.0.0.1")} <= seen
    assert sorted({base_name(row["metric"]) for row in rows} - set(METRICS)) == []
    text = "\n".join(path.read_text() for path in results.path.rglob("*") if path.is_file())
    assert postgres.monitor_password not in text and mariadb.monitor_password not in text


def test_preflight_names_the_collector_and_the_fix(postgres: PostgresServer,
                                                   sshd: SSHServer, tmp_path: Path) -> None:
    unknown_host = {**ssh_host(sshd), "known_hosts": str(tmp_path / "empty_known_hosts")}
    (tmp_path / "empty_known_hosts").write_text("")
    config = CampaignConfig.model_validate({
        "name": "collectors", "target": {"kind": "url", "url": "http://127.0.0.1:9"},
        "collectors": [unknown_host,
                       {"type": "mysql", "dsn": "mysql://monitor:hunter2@127.0.0.1:1/esppd"},
                       {"type": "postgres", "dsn": postgres.monitor_dsn}]})
    problems = CollectorsProcess(config, None, None).check()
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"collector host ({sshd.target}):")
    assert problems[1].startswith("collector mysql (127.0.0.1): 127.0.0.1: cannot connect")
    assert "hunter2" not in "\n".join(problems)
