"""The harness's Locust command-line options (also settable in locust.conf or LOCUST_* env)."""

from __future__ import annotations

from typing import Any

from scenarios.accounts import DEFAULT_POOLS

SHAPES = ("constant", "peak-day", "capacity-step", "spike", "month-end", "arrival-rate")


def add_arguments(parser: Any) -> None:
    """Registered on Locust's init_command_line_parser event."""
    group = parser.add_argument_group("eSPPD load lab")
    group.add_argument("--results-dir", default="", help="write requests.csv, users.csv, ... "
                       "here (the harness's results directory); empty: record nothing")
    group.add_argument("--esppd-shape", choices=SHAPES, default="constant",
                       help="load shape; constant follows -u/-r/-t")
    group.add_argument("--esppd-users", type=int, default=0,
                       help="peak/maximum users of the shape (default: -u)")
    group.add_argument("--esppd-spawn-rate", type=float, default=0.0,
                       help="users started per second (default: -r)")
    group.add_argument("--esppd-duration", type=float, default=0.0,
                       help="seconds, for constant and spike (default: -t)")
    group.add_argument("--esppd-step-users", type=int, default=0,
                       help="capacity-step: users added per step")
    group.add_argument("--esppd-step-duration", type=float, default=0.0,
                       help="capacity-step: seconds each step holds")
    group.add_argument("--esppd-arrival-rate", type=float, default=0.0,
                       help="arrival-rate: visits started per second at the 09:00 peak "
                       "(open model; --esppd-users is then the most visits in flight)")
    group.add_argument("--esppd-seconds-per-hour", type=float, default=10.0,
                       help="peak-day/month-end: wall seconds per simulated hour")
    group.add_argument("--esppd-accounts", default=DEFAULT_POOLS,
                       help="seeded account pools role=count (reference app sizes)")
    group.add_argument("--esppd-accounts-csv", default="",
                       help="accounts of a real target: CSV with role,email,password")
    group.add_argument("--esppd-route-map", default="",
                       help="TOML route map: a real eSPPD's paths, fields and approval levels")
    group.add_argument("--esppd-workers", type=int, default=1,
                       help="number of worker processes (spreads accounts without overlap)")
    group.add_argument("--esppd-think-scale", type=float, default=1.0,
                       help="multiply every think time (1.0 = the eSPPD plan)")
