"""Connection strings from the environment: `env:NAME` keeps a password out of argv,
campaign files and results (the collectors CLI and a campaign's collectors read it alike)."""

from __future__ import annotations

import os

PREFIX = "env:"


def from_environment(value: str) -> str:
    """`env:NAME` -> the value of NAME; anything else as it is. ValueError when NAME is
    not set (or empty)."""
    if not value.startswith(PREFIX):
        return value
    name = value.removeprefix(PREFIX)
    if not os.environ.get(name):
        raise ValueError(f"{value}: environment variable {name} is not set")
    return os.environ[name]
