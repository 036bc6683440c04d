"""What an embedded stack is asked to run, and what its app runtimes are handed.

Kept apart from stack.py so each app's runtime (Python, Laravel) can import
these without importing the stack that composes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reference_app.approvals import DEFAULT_CHAIN, check_chain
from reference_app.knobs import KnobError, Knobs
from reference_app.seed import SIZES
from supervision.servers import MariaDBServer, PostgresServer, RedisServer

Progress = Callable[[str], None]

APPS = ("python", "laravel")
DATABASES = ("postgresql", "mariadb")


@dataclass(frozen=True)
class StackConfig:
    app: str = "python"
    db: str = "postgresql"
    size: str = "small"
    knobs: Knobs = field(default_factory=Knobs)
    log_dir: Path | None = None
    retry_after_s: int = 90
    approval_chain: tuple[str, ...] = DEFAULT_CHAIN  # approving roles, lowest level first
    # The Laravel app appends each request's and job's statement count to
    # storage/logs/statements.log: the truth the analysis's estimates are held against.
    statement_log: bool = False

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ValueError(f"unknown size {self.size!r}; choose one of {', '.join(SIZES)}")
        if self.app not in APPS:
            raise ValueError(f"unknown app {self.app!r}; choose one of {', '.join(APPS)}")
        if self.db not in DATABASES:
            raise ValueError(f"unknown database {self.db!r}; choose one of "
                             f"{', '.join(DATABASES)}")
        if self.app == "python" and self.db != "postgresql":
            raise ValueError("the python app runs on postgresql only; "
                             "use app = \"laravel\" for mariadb")
        if self.statement_log and self.app != "laravel":
            raise ValueError("the statement log is the laravel app's")
        check_chain(self.approval_chain)
        try:
            self.knobs.check_app(self.app)
        except KnobError as error:
            raise ValueError(str(error)) from None


@dataclass
class StackServices:
    """The servers an app runtime builds on, started by the stack before the app."""

    config: StackConfig
    database: PostgresServer | MariaDBServer
    redis: RedisServer
    queue_redis: RedisServer
    log_dir: Path
    tmp: Path
