"""Collector specs: each collector's own settings, or one clear error naming the problem."""

from __future__ import annotations

import re

import pytest

from collectors.spec import SpecError, build_all, parse_specs, with_stack_ports


def test_each_collector_keeps_its_settings_and_secrets_are_collected() -> None:
    specs = parse_specs(
        '[{"type": "host", "interval": 0.5, "ports": [80]},'
        ' {"type": "postgres", "dsn": "postgresql://m:pg-secret@db1:5432/esppd", "interval": 2},'
        ' {"type": "mysql", "dsn": "mysql://m:my-secret@db2:3306/esppd"},'
        ' {"type": "redis", "url": "redis://:r1@cache:6379/0",'
        '  "queue_url": "redis://:r2@queue:6379/0", "queues": ["documents"]},'
        ' {"type": "app_status", "url": "http://app/fpm-status", "max_children": 24},'
        ' {"type": "log", "paths": ["/var/log/nginx/error.log"], "interval": 5}]')
    collectors, intervals, secrets = build_all(specs)
    assert [(c.name, c.target) for c in collectors] == [
        ("host", "local"), ("postgres", "db1"), ("mysql", "db2"), ("redis", "redis"),
        ("redis_queue", "redis-queue"), ("app_status", "app_status"), ("log", "local")]
    assert intervals == [0.5, 2.0, 1.0, 1.0, 1.0, 1.0, 5.0]
    assert set(secrets) == {"pg-secret", "my-secret", "r1", "r2"}


@pytest.mark.parametrize(("text", "message"), [
    ("{}", "a JSON list"),
    ('[{"type": "oracle"}]', "type 'oracle'"),
    ('[{"type": "host", "colour": "red"}]', "unknown key(s) colour"),
    ('[{"type": "postgres"}]', "needs a dsn"),
    ('[{"type": "host", "ssh": "db1"}]', "user@host"),
    ('[{"type": "redis"}]', "needs a url"),
    ('[{"type": "log"}]', "needs paths"),
])
def test_a_bad_spec_is_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=re.escape(message)):
        build_all(parse_specs(text))


def test_the_host_collector_watches_the_ports_of_the_servers_on_its_host() -> None:
    """The DSNs and URLs name the target's servers; those on the host collector's host
    (loopback locally, the SSH target's host over SSH) give it their ports."""
    specs = parse_specs(
        '[{"type": "host", "ports": [8080]}, {"type": "host", "ssh": "mon@db1"},'
        ' {"type": "postgres", "dsn": "host=/run/postgresql dbname=esppd user=m"},'
        ' {"type": "mysql", "dsn": "mysql://m:s@DB1/esppd"},'
        ' {"type": "redis", "url": "redis://127.0.0.1:6380/0", "queue_url": "redis://db1"},'
        ' {"type": "app_status", "url": "http://localhost:8080/fpm-status"}]')
    local, remote = (spec.stack_ports for spec in with_stack_ports(specs)[:2])
    assert local == [5432, 6380, 8080] and remote == [3306, 6379]
    collectors, _, _ = build_all(specs)
    assert collectors[0].stack_ports == {5432, 6380, 8080}  # type: ignore[attr-defined]
