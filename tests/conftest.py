"""Shared fixtures: real embedded stacks (PostgreSQL, Redis, app, queue workers) and sshd."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reference_app.knobs import KNOB_SPECS, Knobs
from reference_app.services import SSHServer
from reference_app.stack import EmbeddedStack, StackConfig


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    """The reference stack with every best practice on (small seed)."""
    config = StackConfig(size="small", log_dir=tmp_path_factory.mktemp("stack-logs"),
                         retry_after_s=3)
    with EmbeddedStack(config) as running:
        yield running


# Knobs that cannot share one stack with the others: queue_workers=0 would stop the
# queue that queue_job_delay_ms slows; app_workers=1 hides app_concurrency's limit per worker;
# the hot row needs a real pool to be contended (test_knobs.other_stack has these).
SEPARATE_KNOBS = {"queue_job_delay_ms", "app_workers", "pg_max_connections", "hot_row_lock"}


@pytest.fixture(scope="session")
def bad_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    """One stack with most knobs at their bad value: each knob's effect is checked on it."""
    values = {spec.name: spec.bad for spec in KNOB_SPECS if spec.name not in SEPARATE_KNOBS}
    values["bcrypt_rounds"] = "12"  # bad enough to measure, quick enough to log in
    config = StackConfig(size="small", knobs=Knobs().with_values(values),
                         log_dir=tmp_path_factory.mktemp("bad-stack-logs"), retry_after_s=3)
    with EmbeddedStack(config) as running:
        yield running


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    """A real OpenSSH server on loopback with a throwaway host key, client key, known_hosts."""
    with SSHServer(tmp_path_factory.mktemp("sshd-logs")) as server:
        yield server
