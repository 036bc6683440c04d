"""`python -m collectors --out DIR --duration 60 [...]`: sample standalone, for any load tool.

Secrets stay out of argv: `--postgres env:NAME` (or `--mysql env:NAME`) reads
the DSN from environment variable NAME. Ctrl-C/SIGTERM or the end of --duration
stop cleanly and flush.
Exit status: 0 done, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from collectors.env import from_environment
from collectors.sampler import Sampler
from collectors.spec import CollectorSpec, SpecError, build_all, parse_specs


class UsageError(ValueError):
    """A bad argument; the message names it."""


def resolve_secret(value: str, flag: str) -> str:
    try:
        return from_environment(value)
    except ValueError as error:
        raise UsageError(f"{flag} {error}") from None


def specs_from(args: argparse.Namespace) -> list[CollectorSpec]:
    """The collectors the flags ask for, then those of --spec, each with its own settings."""
    specs: list[CollectorSpec] = []
    interval, ports = args.interval, list(args.ports)
    if not args.no_host:
        specs.append(CollectorSpec("host", interval, ports=ports))
    for target in args.ssh:
        specs.append(CollectorSpec(
            "host", interval, ssh=target, key=str(args.key) if args.key else None,
            known_hosts=str(args.known_hosts) if args.known_hosts else None,
            trust_new_host_key=args.trust_new_host_key, ports=ports))
    for engine in ("postgres", "mysql"):
        value = getattr(args, engine)
        if value:
            specs.append(CollectorSpec(engine, interval,
                                       dsn=resolve_secret(value, f"--{engine}")))
    if args.redis or args.queue_redis:
        specs.append(CollectorSpec(
            "redis", interval,
            url=resolve_secret(args.redis, "--redis") if args.redis else None,
            queue_url=resolve_secret(args.queue_redis, "--queue-redis")
            if args.queue_redis else None,
            queues=[name.strip() for name in args.queues.split(",") if name.strip()]))
    for url in [*args.app_status, *filter(None, (args.fpm_status, args.nginx_status))]:
        specs.append(CollectorSpec("app_status", interval, url=url,
                                   max_children=args.fpm_max_children))
    if args.log:
        specs.append(CollectorSpec("log", interval, paths=list(args.log)))
    if args.spec:
        try:
            specs += parse_specs(resolve_secret(args.spec, "--spec"))
        except SpecError as error:
            raise UsageError(f"--spec: {error}") from None
    return specs


def port_list(text: str) -> list[int]:
    try:
        ports = [int(port) for port in text.split(",") if port.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated port list") from None
    if any(not 0 < port < 65536 for port in ports):
        raise argparse.ArgumentTypeError(f"{text!r}: ports are 1-65535")
    return ports


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m collectors",
                                     description="Sample server-side signals into a results dir")
    parser.add_argument("--out", type=Path, required=True, help="results directory")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds to sample")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    parser.add_argument("--no-host", action="store_true", help="skip this machine's host metrics")
    parser.add_argument("--ssh", action="append", default=[], metavar="USER@HOST[:PORT]",
                        help="also read /proc of this host over SSH (repeatable)")
    parser.add_argument("--key", type=Path, help="SSH private key")
    parser.add_argument("--known-hosts", type=Path, help="known_hosts file (default: ~/.ssh)")
    parser.add_argument("--trust-new-host-key", action="store_true",
                        help="accept and remember unknown SSH host keys (first use only)")
    parser.add_argument("--postgres", help="PostgreSQL DSN, or env:NAME")
    parser.add_argument("--mysql", help="MySQL/MariaDB DSN (mysql://user:pw@host:port/db), "
                                        "or env:NAME")
    parser.add_argument("--redis", help="Redis URL (cache; queues too if shared), or env:NAME")
    parser.add_argument("--queue-redis", help="a separate queue Redis URL, or env:NAME")
    parser.add_argument("--queues", default="",
                        help="queues to report even before their first job: names (default) "
                             "or full list keys (laravel_database_queues:default), comma-separated")
    parser.add_argument("--app-status", action="append", default=[],
                        help="a status page URL, any kind (reference /status, PHP-FPM, "
                             "nginx stub_status: told apart by its content); repeatable")
    parser.add_argument("--fpm-status", help="PHP-FPM status URL (same as --app-status)")
    parser.add_argument("--fpm-max-children", type=int,
                        help="the pool's pm.max_children (the status page does not say)")
    parser.add_argument("--nginx-status", help="nginx stub_status URL (same as --app-status)")
    parser.add_argument("--log", action="append", default=[], metavar="PATH",
                        help="a log file or glob pattern of this machine to count error lines "
                             "of (Laravel, PHP-FPM, nginx, PostgreSQL, MariaDB, Redis); "
                             "repeatable")
    parser.add_argument("--spec", help="more collectors, each with its own settings: a JSON "
                        "list (see collectors/spec.py), or env:NAME holding it")
    parser.add_argument("--ports", type=port_list, default=[],
                        help="listening ports whose backlog to watch, comma-separated")
    args = parser.parse_args(argv)
    if args.interval <= 0 or args.duration <= 0:
        parser.error("--interval and --duration must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        collectors, intervals, secrets = build_all(specs_from(args))
    except (UsageError, SpecError) as error:
        print(f"collectors: {error}", file=sys.stderr)
        return 2
    for collector in collectors:
        for problem in collector.check():
            print(f"collectors: warning: {problem}", file=sys.stderr, flush=True)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sampler = Sampler(args.out, collectors, args.interval, secrets,
                      say=lambda text: print(text, file=sys.stderr, flush=True),
                      intervals=intervals)
    sampler.start()
    stop.wait(args.duration)
    sampler.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
