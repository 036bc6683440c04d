"""The campaign spec: TOML (+ CLI overrides) -> one typed, validated CampaignConfig.

Why pydantic: unknown keys and bad values must fail before anything starts,
with one line per problem naming the key (`load.users: ...`). The config is
the one object that flows down to the stack, the collectors, Locust and the
analysis; `redacted()` is the only form that is ever written or logged.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from collectors.env import from_environment
from collectors.shell import check_log_path
from reference_app.knobs import KnobError, Knobs

_NUMBER = r"(\d+(?:\.\d+)?)"
_DURATION = re.compile(rf"^\s*(?:{_NUMBER}h)?\s*(?:{_NUMBER}m)?\s*(?:{_NUMBER}s?)?\s*$")
REDACTED = "***"


class ConfigError(ValueError):
    """Invalid campaign config; str() is the message to show (one line per problem)."""


def parse_duration(value: object) -> float:
    """Seconds from 90, "90", "90s", "2m", "1h30m" (Locust's timespan style)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match or not any(match.groups()):
            raise ValueError(f"{value!r} is not a duration like 90s, 2m or 1h30m")
        hours, minutes, secs = (float(group or 0) for group in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def redact_url(url: str) -> str:
    """postgresql://user:secret@host/db -> postgresql://user:***@host/db (also redis://:pw@)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo = f"{parts.username or ''}:{REDACTED}"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{userinfo}@{host}", parts.path, parts.query,
                       parts.fragment))


class TargetConfig(Strict):
    kind: Literal["embedded", "url"] = "embedded"
    app: Literal["python", "laravel"] = "python"
    db: Literal["postgresql", "mariadb"] = "postgresql"
    size: Literal["small", "default", "large"] = "small"
    knobs: dict[str, str] = Field(default_factory=dict)
    url: str | None = None
    route_map: Path | None = None
    accounts: Path | None = None

    @field_validator("knobs", mode="before")
    @classmethod
    def _knob_values_as_text(cls, value: object) -> object:
        if isinstance(value, dict):
            return {key: ("on" if item is True else "off" if item is False else str(item))
                    for key, item in value.items()}
        return value

    @field_validator("knobs")
    @classmethod
    def _known_knobs(cls, value: dict[str, str]) -> dict[str, str]:
        try:
            Knobs().with_values(value)
        except KnobError as error:
            raise ValueError(str(error)) from None
        return value

    @model_validator(mode="after")
    def _url_when_remote(self) -> TargetConfig:
        if self.kind == "embedded":
            if self.app == "python" and self.db != "postgresql":
                raise ValueError("the python app runs on postgresql only; "
                                 "use app = \"laravel\" for mariadb")
            try:
                self.knob_values.check_app(self.app)
            except KnobError as error:
                raise ValueError(str(error)) from None
        if self.kind == "url":
            if not self.url or urlsplit(self.url).scheme not in {"http", "https"}:
                raise ValueError("a target of kind 'url' needs url = \"http(s)://host\"")
            if self.knobs:
                raise ValueError("knobs only apply to the embedded target")
        elif self.url:
            raise ValueError("url is only for kind = 'url'")
        return self

    @property
    def knob_values(self) -> Knobs:
        return Knobs().with_values(self.knobs)


class LoadConfig(Strict):
    shape: Literal["constant", "peak-day", "capacity-step", "spike", "month-end",
                   "arrival-rate"] = "constant"
    users: int = Field(10, gt=0, le=100_000, description="users; arrival-rate: the most "
                       "visits in flight at once (arrivals beyond it are dropped, counted)")
    arrival_rate: float | None = Field(None, gt=0, le=10_000, description="arrival-rate: "
                                       "visits started per second at the 09:00 peak")
    spawn_rate: float = Field(5.0, gt=0)
    duration: Duration = 60.0
    seconds_per_hour: Duration = Field(
        10.0, description="peak-day/month-end: wall seconds per simulated working hour")
    step_users: int = Field(50, gt=0, description="capacity-step: users added per step")
    step_duration: Duration = Field(30.0, description="capacity-step: how long each step holds")
    think_scale: float = Field(1.0, gt=0, le=100,
                               description="multiply every think time (1.0 = the eSPPD plan)")
    locustfile: Path | None = Field(None, description="your own User classes: a .py file or "
                                    "a package directory (the built-in eSPPD scenarios when "
                                    "absent); see docs/scenarios.md")
    user_classes: list[str] | dict[str, Annotated[int, Field(gt=0)]] = Field(
        default_factory=list, description="the User classes that run (all when empty); as a "
        "table, with their weights: { Dosen = 8, Kaprodi = 2 }")

    @model_validator(mode="after")
    def _rate_for_open_model(self) -> LoadConfig:
        if (self.shape == "arrival-rate") != (self.arrival_rate is not None):
            raise ValueError("arrival_rate goes with shape = \"arrival-rate\" (the open model), "
                             "and that shape needs it")
        return self

    @property
    def model(self) -> str:
        """open: visits arrive at a planned rate; closed: a fixed number of users loop."""
        return "open" if self.shape == "arrival-rate" else "closed"


class SSHWorkerHost(Strict):
    host: str
    user: str
    port: int = Field(22, gt=0, lt=65536)
    key: Path | None = None
    known_hosts: Path | None = None
    trust_new_host_key: bool = False
    python: str = "python3"
    workers: int = Field(1, gt=0, le=64)


class DistributionConfig(Strict):
    workers: int = Field(2, ge=0, le=64, description="local Locust worker processes")
    hosts: list[SSHWorkerHost] = Field(default_factory=list)
    master_host: str = Field("127.0.0.1", description="address the SSH worker hosts reach "
                             "this machine on; the Locust master listens there")
    expect_workers_timeout: Duration = 60.0

    @model_validator(mode="after")
    def _someone_generates(self) -> DistributionConfig:
        if self.workers == 0 and not self.hosts:
            raise ValueError("no load generator: set workers >= 1 or add [[distribution.hosts]]")
        return self

    @property
    def expected_workers(self) -> int:
        return self.workers + sum(host.workers for host in self.hosts)


class CollectorConfig(Strict):
    """One collector; `target = "embedded"` means the embedded stack's own server."""

    type: Literal["host", "postgres", "mysql", "redis", "app_status", "log"]
    interval: Duration = 1.0
    ssh: str | None = Field(None, description="host, log: user@host[:port] to read over SSH")
    key: Path | None = None
    known_hosts: Path | None = None
    trust_new_host_key: bool = False
    dsn: str | None = Field(None, description="postgres/mysql: DSN, env:NAME or 'embedded'")
    url: str | None = Field(None, description="redis URL / status page URL, env:NAME or "
                                              "'embedded'")
    queue_url: str | None = Field(None, description="redis: a separate queue Redis, env:NAME "
                                                     "or 'embedded'")
    ports: list[int] = Field(default_factory=list, description="host: listen ports to watch")
    queues: list[str] = Field(default_factory=list, description="redis: queues to report from "
                              "the start: names or full keys (laravel_database_queues:default)")
    max_children: int | None = Field(None, gt=0, description="app_status of PHP-FPM: the "
                                     "pool's pm.max_children (its status page does not say)")
    paths: list[str] = Field(default_factory=list, description="log: absolute files or glob "
                             "patterns to count error lines of (storage/logs/laravel*.log, "
                             "PHP-FPM's and nginx's error logs), or ['embedded']")

    @field_validator("dsn", "url", "queue_url")
    @classmethod
    def _from_environment(cls, value: str | None) -> str | None:
        """`env:NAME` reads the connection string from the environment, so a campaign
        file holds no password."""
        return None if value is None else from_environment(value)

    @model_validator(mode="after")
    def _connection_given(self) -> CollectorConfig:
        if self.type in {"postgres", "mysql"} and not self.dsn:
            raise ValueError(f"a {self.type} collector needs dsn (or dsn = \"embedded\")")
        if self.type in {"redis", "app_status"} and not self.url:
            raise ValueError(f"a {self.type} collector needs url (or url = \"embedded\")")
        if self.type == "log":
            if not self.paths:
                raise ValueError('a log collector needs paths (or paths = ["embedded"])')
            for path in self.paths:
                if path != "embedded":
                    check_log_path(path)
        return self


class SLOConfig(Strict):
    p95_ms: float = Field(500.0, gt=0)
    error_rate: float = Field(0.01, ge=0, le=1)
    queue_length: float = Field(100.0, ge=0)
    cache_hit_ratio: float = Field(0.80, ge=0, le=1)
    db_connections_ratio: float = Field(0.80, gt=0, le=1)
    cpu_util: float = Field(0.80, gt=0, le=1)
    cpu_sustain_s: float = Field(60.0, gt=0)


def parse_address(value: str) -> tuple[str, int]:
    """`[host:]port` -> (host, port); the host defaults to loopback (nothing is exposed to
    the network unless asked for)."""
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not [host:]port, for example 9646 or 0.0.0.0:9646")
    return host.strip("[]") or "127.0.0.1", int(port)


class LiveConfig(Strict):
    """Watching a running campaign from outside: Locust's web UI and a Prometheus endpoint."""

    web: str | None = Field(None, description="[host:]port of Locust's web UI for the "
                            "running campaign (watch it, stop it)")
    prometheus: str | None = Field(None, description="[host:]port serving /metrics: users, "
                                   "requests, latency and every collector metric")

    @field_validator("web", "prometheus")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is not None:
            parse_address(value)
        return value

    @model_validator(mode="after")
    def _distinct(self) -> LiveConfig:
        if self.web and self.prometheus and \
                parse_address(self.web) == parse_address(self.prometheus):
            raise ValueError("web and prometheus need different ports")
        return self


class OutputConfig(Strict):
    dir: Path = Path("results")


class CompareConfig(Strict):
    """The regression gate: this run against a baseline results directory."""

    baseline: Path | None = Field(None, description="a results directory to compare with")
    p95_increase: float = Field(0.10, ge=0, description="allowed p95 rise (0.10 = +10%)")
    throughput_decrease: float = Field(0.05, ge=0, le=1,
                                       description="allowed fall of requests/s (0.05 = -5%)")
    error_rate_increase: float = Field(0.005, ge=0, le=1, description="allowed error-rate "
                                       "rise in points of share (0.005 = +0.5 points)")


def default_collectors(database: Literal["postgres", "mysql"] = "postgres"
                       ) -> list[CollectorConfig]:
    """The embedded stack's host, database (its engine's collector), Redis, status pages
    and logs."""
    return [CollectorConfig(type="host"), CollectorConfig(type=database, dsn="embedded"),
            CollectorConfig(type="redis", url="embedded", queue_url="embedded"),
            CollectorConfig(type="app_status", url="embedded"),
            CollectorConfig(type="log", paths=["embedded"])]


# The collector type that reads each embedded database engine.
ENGINE_COLLECTOR = {"postgresql": "postgres", "mariadb": "mysql"}


class CampaignConfig(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    description: str = ""
    target: TargetConfig = Field(default_factory=TargetConfig)
    load: LoadConfig = Field(default_factory=LoadConfig)
    distribution: DistributionConfig = Field(default_factory=DistributionConfig)
    collectors: list[CollectorConfig] = Field(default_factory=default_collectors)
    slo: SLOConfig = Field(default_factory=SLOConfig)
    live: LiveConfig = Field(default_factory=LiveConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    compare: CompareConfig = Field(default_factory=CompareConfig)

    @model_validator(mode="before")
    @classmethod
    def _collectors_of_the_engine(cls, data: Any) -> Any:
        """Default collectors read the embedded database with its engine's collector.

        A URL target's servers are unknown until [[collectors]] names them: by default
        only this host is sampled (a saturated load generator distorts every latency).
        """
        if isinstance(data, dict) and "collectors" not in data:
            target = data.get("target")
            target = target if isinstance(target, dict) else {}
            if target.get("kind", "embedded") != "embedded":
                return {**data, "collectors": [CollectorConfig(type="host")]}
            db = target.get("db", "postgresql")
            engine: Literal["postgres", "mysql"] = "mysql" if db == "mariadb" else "postgres"
            data = {**data, "collectors": default_collectors(engine)}
        return data

    @model_validator(mode="after")
    def _embedded_references(self) -> CampaignConfig:
        for index, collector in enumerate(self.collectors):
            embedded = "embedded" in {collector.dsn, collector.url, collector.queue_url}
            if embedded and self.target.kind != "embedded":
                raise ValueError(f"collectors[{index}] points at the embedded stack, but "
                                 "the target is not embedded")
            wanted = ENGINE_COLLECTOR[self.target.db]
            if embedded and collector.type in ENGINE_COLLECTOR.values() and \
                    collector.type != wanted:
                raise ValueError(f"collectors[{index}]: the embedded database is "
                                 f"{self.target.db}: use type = \"{wanted}\"")
        return self

    def redacted(self) -> dict[str, Any]:
        """The config as plain data with every password removed (for files and logs)."""
        data = self.model_dump(mode="json", exclude_none=True)
        for collector in data["collectors"]:
            for key in ("dsn", "url", "queue_url"):
                if key in collector:
                    collector[key] = redact_url(collector[key])
        if "url" in data["target"]:
            data["target"]["url"] = redact_url(data["target"]["url"])
        return data


def _format_errors(source: str, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}"
                        for part in item["loc"]).lstrip(".") or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{source}: {where}: {message}")
    return "\n".join(lines)


def _set_path(data: dict[str, Any], dotted: str, value: object) -> None:
    node = data
    *parents, leaf = dotted.split(".")
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"cannot override {dotted}: {part} is not a table")
    node[leaf] = value


def load_config(path: Path | None, overrides: dict[str, object] | None = None) -> CampaignConfig:
    """Read, override (dotted keys such as `load.users`) and validate a campaign spec."""
    source = str(path) if path else "(defaults)"
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"{source}: no such campaign file") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{source}: not valid TOML: {error}") from None
        data.setdefault("name", path.stem)
    else:
        data["name"] = "adhoc"
    for dotted, value in (overrides or {}).items():
        if dotted == "target.knobs":
            data.setdefault("target", {}).setdefault("knobs", {}).update(value)
        else:
            _set_path(data, dotted, value)
    try:
        return CampaignConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_format_errors(source, error)) from None
