"""The same user with the harness's recorder listening (per-second histograms, results files)."""

from __future__ import annotations

from typing import Any

from locust import events
from locust.env import Environment

from bench.locustfiles.bare import Bare
from scenarios.options import add_arguments
from scenarios.recorder import install

__all__ = ["Bare"]


@events.init_command_line_parser.add_listener
def _options(parser: Any, **_kwargs: Any) -> None:
    add_arguments(parser)


@events.init.add_listener
def _recorder(environment: Environment, **_kwargs: Any) -> None:
    options = environment.parsed_options
    environment.esppd_recorder = install(  # type: ignore[attr-defined]  # ours, not Locust's
        environment, getattr(options, "results_dir", "") if options else "")
