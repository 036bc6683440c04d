"""The same user with the harness's recorder listening (per-second histograms, results files)."""

from __future__ import annotations

import scenarios.esppd_harness  # noqa: F401  # registers the options and the recorder
from bench.locustfiles.bare import Bare

__all__ = ["Bare"]
