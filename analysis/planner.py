"""The planner's statistics of the tables a finding's statements read: missing or stale.

Why: the database plans each statement from the statistics ANALYZE took. A restored or
upgraded table (pg_upgrade and a dump carry none) has none; one that changed a lot
since (a bulk import with autovacuum off for the load) has stale ones. Either way plans
are made for a table that is not there, and a statement costs more per call than its
rows ask. The fix is one ANALYZE, not an index or more CPU, so the findings that name
statements (db.query, db.cpu) say it first when the collector saw it (tables.csv:
`n_mod_since_analyze`, `unanalyzed`, `auto_analyze`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analysis.context import Context
from analysis.rules.common import pct

# Rows changed since the last ANALYZE, as a share of the table's rows: twice the share at
# which autovacuum analyzes by default (autovacuum_analyze_scale_factor 0.1; InnoDB
# recalculates at 10% too), so a table past it is one nothing re-analyzes.
STALE_SHARE = 0.2
MIN_CHANGED_ROWS = 1000       # a smaller change cannot mislead a plan much


@dataclass(frozen=True)
class TableStatistics:
    """One table's planner statistics, as last sampled."""

    table: str
    rows: float
    changed: float            # rows changed since its statistics were taken (nan: unknown)
    unanalyzed: float         # its parts never analyzed (nan: unknown)
    auto: float               # 1: the server re-analyzes it by itself, 0: not (nan: unknown)

    @property
    def missing(self) -> bool:
        return self.unanalyzed > 0

    @property
    def stale(self) -> bool:
        return self.missing or (self.changed >= MIN_CHANGED_ROWS
                                and self.changed >= STALE_SHARE * max(self.rows, 1.0))

    def changes(self) -> str:
        return (f"{self.table}: {self.changed:.0f} rows changed since its last ANALYZE "
                f"({pct(self.changed / max(self.rows, 1.0))} of its {self.rows:.0f} rows)")


def describe(stale: list[TableStatistics]) -> list[str]:
    """One evidence line for the tables with missing or stale statistics (none: [])."""
    if not stale:
        return []
    missing = [stats.table + (f" ({stats.unanalyzed:.0f} parts)" if stats.unanalyzed > 1
                              else "") for stats in stale if stats.missing]
    clauses = ([f"{', '.join(missing)} never analyzed (no statistics, as a restore or "
                "pg_upgrade leaves a table)"] if missing else []) + [
        stats.changes() for stats in stale if not stats.missing]
    off = [stats.table for stats in stale if stats.auto == 0]
    return [f"planner statistics: {'; '.join(clauses)}"
            + (f"; nothing re-analyzes {', '.join(off)} (autovacuum off)" if off else "")
            + ": plans are chosen for tables that are not there"]


def stale_statistics(ctx: Context, tables: Iterable[str]) -> list[TableStatistics]:
    """The named tables whose planner statistics are missing or stale at their last sample."""
    frame = ctx.tables
    if frame.empty or "n_mod_since_analyze" not in frame:
        return []
    last = frame.groupby(frame["table"].astype(str).str.split(".").str[-1].str.lower()).last()
    found = []
    for table in dict.fromkeys(tables):
        if table not in last.index:
            continue
        row = last.loc[table]
        stats = TableStatistics(table, float(row["n_live_tup"]),
                                float(row["n_mod_since_analyze"]), float(row["unanalyzed"]),
                                float(row["auto_analyze"]))
        if stats.stale:
            found.append(stats)
    return found

