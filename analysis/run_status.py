"""Did the load run to its end? Planned vs ran, and why it stopped (events.jsonl).

Why: a run cut short by Ctrl-C or a crash measured only its first phases; its
verdict may be green only because the peak never came. Every output says so at the
top, and no finding advises keeping the configuration as a baseline on its strength.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

COMPLETED = "completed"


@dataclass(frozen=True)
class RunStatus:
    """What the campaign runner recorded about the load: planned and ran seconds,
    and the reason the load stopped ("completed", "Ctrl-C", "SIGTERM"; "" when the
    runner never recorded a stop: killed or crashed)."""

    planned_s: float = math.nan
    ran_s: float = math.nan
    reason: str = COMPLETED
    recorded: bool = False  # events.jsonl had a load_start

    @property
    def complete(self) -> bool:
        return not self.recorded or self.reason == COMPLETED

    def describe(self) -> str:
        """One sentence for the top of every output; "" for a complete run."""
        if self.complete:
            return ""
        ran = (f"after {self.ran_s:.0f} s of a planned {self.planned_s:.0f} s"
               if not math.isnan(self.ran_s) and not math.isnan(self.planned_s) else
               f"before the end of its planned {self.planned_s:.0f} s"
               if not math.isnan(self.planned_s) else "early")
        why = (f"stopped by {self.reason}" if self.reason else
               "the runner recorded no stop (killed or crashed); the data ends where it was "
               "cut")
        return (f"Partial run: the load ended {ran}, {why}. Phases after that point were not "
                "measured, so this verdict covers only the load that ran.")

    def to_dict(self) -> dict[str, object]:
        return {"complete": self.complete, "reason": self.reason or "no stop recorded",
                "planned_s": self.planned_s, "ran_s": self.ran_s}


def run_status(events: pd.DataFrame, last_ts: float) -> RunStatus:
    """From the load_start/load_stop events; last_ts (the last recorded second) stands
    in for the stop time when no load_stop was written."""
    starts = events[events["kind"] == "load_start"]
    if starts.empty:
        return RunStatus()
    start = starts.iloc[-1]
    planned = _number(start["data"].get("planned_s"))
    stops = events[(events["kind"] == "load_stop") & (events["ts"] >= start["ts"])]
    if stops.empty:
        ran = last_ts - float(start["ts"]) if not math.isnan(last_ts) else math.nan
        return RunStatus(planned, ran, reason="", recorded=True)
    stop = stops.iloc[-1]["data"]
    return RunStatus(planned, _number(stop.get("elapsed_s")),
                     reason=str(stop.get("reason") or COMPLETED), recorded=True)


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
