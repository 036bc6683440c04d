"""What the app waited on outside itself: a dependency whose answers slowed down.

Why: workers that are all busy while their CPUs idle are blocked on something, and
"raise pm.max_children" is the wrong advice when that something is a stalled Redis
(Laravel reads its session and cache there on every request). The Redis collector times
one PING per sample, what each of the app's Redis calls pays at least; a round trip of
tens of milliseconds, held while the workers filled, names the dependency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from analysis.context import Context
from analysis.rules.common import sustained_peak
from analysis.signals import REDIS_LATENCY
from analysis.timefmt import clock

# A round trip this slow, held 30 s, makes every request wait (Redis answers a PING in
# well under 1 ms on a LAN; a request makes several calls).
STALL_MS = 50.0


@dataclass(frozen=True)
class Stall:
    """A dependency that answered slowly for 30 s or more."""

    dependency: str
    target: str
    peak_ms: float       # highest 30 s median of its round trip
    best_ms: float       # its lowest 30 s median over the run
    first: float         # the first 5 s window over STALL_MS

    def describe(self) -> str:
        return (f"redis.latency_ms on {self.target}: a PING took {self.peak_ms:.0f} ms "
                f"(highest 30 s median) from {clock(self.first)}, {self.best_ms:.1f} ms at its "
                "best: every request that reads its session or cache there waited")


def stalled_dependency(ctx: Context, since: float | None, until: float | None
                       ) -> Stall | None:
    """The dependency whose round trip stalled from `since` on, the stall beginning by
    `until` (a stall that began after the workers were full did not fill them); the worst
    if several; None when every one answered as usual."""
    worst: Stall | None = None
    for target, latency in ctx.per_target(REDIS_LATENCY).items():
        values = latency.dropna()
        if values.empty:
            continue
        window = values if since is None else values[values.index >= since]
        peak = sustained_peak(window)
        if math.isnan(peak) or peak < STALL_MS:
            continue
        first = float(window[window >= STALL_MS].index.min())
        if until is not None and first > until:
            continue
        if worst is None or peak > worst.peak_ms:
            best = -sustained_peak(-values)
            worst = Stall("redis", str(target), peak, best, first)
    return worst
