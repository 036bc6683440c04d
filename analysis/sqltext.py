"""Small, honest readings of normalized SQL text: shorten it, find tables and index columns.

Why simple regexes: pg_stat_statements text is normalized ($1 placeholders) and
mostly ORM-generated; a full SQL parser is not needed to suggest "an index on
(user_id, status) of sppd". The suggestion is a hint to verify with EXPLAIN.
"""

from __future__ import annotations

import re

# PostgreSQL quotes identifiers with "", MySQL (and its digests) with backticks.
_IDENT = r'[`"]?([A-Za-z_][A-Za-z0-9_]*)[`"]?'
_QUALIFIED = rf'(?:{_IDENT}\.)?{_IDENT}'
_TABLE = re.compile(rf'\b(?:from|join|update|into)\s+{_QUALIFIED}', re.IGNORECASE)
_PREDICATE = re.compile(
    rf'{_QUALIFIED}\s*(=|<>|!=|<=|>=|<|>|\bin\b|\blike\b|\bilike\b|\bbetween\b|\bis\b)',
    re.IGNORECASE)
_CLAUSE_END = re.compile(r'\b(group\s+by|order\s+by|limit|offset|having|returning|for\s+update)\b',
                         re.IGNORECASE)
_ORDER = re.compile(r'\border\s+by\s+(.+?)(?:\blimit\b|\boffset\b|\bfor\b|$)', re.IGNORECASE)
_KEYWORDS = {"and", "or", "not", "null", "true", "false", "select", "where"}
_ALIASED = re.compile(rf'\b(?:from|join)\s+{_QUALIFIED}(?:\s+(?:as\s+)?{_IDENT})?',
                      re.IGNORECASE)
_NOT_ALIAS = {"where", "join", "on", "left", "right", "inner", "outer", "full", "cross",
              "group", "order", "limit", "offset", "using", "natural", "lateral", "set",
              "for", "union", "having", "window", "returning"}


def shorten(query: str, limit: int = 120) -> str:
    """One line, collapsed whitespace, at most `limit` characters."""
    text = " ".join(query.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def tables(query: str) -> list[str]:
    """Tables named after FROM/JOIN/UPDATE/INTO, in order, without schema or quotes."""
    seen: list[str] = []
    for match in _TABLE.finditer(query):
        name = match.group(2).lower()
        if name not in seen and name != "select":
            seen.append(name)
    return seen


def aliases(query: str) -> dict[str, str]:
    """alias -> table for `FROM sppd s JOIN users AS u` (a table is its own alias too)."""
    found: dict[str, str] = {}
    for match in _ALIASED.finditer(query):
        table = match.group(2).lower()
        found.setdefault(table, table)
        alias = match.group(3)
        if alias and alias.lower() not in _NOT_ALIAS:
            found[alias.lower()] = table
    return found


def where_columns(query: str) -> list[tuple[str | None, str, str]]:
    """(table qualifier, column, operator) of each WHERE predicate."""
    match = re.search(r'\bwhere\b(.*)', query, re.IGNORECASE | re.DOTALL)
    if not match:
        return []
    clause = match.group(1)
    end = _CLAUSE_END.search(clause)
    clause = clause[: end.start()] if end else clause
    out = []
    for predicate in _PREDICATE.finditer(clause):
        qualifier, column, operator = predicate.group(1), predicate.group(2), predicate.group(3)
        if column.lower() in _KEYWORDS or column.startswith("$"):
            continue
        out.append((qualifier.lower() if qualifier else None, column.lower(),
                    " ".join(operator.lower().split())))
    return out


def order_columns(query: str) -> list[tuple[str | None, str]]:
    """(table qualifier, column) of each ORDER BY term."""
    match = _ORDER.search(query)
    if not match:
        return []
    columns = []
    for part in match.group(1).split(","):
        found = re.match(rf'\s*{_QUALIFIED}', part)
        if found:
            qualifier = found.group(1)
            columns.append((qualifier.lower() if qualifier else None, found.group(2).lower()))
    return columns


def index_columns(query: str, table: str) -> list[str]:
    """Likely index for `table`: equality columns, then range columns, then ORDER BY."""
    names = tables(query)
    only_table = len(names) <= 1
    alias_of = aliases(query)

    def mine(qualifier: str | None) -> bool:
        return (qualifier is None and only_table) or (
            qualifier is not None and alias_of.get(qualifier, qualifier) == table)

    predicates = [(c, op) for q, c, op in where_columns(query) if mine(q)]
    equality = [c for c, op in predicates if op in ("=", "in", "is")]
    ranged = [c for c, op in predicates if op not in ("=", "in", "is")]
    ordered = [c for q, c in order_columns(query) if mine(q)]
    columns: list[str] = []
    for column in [*equality, *ranged, *ordered]:
        if column not in columns:
            columns.append(column)
    return columns
