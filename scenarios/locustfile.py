"""eSPPD load scenarios: `locust -f scenarios/locustfile.py` (locust.conf points here).

Loads the three user classes and one shape (chosen by --esppd-shape; the
default `constant` follows Locust's own -u/-r/-t), registers the harness's
options and installs the recorder, which writes the results directory when
--results-dir is given and stays silent otherwise.
"""

from __future__ import annotations

from typing import Any

from locust import events
from locust.env import Environment

from scenarios.options import add_arguments
from scenarios.recorder import install
from scenarios.shapes import EsppdShape
from scenarios.users import Atasan, Dosen, Keuangan

__all__ = ["Atasan", "Dosen", "EsppdShape", "Keuangan"]


@events.init_command_line_parser.add_listener
def _options(parser: Any, **_kwargs: Any) -> None:
    add_arguments(parser)


@events.init.add_listener
def _recorder(environment: Environment, **_kwargs: Any) -> None:
    options = environment.parsed_options
    environment.esppd_recorder = install(  # type: ignore[attr-defined]  # ours, not Locust's
        environment, getattr(options, "results_dir", "") if options else "")
