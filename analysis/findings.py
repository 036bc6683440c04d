"""The Finding a diagnosis rule returns, and the rule type of the registry.

Why a plain dataclass: findings go to analysis.json, summary.md and the report
unchanged, so they carry numbers and text, never live objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from analysis.timefmt import iso

if TYPE_CHECKING:
    from analysis.context import Context

TAXONOMY: tuple[str, ...] = (
    "loadgen.cpu", "app.cpu", "app.workers", "db.cpu", "db.query", "db.n_plus_one",
    "db.connections", "db.locks", "db.io", "db.unavailable", "host.cpu", "host.memory", "host.disk",
    "queue.backlog", "cache.misses", "cache.latency", "app.errors", "none",
)


@dataclass
class Finding:
    """One named bottleneck with its evidence; `details` feeds the recommendations."""

    bottleneck: str
    confidence: float
    summary: str
    evidence: list[str]
    onset_ts: float | None = None
    onset_users: float | None = None
    affected_requests: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    correlation: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["confidence"] = round(self.confidence, 3)
        data["onset_iso"] = iso(self.onset_ts) if self.onset_ts is not None else None
        return data


Rule = Callable[["Context"], Finding | None]


Condition = Callable[["Finding"], bool]


@dataclass(frozen=True)
class RuleSpec:
    """One registry entry: the taxonomy class a rule can name, and the rule.

    `explained_by`: causes that explain this finding whenever both are present;
    `explained_if`: causes that explain it only when its own evidence says how (errors
    that are lost sessions come from the store that lost them, other errors do not)."""

    bottleneck: str
    rule: Rule
    explained_by: tuple[str, ...] = ()
    explained_if: tuple[tuple[str, Condition], ...] = ()

    def causes(self, finding: Finding) -> tuple[str, ...]:
        """The classes that would explain this finding, given its evidence."""
        return self.explained_by + tuple(
            cause for cause, holds in self.explained_if if holds(finding))
