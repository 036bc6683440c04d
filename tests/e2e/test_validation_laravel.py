"""`make test-slow`: the validation subset on the real Laravel target, on both engines.

Each case is a real campaign against Laravel on PHP-FPM and nginx with one best
practice off, diagnosed from its results directory alone: the database knobs on
PostgreSQL (pg_stat_statements) and on MariaDB (performance_schema), the PHP and
queue knobs that OPcache and `queue:work` create, and a pool of one PHP-FPM child
read from PHP-FPM's status page. The fast subset on the Python app runs in the
default suite (test_validation_subset.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.validate import Case, run_case

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CAMPAIGN = """
name = "validate-laravel"
[target]
kind = "embedded"
app = "laravel"
size = "large"
[load]
shape = "capacity-step"
users = 75
step_users = 25
step_duration = "30s"
spawn_rate = 25
think_scale = 0.1
[distribution]
workers = 2
"""


@pytest.mark.parametrize(("db", "knob", "value", "expected"), [
    ("postgresql", "indexes", "off", "db.query"),
    ("postgresql", "opcache", "off", "app.cpu"),
    ("postgresql", "queue_workers", "0", "queue.backlog"),
    ("postgresql", "pm_max_children", "1", "app.workers"),
    ("mariadb", "indexes", "off", "db.query"),
    ("mariadb", "hot_row_lock", "on", "db.locks"),
    ("mariadb", "db_max_connections", "10", "db.connections"),
])
def test_the_analysis_names_the_injected_bottleneck_on_laravel(
        tmp_path: Path, db: str, knob: str, value: str, expected: str) -> None:
    campaign = tmp_path / "validate-laravel.toml"
    campaign.write_text(CAMPAIGN)
    outcome = run_case(Case(knob, ((knob, value),), (expected,), str(campaign)),
                       tmp_path / "results", app="laravel", db=db)
    assert outcome.exit_code in (0, 1), outcome.evidence
    assert outcome.named == expected, (outcome.named, outcome.confidence, outcome.evidence,
                                       outcome.results)
