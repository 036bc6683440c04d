"""The fast subset of `make validate`: three knobs, three classes, named from evidence alone.

Each case is a real campaign (75 users at most, compressed think times) against the
large embedded stack with one best practice off: knobs whose bottleneck shows well
before this machine's CPU knee (~120 users). The analysis sees only the results
directory, never the knob.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.validate import Case, run_case

pytestmark = pytest.mark.timeout(300)

CAMPAIGN = """
name = "validate-fast"
[target]
kind = "embedded"
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


# About 2.3 minutes each: slow, to keep CI under its 30 minutes with the fault suite's
# fast subset in the default run (the same harness path, end to end); the knobs' verdicts
# on real runs are also checked on recorded data (tests/unit/analysis/test_recorded_runs.py).
@pytest.mark.slow
@pytest.mark.parametrize(("knob", "value", "expected"), [
    ("indexes", "off", "db.query"),
    ("bcrypt_rounds", "13", "app.cpu"),
    ("queue_workers", "0", "queue.backlog"),
])
def test_the_analysis_names_the_injected_bottleneck(tmp_path: Path, knob: str, value: str,
                                                    expected: str) -> None:
    campaign = tmp_path / "validate-fast.toml"
    campaign.write_text(CAMPAIGN)
    outcome = run_case(Case(knob, ((knob, value),), (expected,), str(campaign)),
                       tmp_path / "results")
    assert outcome.exit_code in (0, 1), outcome.evidence
    assert outcome.named == expected, (outcome.named, outcome.confidence, outcome.evidence,
                                       outcome.results)
