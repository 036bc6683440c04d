"""What the harness adds to any locustfile: its options, the recorder, the load shape.

Loaded next to your own user classes (`locust -f scenarios/esppd_harness.py,my.py`,
which is what a campaign with `[load] locustfile` runs) and by the built-in
scenarios (scenarios/locustfile.py). The recorder writes the results directory
when --results-dir is given and stays silent otherwise, so plain Locust use is
unchanged.
"""

from __future__ import annotations

from typing import Any

from locust import events
from locust.env import Environment

from scenarios.options import add_arguments
from scenarios.recorder import install
from scenarios.shapes import EsppdShape

__all__ = ["EsppdShape"]


@events.init_command_line_parser.add_listener
def _options(parser: Any, **_kwargs: Any) -> None:
    add_arguments(parser)


@events.init.add_listener
def _recorder(environment: Environment, **_kwargs: Any) -> None:
    options = environment.parsed_options
    environment.esppd_recorder = install(  # type: ignore[attr-defined]  # ours, not Locust's
        environment, getattr(options, "results_dir", "") if options else "")
