"""Capacity: the knee of the throughput curve and a Universal Scalability Law fit.

Why both: the knee is what was observed (where throughput stopped following users
while latency rose); the USL fit extrapolates (peak concurrency N*, X_max, the
throughput at 500 users) and is only honest with enough distinct load levels.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any

import numpy as np
from scipy.optimize import curve_fit

MIN_USL_LEVELS = 6
PREDICT_AT_USERS = 500
KNEE_MARGINAL_GAIN = 0.5  # throughput gained per added user, relative to the low-load rate
KNEE_LATENCY_RISE = 1.3   # p95 at the knee vs p95 at the lowest level
USL_TRUST_FACTOR = 2.0    # a fitted peak beyond twice the measured users is extrapolated


@dataclass(frozen=True)
class Level:
    """Steady-state measurements at one load level."""

    label: str
    users: float          # mean running users (concurrency N)
    throughput: float     # requests/s (X)
    p95_ms: float
    mean_ms: float
    start: float
    end: float


@dataclass(frozen=True)
class Knee:
    users: float
    ts: float
    throughput: float
    p95_ms: float
    previous_users: float
    marginal_gain: float


@dataclass(frozen=True)
class UslFit:
    alpha: float
    beta: float
    gamma: float
    n_star: float
    x_max: float
    r_squared: float
    predicted_x_at_500: float
    levels: int
    extrapolated: bool  # N* lies beyond USL_TRUST_FACTOR x the most users measured


def usl(n: np.ndarray | float, alpha: float, beta: float, gamma: float) -> np.ndarray | float:
    """X(N) = gamma N / (1 + alpha (N - 1) + beta N (N - 1))."""
    return gamma * n / (1 + alpha * (n - 1) + beta * n * (n - 1))


def fit_usl(users: np.ndarray, throughput: np.ndarray) -> UslFit | str:
    """Bounded least-squares USL fit; a sentence saying why not when it cannot be honest."""
    n = np.asarray(users, dtype=float)
    x = np.asarray(throughput, dtype=float)
    keep = np.isfinite(n) & np.isfinite(x) & (n > 0)
    n, x = n[keep], x[keep]
    distinct = len(np.unique(np.round(n)))
    if distinct < MIN_USL_LEVELS:
        return (f"USL not fitted: {distinct} distinct load level(s), at least {MIN_USL_LEVELS} "
                "are needed (run a capacity-step campaign)")
    p0 = (0.01, 1e-4, float(np.max(x / n)))
    try:
        (alpha, beta, gamma), _ = curve_fit(
            usl, n, x, p0=p0, bounds=([0.0, 0.0, 0.0], [1.0, 1.0, np.inf]), maxfev=20000)
    except (RuntimeError, ValueError) as error:
        return f"USL fit did not converge ({error})"
    predicted = usl(n, alpha, beta, gamma)
    total = float(np.sum((x - x.mean()) ** 2))
    r_squared = 1 - float(np.sum((x - predicted) ** 2)) / total if total > 0 else math.nan
    if beta > 0:
        n_star = math.sqrt(max(1 - alpha, 0.0) / beta)
        x_max = float(usl(n_star, alpha, beta, gamma))
    else:
        n_star = math.inf
        x_max = gamma / alpha if alpha > 0 else math.inf
    return UslFit(float(alpha), float(beta), float(gamma), n_star, x_max, r_squared,
                  float(usl(PREDICT_AT_USERS, alpha, beta, gamma)), distinct,
                  n_star > USL_TRUST_FACTOR * float(n.max()))


def find_knee(levels: list[Level]) -> Knee | None:
    """First level where throughput stops following users while p95 rises."""
    ordered = sorted((lv for lv in levels if lv.users > 0 and lv.throughput > 0),
                     key=lambda lv: lv.users)
    if len(ordered) < 3:
        return None
    base = ordered[0]
    rate = base.throughput / base.users
    for previous, level in pairwise(ordered):
        added = level.users - previous.users
        if added <= 0.02 * previous.users:
            continue
        gain = (level.throughput - previous.throughput) / added / rate
        rising = level.p95_ms >= KNEE_LATENCY_RISE * base.p95_ms and level.p95_ms > previous.p95_ms
        if gain < KNEE_MARGINAL_GAIN and rising:
            return Knee(level.users, level.start, level.throughput, level.p95_ms,
                        previous.users, gain)
    return None


@dataclass(frozen=True)
class Capacity:
    levels: list[Level]
    level_source: str
    knee: Knee | None
    usl: UslFit | str

    def to_dict(self) -> dict[str, Any]:
        return {
            "level_source": self.level_source,
            "levels": [asdict(level) for level in self.levels],
            "knee": asdict(self.knee) if self.knee else None,
            "usl": asdict(self.usl) if isinstance(self.usl, UslFit) else None,
            "usl_note": self.usl if isinstance(self.usl, str) else None,
        }


def analyze_capacity(levels: list[Level], level_source: str) -> Capacity:
    fit = fit_usl(np.array([lv.users for lv in levels]), np.array([lv.throughput for lv in levels]))
    return Capacity(levels, level_source, find_knee(levels), fit)
