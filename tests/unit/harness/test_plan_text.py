"""`--check` says what will run: target, users over time, generators, collectors."""

from __future__ import annotations

from harness.config import CampaignConfig
from harness.plan import describe, load_plan


def test_the_plan_names_what_will_run_and_hides_secrets() -> None:
    config = CampaignConfig.model_validate({
        "name": "prod-peak",
        "target": {"kind": "url", "url": "https://esppd.example.ac.id"},
        "load": {"shape": "capacity-step", "users": 150, "step_users": 50,
                 "step_duration": "60s", "spawn_rate": 10},
        "distribution": {"workers": 1, "hosts": [
            {"host": "gen1.example", "user": "load", "workers": 4}]},
        "collectors": [{"type": "postgres", "dsn": "postgresql://mon:s3cret@db1/esppd"},
                       {"type": "host", "ssh": "ops@app1", "interval": "2s"}],
    })
    text = describe(config)
    assert "s3cret" not in text and "postgresql://mon:***@db1/esppd" in text
    assert "capacity-step (closed model), up to 150 users" in text
    assert "step-01 50 users for 1m00s; step-02 100 users for 1m00s; step-03 150 users" in text
    assert "1 local Locust worker(s) and 4 on 1 SSH host(s)" in text
    assert "host (ops@app1) every 2 s" in text
    assert f"{load_plan(config).duration_s // 60:.0f}m" in text.splitlines()[0]


def test_an_open_model_plan_says_visits_per_second_and_the_pool() -> None:
    config = CampaignConfig.model_validate({
        "name": "open", "target": {"kind": "url", "url": "http://127.0.0.1:8000"},
        "load": {"shape": "arrival-rate", "arrival_rate": 4, "users": 300,
                 "seconds_per_hour": "30s"}})
    text = describe(config)
    assert "arrival-rate (open model), up to 300 visits in flight" in text
    assert "07:00 0.8 visits/s for 0m30s; 08:00 3.6 visits/s" in text
