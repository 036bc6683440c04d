"""What every importer yields: one finished request, or a count of running users."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_ID = re.compile(r"/\d+(?=/|$)")


@dataclass(frozen=True)
class Request:
    start: float  # epoch seconds
    ms: float     # response time
    name: str
    method: str
    error: str | None = None  # None: succeeded

    @property
    def end(self) -> float:
        return self.start + self.ms / 1000


@dataclass(frozen=True)
class Users:
    ts: float
    users: int


def request_name(url_or_label: str) -> str:
    """A bounded request name: the path of a URL without its query, numeric segments as
    `[id]` (`https://h/sppd/42?x=1` -> `/sppd/[id]`); a label that is no URL stays."""
    parts = urlsplit(url_or_label)
    path = parts.path if parts.scheme in ("http", "https") else url_or_label.split("?", 1)[0]
    return _ID.sub("/[id]", path) or "/"
