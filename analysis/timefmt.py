"""Epoch seconds -> ISO-8601 UTC text for reports (files keep epoch floats)."""

from __future__ import annotations

import math
from datetime import UTC, datetime


def iso(ts: float | None) -> str:
    if ts is None or (isinstance(ts, float) and math.isnan(ts)):
        return "-"
    return datetime.fromtimestamp(float(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def clock(ts: float) -> str:
    """Short UTC time of day, for evidence lines that already name the date elsewhere."""
    return datetime.fromtimestamp(float(ts), tz=UTC).strftime("%H:%M:%SZ")


def window(start: float, end: float) -> str:
    return f"{clock(start)}-{clock(end)}"
