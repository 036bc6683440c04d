"""Create the eSPPD schema: tables, yearly partitions and the filter indexes.

The filter indexes are listed once here so the `indexes=off` knob can leave
exactly these out (keeping primary keys and unique constraints, as a careless
migration would).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources

import psycopg
from psycopg import sql

# (table, columns) of every foreign key and every column pages filter or sort by.
FILTER_INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("users", ("nip",)),
    ("users", ("unit_kerja_id",)),
    ("unit_kerja", ("parent_id",)),
    ("sppd", ("user_id", "status")),
    ("sppd", ("unit_kerja_id", "status")),
    ("sppd", ("tanggal_berangkat", "tanggal_kembali")),
    ("sppd", ("tujuan_id",)),
    ("sppd", ("transportasi_id",)),
    ("sppd", ("id",)),
    ("laporan_perjalanan", ("sppd_id",)),
    ("laporan_perjalanan", ("user_id",)),
    ("approval_logs", ("sppd_id",)),
    ("approval_logs", ("user_id",)),
    ("approval_logs", ("created_at",)),
    ("documents", ("sppd_id",)),
    ("documents", ("user_id",)),
    ("exports", ("user_id",)),
    ("notifications", ("user_id", "read_at")),
)

PARTITIONED_TABLES = ("sppd", "laporan_perjalanan")


def create_schema(conn: psycopg.Connection, years: Iterable[int]) -> None:
    """Create tables and yearly partitions (plus a DEFAULT partition) in one transaction."""
    ddl = resources.files("reference_app").joinpath("schema.sql").read_text()
    with conn.transaction():
        conn.execute(ddl)
        for table in PARTITIONED_TABLES:
            for year in sorted(set(years)):
                conn.execute(sql.SQL(
                    "CREATE TABLE {part} PARTITION OF {table} "
                    "FOR VALUES FROM ({start}) TO ({end})").format(
                    part=sql.Identifier(f"{table}_{year}"), table=sql.Identifier(table),
                    start=sql.Literal(f"{year}-01-01"), end=sql.Literal(f"{year + 1}-01-01")))
            conn.execute(sql.SQL("CREATE TABLE {part} PARTITION OF {table} DEFAULT").format(
                part=sql.Identifier(f"{table}_default"), table=sql.Identifier(table)))


def index_name(table: str, columns: tuple[str, ...]) -> str:
    return f"{table}_{'_'.join(columns)}_idx"


def create_filter_indexes(conn: psycopg.Connection) -> None:
    """Create the filter/foreign-key indexes (after the seed: faster than maintaining them)."""
    for table, columns in FILTER_INDEXES:
        conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})").format(
            name=sql.Identifier(index_name(table, columns)), table=sql.Identifier(table),
            columns=sql.SQL(", ").join(sql.Identifier(column) for column in columns)))
    conn.commit()
