"""Column names and types of every results-directory file (docs/DATA-CONTRACT.md).

Why one table: the reader, the synthetic generator and the tests must agree on the
contract, and a contract change should be a one-line edit here.
"""

from __future__ import annotations

from dataclasses import dataclass

FLOAT = "float64"
INT = "int64"
STR = "str"
# A number one engine has and another lacks (PostgreSQL's buffer counts, MySQL's rows
# examined): an empty cell is "not measured", never zero.
MAYBE = "float64 or empty"


@dataclass(frozen=True)
class CsvSpec:
    """One CSV file of the contract: its name, typed columns and whether it must exist.

    `added` names columns added to the contract later: results written before them
    lack them, and they read as not measured.
    """

    filename: str
    columns: tuple[tuple[str, str], ...]
    required: bool
    added: frozenset[str] = frozenset()

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def dtypes(self) -> dict[str, str]:
        return dict(self.columns)


REQUESTS = CsvSpec(
    "requests.csv",
    (("ts", FLOAT), ("name", STR), ("method", STR), ("count", INT), ("failures", INT),
     ("sum_ms", FLOAT), ("max_ms", FLOAT), ("hist", STR), ("hist_missed", STR)),
    required=True,
    added=frozenset({"hist_missed"}),
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
# Per statement (PostgreSQL queryid, MySQL digest): the shared columns, PostgreSQL's
# buffer and I/O columns, then MySQL's examined rows, scans without an index,
# temporary tables on disk, sort merge passes and lock time.
STATEMENTS = CsvSpec(
    "statements.csv",
    (("ts", FLOAT), ("target", STR), ("queryid", STR), ("calls", INT),
     ("total_exec_time_ms", FLOAT), ("rows", INT), ("shared_blks_hit", MAYBE),
     ("shared_blks_read", MAYBE), ("temp_blks_written", MAYBE), ("blk_read_time_ms", MAYBE),
     ("rows_examined", MAYBE), ("no_index_used", MAYBE), ("tmp_disk_tables", MAYBE),
     ("sort_merge_passes", MAYBE), ("lock_time_ms", MAYBE)),
    required=False,
    added=frozenset({"rows_examined", "no_index_used", "tmp_disk_tables", "sort_merge_passes",
                     "lock_time_ms"}),
)
QUERIES = CsvSpec("queries.csv", (("queryid", STR), ("query", STR)), required=False)
# Per table: full scans (MySQL: estimated as rows read without an index / live rows),
# rows they read, index scans (MySQL: rows read through an index), live rows; the
# planner's view: rows changed since its statistics were taken, parts never analyzed,
# whether the server re-analyzes it by itself (1/0).
TABLES = CsvSpec(
    "tables.csv",
    (("ts", FLOAT), ("target", STR), ("table", STR), ("seq_scan", FLOAT),
     ("seq_tup_read", INT), ("idx_scan", INT), ("n_live_tup", INT),
     ("n_mod_since_analyze", MAYBE), ("unanalyzed", MAYBE), ("auto_analyze", MAYBE)),
    required=False,
    added=frozenset({"n_mod_since_analyze", "unanalyzed", "auto_analyze"}),
)

# Sessions others wait for, per sample (collectors.sampler.BLOCKERS_HEADER): who holds
# the lock, doing what, blocking how many; `blocked` when it waits on a lock itself.
BLOCKERS = CsvSpec(
    "blockers.csv",
    (("ts", FLOAT), ("target", STR), ("pid", STR), ("application", STR), ("client", STR),
     ("user", STR), ("state", STR), ("xact_age_s", MAYBE), ("waiting", INT),
     ("blocked", STR), ("query", STR)),
    required=False,
)

# The top processes by CPU, memory and storage I/O per host sample
# (collectors.sampler.PROCESSES_HEADER): who saturates a host.
PROCESSES = CsvSpec(
    "processes.csv",
    (("ts", FLOAT), ("target", STR), ("pid", STR), ("command", STR), ("group", STR),
     ("cpu", FLOAT), ("rss", FLOAT), ("io_rate", MAYBE)),
    required=False,
)

# Database connections by holder and state, the largest groups per sample
# (collectors.sampler.SESSIONS_HEADER): who filled max_connections.
SESSIONS = CsvSpec(
    "sessions.csv",
    (("ts", FLOAT), ("target", STR), ("application", STR), ("client", STR), ("user", STR),
     ("state", STR), ("count", INT)),
    required=False,
)

CSV_SPECS: tuple[CsvSpec, ...] = (REQUESTS, ERRORS, USERS, METRICS, STATEMENTS, QUERIES, TABLES,
                                  BLOCKERS, PROCESSES, SESSIONS)
CAMPAIGN_FILE = "campaign.toml"
EVENTS_FILE = "events.jsonl"
