"""The reference eSPPD's approval chain: who decides, level by level, over which units.

eSPPD installations differ here: one unit head decides, or a trip climbs from the
head of study programme to the dean to the commitment officer (PPK). The chain is
data, the `approval_levels` table both apps read, written when the stack is seeded,
so one reference app serves either. An SPPD stays `diajukan` while it climbs
(`sppd.approval_level` counts the approvals it has); the last level approves it
(number, budget), any level may reject it.
"""

from __future__ import annotations

# Each approving role of the reference seed, and the units it decides for:
# its own unit, its faculty (its own unit and the units under it), or all.
SCOPES: dict[str, str] = {"atasan": "unit", "dekan": "faculty", "ppk": "all"}
DEFAULT_CHAIN: tuple[str, ...] = ("atasan",)


def check_chain(chain: tuple[str, ...]) -> None:
    """ValueError unless `chain` is a non-empty sequence of distinct approving roles."""
    if not chain:
        raise ValueError("the approval chain needs at least one level")
    unknown = [role for role in chain if role not in SCOPES]
    if unknown:
        raise ValueError(f"the reference app has no approving role {', '.join(unknown)}; "
                         f"levels are made of {', '.join(SCOPES)}")
    if len(set(chain)) != len(chain):
        raise ValueError(f"approval chain {' -> '.join(chain)}: a role decides at one level only")


def level_rows(chain: tuple[str, ...]) -> list[tuple[int, str, str]]:
    """The `approval_levels` rows: (level from 1, role, scope)."""
    check_chain(chain)
    return [(level, role, SCOPES[role]) for level, role in enumerate(chain, 1)]
