"""`python -m collectors --out DIR --duration 60 [...]`: sample standalone, for any load tool.

Secrets stay out of argv: `--postgres env:NAME` reads the DSN from environment
variable NAME. Ctrl-C/SIGTERM or the end of --duration stop cleanly and flush.
Exit status: 0 done, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from collectors.appstatus import AppStatusCollector
from collectors.base import Collector
from collectors.host import HostCollector
from collectors.postgres import PostgresCollector
from collectors.redisq import RedisCollector
from collectors.sampler import Sampler
from collectors.shell import LocalShell, SSHShell, SSHTarget


class UsageError(ValueError):
    """A bad argument; the message names it."""


def resolve_secret(value: str, flag: str) -> str:
    if value.startswith("env:"):
        name = value[4:]
        if not os.environ.get(name):
            raise UsageError(f"{flag} {value}: environment variable {name} is not set")
        return os.environ[name]
    return value


def build(args: argparse.Namespace) -> tuple[list[Collector], list[str]]:
    """The collectors asked for (the registry of the CLI), and the secrets to scrub."""
    collectors: list[Collector] = []
    secrets: list[str] = []
    queues = tuple(name.strip() for name in args.queues.split(",") if name.strip())
    ports = set(args.ports)
    if not args.no_host:
        collectors.append(HostCollector(LocalShell(), ports))
    for target in args.ssh:
        try:
            ssh = SSHTarget.parse(target)
        except ValueError as error:
            raise UsageError(str(error)) from None
        collectors.append(HostCollector(SSHShell(ssh, args.key, args.known_hosts,
                                                 args.trust_new_host_key), ports))
    if args.postgres:
        dsn = resolve_secret(args.postgres, "--postgres")
        secrets.append(urlsplit(dsn).password or "")
        collectors.append(PostgresCollector(dsn, target=urlsplit(dsn).hostname or "postgres"))
    if args.redis:
        url = resolve_secret(args.redis, "--redis")
        secrets.append(urlsplit(url).password or "")
        collectors.append(RedisCollector(url, queues=() if args.queue_redis else queues))
    if args.queue_redis:
        url = resolve_secret(args.queue_redis, "--queue-redis")
        secrets.append(urlsplit(url).password or "")
        collectors.append(RedisCollector(url, target="redis-queue", name="redis_queue",
                                         cache_stats=False, queues=queues))
    for kind, url in (("reference", args.app_status), ("fpm", args.fpm_status),
                      ("nginx", args.nginx_status)):
        if url:
            collectors.append(AppStatusCollector(url, kind))
    return collectors, secrets


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
    parser.add_argument("--redis", help="Redis URL (cache; queues too if shared), or env:NAME")
    parser.add_argument("--queue-redis", help="a separate queue Redis URL, or env:NAME")
    parser.add_argument("--queues", default="",
                        help="queues to report even before their first job: names (default) "
                             "or full list keys (laravel_database_queues:default), comma-separated")
    parser.add_argument("--app-status", help="reference app /status URL")
    parser.add_argument("--fpm-status", help="PHP-FPM status URL")
    parser.add_argument("--nginx-status", help="nginx stub_status URL")
    parser.add_argument("--ports", type=port_list, default=[],
                        help="listening ports whose backlog to watch, comma-separated")
    args = parser.parse_args(argv)
    if args.interval <= 0 or args.duration <= 0:
        parser.error("--interval and --duration must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        collectors, secrets = build(args)
    except UsageError as error:
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
                      say=lambda text: print(text, file=sys.stderr, flush=True))
    sampler.start()
    stop.wait(args.duration)
    sampler.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
