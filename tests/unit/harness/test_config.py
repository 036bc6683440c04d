from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import (
    CampaignConfig,
    ConfigError,
    load_config,
    parse_address,
    parse_duration,
    redact_url,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "campaign.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "seconds"), [
    (90, 90.0), ("90", 90.0), ("90s", 90.0), ("2m", 120.0), ("1h30m", 5400.0), ("1.5m", 90.0)])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "-5", "0s", "5x"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_every_problem_is_reported_with_its_key(tmp_path: Path) -> None:
    path = write(tmp_path, """
[load]
users = 0
duration = "soon"
bogus = 1
[target]
knobs = { indexes = "maybe" }
[[collectors]]
type = "postgres"
[[collectors]]
type = "log"
paths = ["storage/logs/laravel.log"]
""")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    lines = str(caught.value).splitlines()
    assert f"{path}: load.users: Input should be greater than 0" in lines
    assert any(line.startswith(f"{path}: load.duration: 'soon' is not a duration")
               for line in lines)
    assert f"{path}: load.bogus: unknown key" in lines
    assert any("target.knobs: knob indexes='maybe'" in line for line in lines)
    assert any(line.startswith(f"{path}: collectors[0]: a postgres collector needs dsn")
               for line in lines)
    assert any(line.startswith(f"{path}: collectors[1]: ") and "an absolute path" in line
               for line in lines)


def test_missing_file_and_bad_toml_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such campaign file"):
        load_config(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[load\nusers = 1"))


def test_overrides_and_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[load]\nshape = "capacity-step"\n'),
                         {"load.users": 40, "load.duration": "2m",
                          "target.knobs": {"cache": "off"}, "distribution.workers": 3})
    assert config.name == "campaign"
    assert (config.load.users, config.load.duration) == (40, 120.0)
    assert config.target.knob_values.cache is False
    assert config.distribution.expected_workers == 3
    assert [c.type for c in config.collectors] == ["host", "postgres", "redis", "app_status", "log"]


def test_secrets_never_survive_redaction(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
[target]
kind = "url"
url = "https://admin:hunter2@esppd.example.ac.id"
[[collectors]]
type = "postgres"
dsn = "postgresql://monitor:s3cret@db1:5432/esppd"
[[collectors]]
type = "redis"
url = "redis://:r3dis@cache1:6379/0"
"""))
    text = repr(config.redacted())
    for secret in ("hunter2", "s3cret", "r3dis"):
        assert secret not in text
    assert "postgresql://monitor:***@db1:5432/esppd" in text


def test_remote_targets_cannot_use_embedded_things(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="knobs only apply to the embedded target"):
        load_config(write(tmp_path, '[target]\nkind = "url"\nurl = "http://x"\n'
                                    'knobs = { cache = "off" }\n'))
    with pytest.raises(ConfigError, match=r"collectors\[1\] points at the embedded stack"):
        load_config(write(tmp_path, '[target]\nkind = "url"\nurl = "http://x"\n'
                                    '[[collectors]]\ntype = "host"\n'
                                    '[[collectors]]\ntype = "postgres"\ndsn = "embedded"\n'))


def test_redact_url_keeps_urls_without_password() -> None:
    assert redact_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert redact_url("redis://:pw@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"


def test_connection_strings_come_from_the_environment_and_stay_out_of_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = ('[target]\nkind = "url"\nurl = "http://x"\n'
            '[[collectors]]\ntype = "postgres"\ndsn = "env:TEST_PG_DSN"\n')
    with pytest.raises(ConfigError, match="TEST_PG_DSN is not set"):
        load_config(write(tmp_path, text))
    monkeypatch.setenv("TEST_PG_DSN", "postgresql://monitor:s3cret@db1:5432/esppd")
    config = load_config(write(tmp_path, text))
    assert config.collectors[0].dsn == "postgresql://monitor:s3cret@db1:5432/esppd"
    assert "s3cret" not in str(config.redacted())


def test_a_url_target_without_collectors_samples_this_host_only(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[target]\nkind = "url"\nurl = "http://x"\n'))
    assert [collector.type for collector in config.collectors] == ["host"]
    embedded = load_config(write(tmp_path, '[target]\ndb = "mariadb"\napp = "laravel"\n'))
    assert [c.type for c in embedded.collectors] == ["host", "mysql", "redis", "app_status", "log"]


@pytest.mark.parametrize(("text", "address"), [("9646", ("127.0.0.1", 9646)),
                                              ("0.0.0.0:8089", ("0.0.0.0", 8089)),
                                              ("[::1]:9646", ("::1", 9646))])
def test_live_addresses_default_to_loopback(text: str, address: tuple[str, int]) -> None:
    assert parse_address(text) == address


def test_live_addresses_are_checked_before_anything_starts() -> None:
    with pytest.raises(ConfigError) as error:
        load_config(None, {"live.web": "localhost:99999", "live.prometheus": "x"})
    assert "live.web: 'localhost:99999' is not [host:]port" in str(error.value)
    assert "live.prometheus: 'x' is not [host:]port" in str(error.value)
    with pytest.raises(ConfigError, match="different ports"):
        load_config(None, {"live.web": "9646", "live.prometheus": "127.0.0.1:9646"})


def test_the_open_model_needs_its_rate_and_only_it_takes_one() -> None:
    base = {"name": "x", "target": {"kind": "url", "url": "http://127.0.0.1:8000"}}
    with pytest.raises(ValueError, match="arrival_rate"):
        CampaignConfig.model_validate({**base, "load": {"shape": "arrival-rate"}})
    with pytest.raises(ValueError, match="arrival_rate"):
        CampaignConfig.model_validate({**base, "load": {"shape": "constant", "arrival_rate": 2}})
    config = CampaignConfig.model_validate({**base, "load": {"shape": "arrival-rate",
                                                             "arrival_rate": 2}})
    assert config.load.model == "open" and CampaignConfig.model_validate(base).load.model == \
        "closed"
