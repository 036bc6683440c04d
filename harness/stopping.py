"""How a campaign stops on Ctrl-C or SIGTERM.

Why a module of its own: the flag's rules (graceful while the load runs, at once
before it) are the campaign's contract with its user, and testable without Locust.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class StopFlag:
    """Set by the first Ctrl-C/SIGTERM. While the load runs, the first one stops it
    gracefully (every sample flushed, the report written) and a second one aborts that
    path; before the load, nothing is there to stop gracefully (a stack half started,
    a pre-flight), so the first one aborts at once."""

    requested: bool = False
    graceful: bool = False  # the load runs: a stop lets it end cleanly
    reason: str = ""
    on_abort: Callable[[], None] | None = field(default=None, repr=False)

    def trigger(self, reason: str) -> None:
        again = self.requested
        if not again:
            self.requested, self.reason = True, reason
        if (again or not self.graceful) and self.on_abort is not None:
            self.on_abort()
