"""Laravel's queue tables, read by either database collector: `jobs` (the database queue
driver) and `failed_jobs` (every driver's final failures).

Why from the database: a Redis queue's failures land in failed_jobs too, and a
database queue has no Redis keys at all. Reading them needs SELECT on the two
tables (the embedded stack grants it to its monitor account); without it, or
without the tables, the collector simply leaves these metrics out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from collectors.base import Sample

# Portable SQL (PostgreSQL and MySQL): no FILTER, no engine functions.
JOBS = ("SELECT queue, SUM(CASE WHEN reserved_at IS NULL THEN 1 ELSE 0 END) AS pending, "
        "SUM(CASE WHEN reserved_at IS NULL THEN 0 ELSE 1 END) AS reserved "
        "FROM {schema}jobs GROUP BY queue")
FAILED = "SELECT queue, COUNT(*) AS failed FROM {schema}failed_jobs GROUP BY queue"
# Which of the two exist (and are visible to this account), asked first: a query on a
# table that is not there would write an error into the server's log every sample.
PRESENT = ("SELECT table_schema AS in_schema, table_name AS name FROM "
           "information_schema.tables WHERE table_name IN ('jobs', 'failed_jobs')")
SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema"})

Query = Callable[[str], list[dict[str, Any]]]


class LaravelQueueTables:
    """Samples the two tables while they can be read; gives up on each at its first error."""

    def __init__(self, schema: str | None = None) -> None:
        """`schema`: where the tables are when the session has no default database."""
        self.readable: dict[str, bool] | None = None
        self.schema = schema
        self.prefix = f"{schema}." if schema else ""

    def sample(self, query: Query, failure: type[Exception], out: Sample) -> None:
        if self.readable is None:
            try:
                present = {str(row["name"]) for row in query(PRESENT)
                           if self._ours(str(row["in_schema"]))}
            except failure:
                present = set()
            self.readable = {name: name in present for name in ("jobs", "failed_jobs")}
        if self.readable["jobs"]:
            try:
                for row in query(JOBS.format(schema=self.prefix)):
                    out.add(f"queue.length{{{row['queue']}}}", float(row["pending"] or 0))
                    out.add(f"queue.reserved{{{row['queue']}}}", float(row["reserved"] or 0))
            except failure:
                self.readable["jobs"] = False  # no such table, or no SELECT on it
        if self.readable["failed_jobs"]:
            try:
                for row in query(FAILED.format(schema=self.prefix)):
                    out.add(f"queue.failed{{{row['queue']}}}", float(row["failed"] or 0))
            except failure:
                self.readable["failed_jobs"] = False

    def _ours(self, schema: str) -> bool:
        """The app's schema: the given one, else any but the system's (PostgreSQL's search
        path decides which one the unqualified query reads)."""
        return schema == self.schema if self.schema else schema not in SYSTEM_SCHEMAS
