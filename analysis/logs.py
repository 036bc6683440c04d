"""What the stack's logs said when a problem began (`log.errors`, collectors/logs.py).

Why: a finding says what saturated or failed and when; the server it happened in often
says why, in its own words (an exception, "server reached pm.max_children", "upstream
timed out", "No space left on device"). A log line is evidence, never a rule's trigger:
a message that began, or multiplied, around a finding's onset is shown with that
finding, so a failure no metric names still gets its culprit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from analysis.context import WINDOW_S, Context
from analysis.findings import Finding
from analysis.signals import LOG_ERRORS
from analysis.timefmt import clock
from collectors.logs import OTHER

LEAD_S = 30.0       # a message may begin this long before a finding's onset (its cause)
LAG_S = 60.0        # or this long after (its consequence: timeouts, refusals, retries)
MIN_LINES = 3.0     # fewer lines from the onset on are noise, not a message
RISE = 3.0          # times its rate before: a message already there must multiply
PER_FINDING = 3


@dataclass(frozen=True)
class LogMessage:
    """One log signature that began (or multiplied) at `first`."""

    signature: str
    first: float
    lines: float         # from `first` to the end of the run
    before_rate: float   # lines/s before `first`

    def describe(self) -> str:
        before = "none before" if self.before_rate == 0 else \
            f"{self.before_rate:.2f} lines/s before"
        return f"log: {self.signature} ({self.lines:.0f} lines from {clock(self.first)}, {before})"


def new_messages(ctx: Context) -> list[LogMessage]:
    """Every log signature that began, or multiplied RISE times, during the run (a message
    there from the first window on is the run's background until it multiplies); its
    first window of the new rate, most lines first."""
    found = []
    follow = max(1, int(LAG_S / WINDOW_S))
    for label in ctx.labels(LOG_ERRORS):
        if label == OTHER:
            continue
        rate = ctx.signal(LOG_ERRORS, label, how="sum").fillna(0.0)  # lines/s per window
        values = rate.to_numpy(dtype=float)
        for i in range(1, len(values)):
            before_rate = float(values[:i].mean())
            lines = float(values[i:].sum()) * WINDOW_S
            # The window itself and the minute from it on: a rise, not its approach.
            if values[i] > 0 and lines >= MIN_LINES and values[i] >= RISE * before_rate \
                    and float(values[i:i + follow].mean()) >= RISE * before_rate:
                found.append(LogMessage(label, float(rate.index[i]), lines, before_rate))
                break
    return sorted(found, key=lambda message: -message.lines)


def attach_log_messages(ctx: Context, findings: Sequence[Finding]) -> None:
    """Each new log message goes with the finding whose onset is nearest to its first
    line (within LEAD_S before to LAG_S after the onset): evidence lines, and
    `details["log_messages"]` for the advice."""
    timed = [f for f in findings if f.onset_ts is not None and f.bottleneck != "none"]
    if not timed:
        return
    for message in new_messages(ctx):
        near = [f for f in timed
                if -LEAD_S <= message.first - float(f.onset_ts or 0.0) <= LAG_S]
        if not near:
            continue
        finding = min(near, key=lambda f: abs(message.first - float(f.onset_ts or math.inf)))
        kept = finding.details.setdefault("log_messages", [])
        if len(kept) < PER_FINDING:
            kept.append(message.signature)
            finding.evidence.append(message.describe())
