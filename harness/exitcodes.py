"""Exit codes of `run_campaign.py` (documented in the README; tests rely on them)."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0              # the campaign ran and every SLO held
    SLO_FAILED = 1      # the campaign ran; at least one SLO failed (see junit.xml)
    CONFIG = 2          # bad campaign file, overrides or results dir: nothing started
    PREFLIGHT = 3       # a pre-flight check failed: nothing started
    ABORTED = 4         # stopped by Ctrl-C/SIGTERM or a fatal error; partial report written
    NO_DATA = 5         # the campaign produced nothing analyzable (e.g. no request recorded)
    REGRESSED = 6       # worse than its baseline beyond the allowed changes and noise
