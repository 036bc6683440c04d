"""Which approval level each approver user of this worker serves (the Atasan class).

Why: with a chain of levels (unit head -> dean -> PPK), every level must have approvers
for trips to climb it, however few approver users run and however Locust spreads
(and, while it ramps, rebalances) them over workers. A fixed slot per started user lost
a level when Locust stopped users on one worker and started them on another. The rota
counts the users serving each level now (a stopped user gives its level back), gives a
new user the level fewest serve on this worker, ties broken in an order that starts at
a different level on each worker, and moves a user to the next level with each visit.
No import of Locust: unit-testable.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from scenarios.routes import ApprovalLevel


@dataclass
class ApproverRota:
    levels: tuple[ApprovalLevel, ...]
    worker_index: int = 0
    worker_count: int = 1
    _serving: Counter[int] = field(default_factory=Counter)  # level index -> users now

    def take(self) -> ApprovalLevel:
        """The level a new approver user serves."""
        count = len(self.levels)
        first = self.worker_index * count // max(1, self.worker_count) % count
        order = [(first + step) % count for step in range(count)]
        chosen = min(order, key=lambda index: self._serving[index])
        self._serving[chosen] += 1
        return self.levels[chosen]

    def move_on(self, level: ApprovalLevel) -> ApprovalLevel:
        """The next level of the chain, for the user's next visit."""
        index = self.levels.index(level)
        following = (index + 1) % len(self.levels)
        self._serving[index] -= 1
        self._serving[following] += 1
        return self.levels[following]

    def release(self, level: ApprovalLevel) -> None:
        """A stopped user no longer serves its level."""
        self._serving[self.levels.index(level)] -= 1
