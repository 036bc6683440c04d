"""`python -m reference_app up|smoke`: run the embedded eSPPD stack in the foreground.

`--app python|laravel` picks the reference app, `--db postgresql|mariadb` its
database (MariaDB: Laravel only). `up` prints one JSON line {"url", "dsn",
"redis", ...} when ready and shuts everything down on SIGINT/SIGTERM. `smoke`
starts the stack, walks the main flow per role, prints the latency of each
page, and shuts down.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from types import FrameType

from reference_app.knobs import Knobs, parse_assignments
from reference_app.seed import SIZES
from reference_app.stack import EmbeddedStack, StackConfig
from reference_app.stack_config import APPS, DATABASES
from supervision import ServiceError


class Stopped(Exception):
    """Raised in the main thread by SIGTERM so the stack's context manager cleans up."""


def _raise_stopped(_signum: int, _frame: FrameType | None) -> None:
    raise Stopped


def _progress(message: str) -> None:
    print(f"[stack] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_app",
                                     description="the embedded eSPPD reference stack")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("up", "start the stack and wait for SIGINT/SIGTERM"),
                       ("smoke", "start, walk every role's flow once, print latencies, stop")):
        command = sub.add_parser(name, help=text)
        command.add_argument("--app", choices=APPS, default="python",
                             help="the reference app: python, or laravel on PHP-FPM and nginx")
        command.add_argument("--db", choices=DATABASES, default="postgresql",
                             help="its database (mariadb: laravel only)")
        command.add_argument("--size", choices=sorted(SIZES), default="small")
        command.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE",
                             help="turn one best practice off (see README: knobs)")
        command.add_argument("--approval-chain", default="atasan", metavar="ROLE,...",
                             help="approving roles, lowest level first: atasan (the unit), "
                                  "dekan (the faculty), ppk (all); e.g. atasan,dekan,ppk")
        command.add_argument("--statement-log", action="store_true",
                             help="laravel: count each request's and queued job's "
                                  "statements in storage/logs/statements.log (to check the "
                                  "analysis by)")
    args = parser.parse_args(argv)
    try:
        config = StackConfig(app=args.app, db=args.db, size=args.size,
                             knobs=Knobs().with_values(parse_assignments(args.knob)),
                             approval_chain=tuple(filter(None, (
                                 role.strip() for role in args.approval_chain.split(",")))),
                             statement_log=args.statement_log)
    except ValueError as error:  # a KnobError too
        print(f"error: {error}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _raise_stopped)
    # Python keeps SIGINT ignored when its parent ignored it (a shell's background job, a
    # test runner): `up` promises to stop on SIGINT, so it asks for it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with EmbeddedStack(config, _progress) as stack:
            if args.command == "smoke":
                from reference_app.smoke import run_smoke

                return run_smoke(stack)
            print(json.dumps(stack.describe()), flush=True)
            threading.Event().wait()
    except (KeyboardInterrupt, Stopped):
        print("[stack] stopped", file=sys.stderr)
        return 0
    except ServiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
