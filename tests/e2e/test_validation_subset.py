"""The fast subset of `make validate`: three knobs, three classes, named from evidence alone.

Each case is a real campaign against the small embedded stack with one best practice
off; the analysis sees only the results directory, never the knob.
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
size = "small"
[load]
shape = "constant"
users = 20
spawn_rate = 20
duration = "45s"
think_scale = 0.2
[distribution]
workers = 1
"""


@pytest.mark.parametrize(("knob", "value", "expected"), [
    ("cache", "off", "cache.misses"),
    ("eager_loading", "off", "db.n_plus_one"),
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
