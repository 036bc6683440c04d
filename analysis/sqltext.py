"""Readings of normalized SQL text: shorten it, find its tables, aliases and index columns.

Why a parser (sqlglot): statement texts are normalized (PostgreSQL's `$1`,
MySQL digests' `?` and `(...)`) and ORM-generated, with `extract(year FROM x)`,
subqueries and quoted identifiers that fool pattern matching. A text that does
not parse in either dialect (a digest cut at its length limit) yields no
tables and no columns: the finding then says less rather than something wrong.
The suggested index is a hint to verify with EXPLAIN.
"""

from __future__ import annotations

import functools
import logging
import re

import sqlglot
from sqlglot import exp

# MySQL digests write an IN list as `(...)` and cut long texts with a trailing `...`.
_DIGEST_LIST = re.compile(r"\(\s*\.\.\.\s*\)")
_DIGEST_CUT = re.compile(r"\s*\.\.\.\s*$")
# Predicate node -> operator name, for the index heuristic.
_OPERATORS: dict[type[exp.Expr], str] = {
    exp.EQ: "=", exp.NEQ: "<>", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<=",
    exp.In: "in", exp.Like: "like", exp.ILike: "ilike", exp.Between: "between", exp.Is: "is",
}
_EQUALITY = {"=", "in", "is"}
# Transaction and session control: no rows read, no row locks taken (Laravel's MySQL
# connector runs `USE` and `SET NAMES` on every connect).
_SESSION_CONTROL = re.compile(r"\s*(COMMIT|ROLLBACK|BEGIN|START\s+TRANSACTION|SAVEPOINT|"
                              r"RELEASE|SET|USE)\b", re.I)
_SCHEMA_CHANGE = re.compile(r"\s*(ALTER|DROP|TRUNCATE|CREATE\s+(UNIQUE\s+)?INDEX|VACUUM\s+FULL|"
                            r"CLUSTER|REINDEX|RENAME|OPTIMIZE)\b", re.I)
_CONCURRENTLY = re.compile(r"\bCONCURRENTLY\b", re.I)
_COMMIT = re.compile(r"\s*(COMMIT|END)\s*(WORK|TRANSACTION)?\s*;?\s*$", re.I)


def is_session_control(query: str) -> bool:
    return bool(_SESSION_CONTROL.match(query))


def is_schema_change(query: str) -> bool:
    """DDL and maintenance that take a table's strongest lock (ALTER, DROP, TRUNCATE,
    VACUUM FULL, a CREATE INDEX that is not CONCURRENTLY...)."""
    return bool(_SCHEMA_CHANGE.match(query)) and not _CONCURRENTLY.search(query)


def is_commit(query: str) -> bool:
    """COMMIT (or PostgreSQL's END): the statement that waits for the durable write."""
    return bool(_COMMIT.match(query))


def shorten(query: str, limit: int = 120) -> str:
    """One line, collapsed whitespace, at most `limit` characters."""
    text = " ".join(query.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _quiet_fallbacks(record: logging.LogRecord) -> bool:
    """sqlglot warns on every statement it keeps as a plain command (SET NAMES, USE):
    for the analysis that is an answer (no tables), not a problem for the log."""
    return "unsupported syntax" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_quiet_fallbacks)


@functools.lru_cache(maxsize=2048)
def parse(query: str) -> exp.Expr | None:
    """The statement's syntax tree (PostgreSQL, then MySQL dialect), or None."""
    text = _DIGEST_CUT.sub("", _DIGEST_LIST.sub("(?)", query))
    for dialect in ("postgres", "mysql"):
        try:
            tree = sqlglot.parse_one(text, read=dialect)
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
            continue
        if tree is not None:
            return tree
    return None


def tables(query: str) -> list[str]:
    """Tables the statement reads or writes, in order, without schema or quotes."""
    tree = parse(query)
    if tree is None:
        return []
    seen: list[str] = []
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if name and name not in seen:
            seen.append(name)
    return seen


def aliases(query: str) -> dict[str, str]:
    """alias -> table for `FROM sppd s JOIN users AS u` (a table is its own alias too)."""
    tree = parse(query)
    found: dict[str, str] = {}
    for table in tree.find_all(exp.Table) if tree is not None else ():
        name = table.name.lower()
        found.setdefault(name, name)
        if table.alias:
            found[table.alias.lower()] = name
    return found


def where_columns(query: str) -> list[tuple[str | None, str, str]]:
    """(table qualifier, column, operator) of each WHERE predicate on a column."""
    tree = parse(query)
    out: list[tuple[str | None, str, str]] = []
    for where in tree.find_all(exp.Where) if tree is not None else ():
        for node in where.walk(bfs=False):  # depth first: the predicates in text order
            operator = _OPERATORS.get(type(node))
            column = node.this if operator else None
            if isinstance(column, exp.Column):
                out.append((column.table.lower() or None, column.name.lower(), operator or ""))
    return out


def order_columns(query: str) -> list[tuple[str | None, str]]:
    """(table qualifier, column) of each ORDER BY term that is a column."""
    tree = parse(query)
    order = tree.find(exp.Order) if tree is not None else None
    columns = []
    for term in order.expressions if order is not None else ():
        column = term.this if isinstance(term, exp.Ordered) else term
        if isinstance(column, exp.Column):
            columns.append((column.table.lower() or None, column.name.lower()))
    return columns


def aggregates(query: str) -> bool:
    """True for a statement that summarizes rows (GROUP BY, or count/sum/avg/min/max)."""
    tree = parse(query)
    return tree is not None and (tree.find(exp.Group) is not None
                                 or tree.find(exp.AggFunc) is not None)


def index_columns(query: str, table: str) -> list[str]:
    """Likely index for `table`: equality columns, then range columns, then ORDER BY."""
    names = tables(query)
    only_table = len(names) <= 1
    alias_of = aliases(query)

    def mine(qualifier: str | None) -> bool:
        return (qualifier is None and only_table) or (
            qualifier is not None and alias_of.get(qualifier, qualifier) == table)

    predicates = [(c, op) for q, c, op in where_columns(query) if mine(q)]
    equality = [c for c, op in predicates if op in _EQUALITY]
    ranged = [c for c, op in predicates if op not in _EQUALITY]
    ordered = [c for q, c in order_columns(query) if mine(q)]
    columns: list[str] = []
    for column in [*equality, *ranged, *ordered]:
        if column not in columns:
            columns.append(column)
    return columns
