"""Settings of one app or queue-worker process, read from the environment.

Why the environment: uvicorn spawns its worker processes and the stack starts
queue workers as separate programs, so the one config object (the stack's)
reaches them as environment variables, as a Laravel `.env` would.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reference_app.knobs import Knobs

QUEUE_PREFIX = "esppd_database_"
QUEUES = ("default", "documents", "exports", "notifications")


@dataclass(frozen=True)
class AppSettings:
    dsn: str
    redis_url: str          # cache and sessions
    queue_redis_url: str    # the queue (its own server: polling must not pollute cache stats)
    storage_dir: Path
    knobs: Knobs
    queue_prefix: str = QUEUE_PREFIX
    retry_after_s: int = 90
    session_ttl_s: int = 7200

    def to_env(self) -> dict[str, str]:
        return {
            "ESPPD_DSN": self.dsn,
            "ESPPD_REDIS_URL": self.redis_url,
            "ESPPD_QUEUE_REDIS_URL": self.queue_redis_url,
            "ESPPD_STORAGE_DIR": str(self.storage_dir),
            "ESPPD_QUEUE_PREFIX": self.queue_prefix,
            "ESPPD_RETRY_AFTER_S": str(self.retry_after_s),
            **self.knobs.to_env(),
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AppSettings:
        env = os.environ if env is None else env
        missing = [name for name in ("ESPPD_DSN", "ESPPD_REDIS_URL", "ESPPD_QUEUE_REDIS_URL",
                                     "ESPPD_STORAGE_DIR")
                   if not env.get(name)]
        if missing:
            raise SystemExit(f"missing environment: {', '.join(missing)} "
                             "(start the app with `python -m reference_app up`)")
        return cls(
            dsn=env["ESPPD_DSN"],
            redis_url=env["ESPPD_REDIS_URL"],
            queue_redis_url=env["ESPPD_QUEUE_REDIS_URL"],
            storage_dir=Path(env["ESPPD_STORAGE_DIR"]),
            knobs=Knobs.from_env(env),
            queue_prefix=env.get("ESPPD_QUEUE_PREFIX", QUEUE_PREFIX),
            retry_after_s=int(env.get("ESPPD_RETRY_AFTER_S", "90")),
        )
