"""Shared fixtures: real embedded stacks of both reference apps, sshd, and the plain
SPPD example app (a target that is not Laravel).

`stack` and `bad_stack` are parametrized over the two apps (Python, and Laravel
on PHP-FPM and nginx), so every test that takes them runs against both: what
works on the Python app but not on real Laravel is a bug of the harness.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from reference_app.knobs import KNOB_SPECS, Knobs
from reference_app.stack import EmbeddedStack, StackConfig
from reference_app.stack_config import APPS
from supervision import free_port
from supervision.servers import SSHServer

# Knobs that cannot share one stack with the others: queue_workers=0 would stop the
# queue that queue_job_delay_ms slows; app_workers=1 hides app_concurrency's limit per worker;
# the hot row needs a real pool to be contended; Laravel's sync queue (jobs=inline) would run
# the notifications that queue_workers=0 must leave waiting (test_knobs starts these apart).
SEPARATE_KNOBS = {
    "python": {"queue_job_delay_ms", "app_workers", "db_max_connections", "hot_row_lock"},
    "laravel": {"queue_job_delay_ms", "db_max_connections", "hot_row_lock", "jobs"},
}

KnobStacks = Callable[[str, dict[str, str]], EmbeddedStack]


@pytest.fixture(scope="session", params=APPS)
def stack(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    """The reference stack with every best practice on (small seed), one per app."""
    config = StackConfig(app=request.param, size="small", retry_after_s=3,
                         log_dir=tmp_path_factory.mktemp(f"stack-{request.param}-logs"))
    with EmbeddedStack(config) as running:
        yield running


@pytest.fixture(scope="session", params=[("python", "postgresql"), ("laravel", "postgresql"),
                                         ("laravel", "mariadb")], ids=lambda p: "-".join(p))
def chain_stack(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    """The reference stack with three approval levels: unit head, dean, PPK."""
    app, db = request.param
    config = StackConfig(app=app, db=db, size="small", retry_after_s=3,
                         approval_chain=("atasan", "dekan", "ppk"),
                         log_dir=tmp_path_factory.mktemp(f"chain-{app}-{db}-logs"))
    with EmbeddedStack(config) as running:
        yield running


# Stacks only one module needs live as long as it runs: a dozen idle stacks left to the
# session's end (16 PHP-FPM children and two polling queue workers each) took CPU from
# the tests after them, and a host collector there counted their processes as the app's.
@pytest.fixture(scope="module")
def knob_stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnobStacks]:
    """`knob_stacks(app, {knob: value})`: a stack with those knobs, started once per module."""
    started: dict[tuple[str, tuple[tuple[str, str], ...]], EmbeddedStack] = {}

    with contextlib.ExitStack() as teardown:
        def get(app: str, knobs: dict[str, str]) -> EmbeddedStack:
            key = (app, tuple(sorted(knobs.items())))
            if key not in started:
                started[key] = teardown.enter_context(EmbeddedStack(StackConfig(
                    app=app, size="small", knobs=Knobs().with_values(knobs), retry_after_s=3,
                    log_dir=tmp_path_factory.mktemp(f"knobs-{app}-logs"))))
            return started[key]

        yield get


@pytest.fixture(scope="module", params=APPS)
def bad_stack(request: pytest.FixtureRequest, knob_stacks: KnobStacks) -> EmbeddedStack:
    """One stack per app with most knobs at their bad value: each knob's effect is checked
    on it."""
    app = request.param
    values = {spec.name: spec.bad for spec in KNOB_SPECS
              if app in spec.apps and spec.name not in SEPARATE_KNOBS[app]}
    values["bcrypt_rounds"] = "12"  # bad enough to measure, quick enough to log in
    return knob_stacks(app, values)


@pytest.fixture(scope="module")
def mariadb_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    """Laravel on MariaDB, best practices on: the smoke subset of the MariaDB variant.
    It counts its statements per request (storage/logs/statements.log)."""
    config = StackConfig(app="laravel", db="mariadb", size="small", retry_after_s=3,
                         statement_log=True,
                         log_dir=tmp_path_factory.mktemp("mariadb-stack-logs"))
    with EmbeddedStack(config) as running:
        yield running


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    """A real OpenSSH server on loopback with a throwaway host key, client key, known_hosts."""
    with SSHServer(tmp_path_factory.mktemp("sshd-logs")) as server:
        yield server


@pytest.fixture
def plain_sppd(tmp_path: Path) -> Iterator[str]:
    """examples/plain_sppd/app.py (in memory) on a free loopback port: its URL."""
    port = free_port()
    with (tmp_path / "plain-sppd.log").open("w") as log:
        app = subprocess.Popen([sys.executable, "-m", "uvicorn", "examples.plain_sppd.app:app",
                                "--port", str(port), "--log-level", "warning"],
                               cwd=Path(__file__).resolve().parents[1], stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/auth/login", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, (tmp_path / "plain-sppd.log").read_text()
                time.sleep(0.2)
        yield url
    finally:
        app.terminate()
        app.wait(timeout=10)
