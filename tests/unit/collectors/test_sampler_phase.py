"""The sampler's ticks: rows keep the tick's timestamp, samples are taken at varying
moments of it, so a pause cycle whose period divides the interval cannot hide from
(or dwell in) every probe."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from collectors.base import Sample
from collectors.sampler import JITTER_SHARE, Sampler

INTERVAL_S = 0.2


class Clocked:
    """A collector that notes when each sample was taken."""

    name = "clocked"
    target = "here"

    def __init__(self) -> None:
        self.taken: list[float] = []

    def check(self) -> list[str]:
        return []

    def sample(self, ts: float) -> Sample:
        self.taken.append(ts)
        out = Sample()
        out.add("probe", 1.0)
        return out

    def close(self) -> None:
        pass


def test_samples_are_taken_at_random_moments_of_their_tick(tmp_path: Path) -> None:
    collector = Clocked()
    sampler = Sampler(tmp_path, [collector], interval_s=INTERVAL_S, say=lambda _text: None)
    sampler.start()
    time.sleep(16 * INTERVAL_S)
    sampler.stop()
    with open(tmp_path / "metrics.csv", newline="") as file:
        stamps = sorted({float(row["ts"]) for row in csv.DictReader(file)})
    assert len(stamps) >= 10
    for stamp in stamps:  # the rows carry the tick itself
        assert abs(stamp / INTERVAL_S - round(stamp / INTERVAL_S)) < 1e-3
    phases = [taken - stamp for taken, stamp in zip(collector.taken, stamps, strict=False)]
    assert all(0 <= phase < JITTER_SHARE * INTERVAL_S + 0.05 for phase in phases)
    assert max(phases) - min(phases) > JITTER_SHARE * INTERVAL_S / 3  # not one phase
