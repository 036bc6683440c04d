"""Knobs: each turns one eSPPD best practice off, to create one bottleneck class.

The registry below is the single list of knobs: the CLI, the stack, both
apps, the README table and the validation matrix all read it. A knob's default
is the best practice; its `bad` value is the one the validation matrix
injects; `apps` says which reference apps have it (a Python app worker is not
a PHP-FPM child). The analysis never reads knobs: it must find the bottleneck
from measurements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any


class KnobError(ValueError):
    """A knob name or value that cannot be used; the message names the knob."""


def _on_off(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"on", "true", "1", "yes"}:
        return True
    if lowered in {"off", "false", "0", "no"}:
        return False
    raise ValueError("expected on or off")


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("expected an integer >= 0")
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("expected an integer >= 1")
    return number


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        lowered = value.strip().lower()
        if lowered not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return lowered

    return parse


APPS = ("python", "laravel")
# A knob that adds no bottleneck of its own at the tested load: the verdict is the baseline's.
AS_BASELINE = "as the baseline"


@dataclass(frozen=True)
class KnobSpec:
    """How one knob is parsed, what it breaks and which bottleneck it should cause."""

    name: str
    parse: Callable[[str], object]
    bad: str
    bottleneck: str
    breaks: str
    # With fewer CPUs the rest of the stack saturates the host before this knob binds,
    # so validation cannot expect its bottleneck there.
    min_cpus: int = 1
    apps: tuple[str, ...] = APPS
    # Where an app's native form of the knob produces another class (app, bottleneck).
    differs_on: tuple[tuple[str, str], ...] = ()
    # Where an app needs another bad value for the knob to bind (app, value).
    bad_on: tuple[tuple[str, str], ...] = ()

    def expected(self, app: str) -> str:
        """The bottleneck this knob should create on `app`."""
        return dict(self.differs_on).get(app, self.bottleneck)

    def bad_value(self, app: str) -> str:
        """The value the validation matrix injects on `app`."""
        return dict(self.bad_on).get(app, self.bad)


KNOB_SPECS: tuple[KnobSpec, ...] = (
    KnobSpec("indexes", _on_off, "off", "db.query",
             "drops the indexes on sppd(user_id, status), sppd(tanggal_berangkat, "
             "tanggal_kembali), approval_logs(created_at), users(nip) and the foreign keys"),
    KnobSpec("eager_loading", _on_off, "off", "db.n_plus_one",
             "list pages load user, unit, destination and transport row by row (N+1)"),
    KnobSpec("cache", _on_off, "off", "cache.misses",
             "Cache::remember never stores: every master-data, dashboard (including the "
             "university's five-year trend), permission and profile lookup misses and goes "
             "to the database",
             # CACHE_DRIVER=array: a cache that lives one request, so Redis sees no cache
             # lookups at all; what shows is the five-year summary recomputed on every view.
             differs_on=(("laravel", "db.query"),)),
    KnobSpec("jobs", _choice("queue", "inline"), "inline", "app.cpu",
             "the travel order (.docx in Python, PDF in Laravel) and the .xlsx export are "
             "built inside the request (Laravel: QUEUE_CONNECTION=sync)"),
    KnobSpec("db_pool_size", _positive_int, "1", "db.connections",
             "PostgreSQL connections per app worker process (default 10)", apps=("python",)),
    KnobSpec("app_workers", _positive_int, "1", "app.workers",
             "app server worker processes (default 2); one process uses at most one core",
             # Measured on 2 CPUs (validation baseline): at the host's knee the app server
             # takes 0.75 of 1.86 busy cores, 40%, so one process binds before the host
             # only when 0.40 * CPUs > 1.
             min_cpus=3, apps=("python",)),
    KnobSpec("app_concurrency", _positive_int, "1", "app.workers",
             "requests one app worker serves at once, like PHP-FPM pm.max_children "
             "(default 32); the rest wait in the listen queue",
             # Measured on 2 CPUs (validation at f9dc3d7, twice): a request holds its
             # worker 6-7 ms at low load, almost all of it on the CPU, so two single-request
             # workers serve about 300 requests/s, more than the host's CPU does (about 130
             # with the queue workers and PostgreSQL beside them). The pool fills only once
             # the CPU's run queue slows each request (13 ms at the fill): the CPU's symptom.
             # Two slots bind alone only with more cores than they can fill.
             min_cpus=3, apps=("python",)),
    KnobSpec("pm_max_children", _positive_int, "1", "app.workers",
             "PHP-FPM pm.max_children (default 16); the other requests wait in the "
             "listen queue",
             # One child, so the pool binds before the CPU on 2 CPUs. Measured: two
             # children kept the host 93% busy at 50 users (php-fpm 0.91 cores, PostgreSQL
             # 0.55: each request alternates between PHP and the database), so the CPU
             # saturated with the pool (make test-slow, 2026-12-05); one child, serving one
             # request at a time, kept it 58-66% busy while 88 requests waited for it
             # (validation, 2026-12-07, PostgreSQL and MariaDB).
             apps=("laravel",)),
    KnobSpec("opcache", _on_off, "off", "app.cpu",
             "OPcache off: every request compiles the framework's PHP files again",
             apps=("laravel",)),
    # Measured: with the sessions in files the disk stays under 12% busy at the CPU knee (the
    # page cache absorbs the writes) and Laravel's file driver does not lock: the verdict is
    # the baseline's. File sessions hurt with several app servers (sessions not shared).
    KnobSpec("sessions", _choice("redis", "file"), "file", AS_BASELINE,
             "sessions in files on the app server's disk instead of Redis (one file written "
             "per request)", apps=("laravel",)),
    KnobSpec("queue_workers", _non_negative_int, "0", "queue.backlog",
             "queue worker processes (default 2)"),
    KnobSpec("queue_job_delay_ms", _non_negative_int, "3000", "queue.backlog",
             "extra time every queued job takes (default 0)"),
    KnobSpec("hot_row_lock", _on_off, "on", "db.locks",
             "submit and approve take the yearly SPPD number from one counter row "
             "locked FOR UPDATE and held while the letter is prepared (250 ms)"),
    KnobSpec("bcrypt_rounds", _positive_int, "13", "app.cpu",
             "bcrypt cost of the users' password hashes (default 10)"),
    KnobSpec("db_max_connections", _positive_int, "20", "db.connections",
             "the database server's max_connections (default 100)",
             # Below what the app opens at peak: the Python app's pools hold 2 x 10 from the
             # start; PHP-FPM opens one per busy child (16) plus the queue workers' (2).
             bad_on=(("laravel", "10"),)),
)

KNOBS_BY_NAME: Mapping[str, KnobSpec] = {spec.name: spec for spec in KNOB_SPECS}


@dataclass(frozen=True)
class Knobs:
    """The knob values of one stack; defaults are the best practices."""

    indexes: bool = True
    eager_loading: bool = True
    cache: bool = True
    jobs: str = "queue"
    db_pool_size: int = 10
    app_workers: int = 2
    app_concurrency: int = 32
    queue_workers: int = 2
    queue_job_delay_ms: int = 0
    hot_row_lock: bool = False
    bcrypt_rounds: int = 10
    db_max_connections: int = 100
    pm_max_children: int = 16
    opcache: bool = True
    sessions: str = "redis"

    def with_values(self, values: Mapping[str, str]) -> Knobs:
        """Return a copy with `values` (knob name -> text value) applied and validated."""
        changes: dict[str, Any] = {}  # each value parsed to its field's type
        for name, raw in values.items():
            spec = KNOBS_BY_NAME.get(name)
            if spec is None:
                known = ", ".join(sorted(KNOBS_BY_NAME))
                raise KnobError(f"unknown knob {name!r}; known knobs: {known}")
            try:
                changes[name] = spec.parse(str(raw))
            except ValueError as error:
                raise KnobError(f"knob {name}={raw!r}: {error}") from None
        return replace(self, **changes)

    def check_app(self, app: str) -> None:
        """Fail naming the first changed knob that `app` does not have."""
        for name in self.changed():
            spec = KNOBS_BY_NAME[name]
            if app not in spec.apps:
                raise KnobError(f"knob {name} does not apply to the {app} app "
                                f"(only to: {', '.join(spec.apps)})")

    def changed(self) -> dict[str, object]:
        """The knobs that differ from the best practice, for logs and reports."""
        default = Knobs()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }

    def to_env(self) -> dict[str, str]:
        """Environment variables that carry the knobs into app and worker processes."""
        env = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool):
                value = "on" if value else "off"
            env[f"ESPPD_KNOB_{f.name.upper()}"] = str(value)
        return env

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Knobs:
        values = {
            spec.name: env[f"ESPPD_KNOB_{spec.name.upper()}"]
            for spec in KNOB_SPECS
            if f"ESPPD_KNOB_{spec.name.upper()}" in env
        }
        return cls().with_values(values)


def parse_assignments(assignments: Iterable[str]) -> dict[str, str]:
    """Parse CLI `NAME=VALUE` strings into a mapping, with one clear error per bad item."""
    values: dict[str, str] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise KnobError(f"knob {item!r} must look like NAME=VALUE")
        values[name.strip()] = value.strip()
    return values
