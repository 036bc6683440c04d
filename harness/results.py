"""The results directory of one campaign: its name, its layout, the resolved config.

`results/<campaign>-<UTC yyyymmddThhmmss>/` (docs/DATA-CONTRACT.md). Created
before anything starts, so even a failed pre-flight leaves a record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import tomli_w

from harness.config import CampaignConfig


@dataclass(frozen=True)
class ResultsDir:
    path: Path

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def locust(self) -> Path:
        return self.path / "locust"

    @classmethod
    def create(cls, config: CampaignConfig, out: Path | None = None,
               now: float | None = None) -> ResultsDir:
        """Make a fresh directory (never reuse one: old results stay untouched)."""
        if out is None:
            stamp = datetime.fromtimestamp(now or time.time(), UTC).strftime("%Y%m%dT%H%M%S")
            base = config.output.dir / f"{config.name}-{stamp}"
            path, suffix = base, 1
            while path.exists():
                suffix += 1
                path = base.with_name(f"{base.name}-{suffix}")
        else:
            path = out
            if path.exists() and any(path.iterdir()):
                raise FileExistsError(f"{path} exists and is not empty; choose another --out")
        results = cls(path)
        for directory in (results.path, results.logs, results.locust):
            directory.mkdir(parents=True, exist_ok=True)
        (results.path / "campaign.toml").write_text(tomli_w.dumps(config.redacted()))
        return results
