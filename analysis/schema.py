"""Column names and types of every results-directory file (docs/DATA-CONTRACT.md).

Why one table: the reader, the synthetic generator and the tests must agree on the
contract, and a contract change should be a one-line edit here.
"""

from __future__ import annotations

from dataclasses import dataclass

FLOAT = "float64"
INT = "int64"
STR = "str"


@dataclass(frozen=True)
class CsvSpec:
    """One CSV file of the contract: its name, typed columns and whether it must exist."""

    filename: str
    columns: tuple[tuple[str, str], ...]
    required: bool

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def dtypes(self) -> dict[str, str]:
        return dict(self.columns)


REQUESTS = CsvSpec(
    "requests.csv",
    (("ts", FLOAT), ("name", STR), ("method", STR), ("count", INT), ("failures", INT),
     ("sum_ms", FLOAT), ("max_ms", FLOAT), ("hist", STR)),
    required=True,
)
ERRORS = CsvSpec(
    "errors.csv",
    (("ts", FLOAT), ("name", STR), ("method", STR), ("error", STR), ("count", INT)),
    required=False,
)
USERS = CsvSpec(
    "users.csv",
    (("ts", FLOAT), ("phase", STR), ("target_users", INT), ("user_class", STR), ("users", INT)),
    required=True,
)
METRICS = CsvSpec(
    "metrics.csv",
    (("ts", FLOAT), ("collector", STR), ("target", STR), ("metric", STR), ("value", FLOAT)),
    required=False,
)
STATEMENTS = CsvSpec(
    "statements.csv",
    (("ts", FLOAT), ("target", STR), ("queryid", STR), ("calls", INT),
     ("total_exec_time_ms", FLOAT), ("rows", INT), ("shared_blks_hit", INT),
     ("shared_blks_read", INT), ("temp_blks_written", INT), ("blk_read_time_ms", FLOAT)),
    required=False,
)
QUERIES = CsvSpec("queries.csv", (("queryid", STR), ("query", STR)), required=False)
TABLES = CsvSpec(
    "tables.csv",
    (("ts", FLOAT), ("target", STR), ("table", STR), ("seq_scan", INT), ("seq_tup_read", INT),
     ("idx_scan", INT), ("n_live_tup", INT)),
    required=False,
)

CSV_SPECS: tuple[CsvSpec, ...] = (REQUESTS, ERRORS, USERS, METRICS, STATEMENTS, QUERIES, TABLES)
CAMPAIGN_FILE = "campaign.toml"
EVENTS_FILE = "events.jsonl"
