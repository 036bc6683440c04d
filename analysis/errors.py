"""Exceptions of the analysis: one clear message, no traceback, for bad input."""

from __future__ import annotations


class AnalysisError(Exception):
    """Base class: the CLI prints `str(error)` and exits non-zero."""


class DatasetError(AnalysisError):
    """A results directory is missing a required file or a file is corrupt.

    Why its own type: the runner and the CLI tell bad input (exit 2) apart from
    failed SLOs (exit 1) without parsing messages.
    """
