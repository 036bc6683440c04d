"""The approval chain as the Python app reads it: each level's role and the units it covers.

Mirrors Laravel's ApprovalLevel model: the chain is the `approval_levels` table,
cached with the permissions (6 h, tag `permissions`); an SPPD waits for level k
while it is `diajukan` with k-1 approvals. Filters are SQL over the `sppd s` alias.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import sql

Row = dict[str, Any]


@dataclass(frozen=True)
class ApprovalLevel:
    level: int
    role: str
    scope: str  # unit | faculty | all

    def units_filter(self, approver: Row) -> tuple[sql.Composable, tuple[object, ...]]:
        """The SPPD of the units this level covers, as `approver` sees them."""
        if self.scope == "unit":
            return sql.SQL("s.unit_kerja_id = %s"), (approver["unit_kerja_id"],)
        if self.scope == "faculty":
            return sql.SQL("s.unit_kerja_id IN (SELECT id FROM unit_kerja "
                           "WHERE COALESCE(parent_id, id) = %s)"), (approver["unit_kerja_id"],)
        return sql.SQL("TRUE"), ()

    def awaiting_filter(self, approver: Row) -> tuple[sql.Composable, tuple[object, ...]]:
        """Submitted SPPD that wait for this level, other than the approver's own."""
        units, params = self.units_filter(approver)
        return (sql.SQL("{} AND s.status = 'diajukan' AND s.approval_level = %s "
                        "AND s.user_id <> %s").format(units),
                (*params, self.level - 1, approver["id"]))

    def covers(self, approver: Row, sppd: Row) -> bool:
        """Whether `approver` decides at this level for the SPPD's unit
        (`sppd` carries `faculty_id`: its unit's parent, or the unit at the top)."""
        if self.scope == "unit":
            return bool(sppd["unit_kerja_id"] == approver["unit_kerja_id"])
        if self.scope == "faculty":
            return bool(sppd["faculty_id"] == approver["unit_kerja_id"])
        return True

    def approver_filter(self, sppd: Row) -> tuple[sql.Composable, tuple[object, ...]]:
        """Users of this level's role over the SPPD's unit (who is told it waits)."""
        if self.scope == "unit":
            return sql.SQL("role = %s AND unit_kerja_id = %s"), (self.role, sppd["unit_kerja_id"])
        if self.scope == "faculty":
            return sql.SQL("role = %s AND unit_kerja_id = %s"), (self.role, sppd["faculty_id"])
        return sql.SQL("role = %s"), (self.role,)


def chain_from_rows(rows: list[Row]) -> list[ApprovalLevel]:
    """The cached `approval_levels` rows (lowest level first) as levels."""
    return [ApprovalLevel(int(row["level"]), row["role"], row["scope"]) for row in rows]


def level_of(chain: list[ApprovalLevel], role: str) -> ApprovalLevel | None:
    return next((level for level in chain if level.role == role), None)


def next_level(chain: list[ApprovalLevel], level: ApprovalLevel) -> ApprovalLevel | None:
    return next((other for other in chain if other.level == level.level + 1), None)
