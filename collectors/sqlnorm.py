"""Statement texts without their values: literals become ?, IN lists IN (...).

Why: a statement's text read from a live session (MariaDB's processlist, a lock
holder's last statement) carries the values it ran with, which may be personal data
or secrets; normalized, it names the statement and nothing else, and equal statements
share one fingerprint, as a server's digest would.
"""

from __future__ import annotations

import hashlib
import re

LITERAL = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"|\b0x[0-9a-f]+\b"
                     r"|(?<![\w.`$])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b", re.I)
LIST_OF_LITERALS = re.compile(r"\bIN\s*\(\s*\?(?:\s*,\s*\?)*\s*\)", re.I)
MAX_TEXT = 2000


def normalize(text: str) -> str:
    """One line, literals as ?, lists of them as IN (...), at most MAX_TEXT characters."""
    folded = LIST_OF_LITERALS.sub("IN (...)", LITERAL.sub("?", text))
    return " ".join(folded.split())[:MAX_TEXT]


def fingerprint(text: str) -> tuple[str, str]:
    """(id, normalized text) of a statement: what a digest is, for statements the server
    does not digest; the id has a digest's 32 hex digits."""
    normalized = normalize(text)
    return hashlib.blake2b(normalized.lower().encode(), digest_size=16).hexdigest(), normalized
