"""Which processes used a saturated host's CPU, memory or storage I/O (processes.csv).

Why it matters for the fix: "the host's CPU is full" is actionable only with a
name: a backup, a report script, a runaway worker. The host collector writes the
few processes using most of each resource every sample; this picks the command
that used most of one resource while the finding held, summed over its processes
(two busy loops of the same script are one culprit), and says how much of the
host that was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from analysis.context import WINDOW_S, Context
from analysis.signals import MEM_TOTAL, OUTSIDE_ROLE, role_of
from analysis.timefmt import clock

GIB = 1024.0 ** 3
# Below these a process explains nothing worth naming.
MIN_AMOUNT = {"cpu": 0.1, "io_rate": 1024.0 ** 2, "rss": 64 * 1024.0 ** 2}


@dataclass(frozen=True)
class ProcessCulprit:
    """One command's use of one resource on one host, over the finding's window."""

    resource: str            # "cpu" (cores), "rss" (bytes), "io_rate" (bytes/s)
    target: str
    command: str
    group: str
    pids: tuple[str, ...]
    amount: float            # mean cores or I/O bytes/s; the highest RSS sum
    first: float
    share: float             # of the host (CPUs or RAM), or of all listed processes' I/O

    @property
    def inside_stack(self) -> bool:
        return role_of(self.group) != OUTSIDE_ROLE

    @property
    def where(self) -> str:
        return f"the stack's {self.group}" if self.inside_stack else "outside the stack"

    def describe(self) -> str:
        processes = (f"pid {self.pids[0]}" if len(self.pids) == 1 else
                     f"{len(self.pids)} processes, pids {', '.join(self.pids[:5])}")
        head = (f"culprit: {self.command!r} ({processes}; {self.where}) on {self.target}")
        since = f"from {clock(self.first)}"
        if self.resource == "cpu":
            return (f"{head} used {self.amount:.2f} cores on average {since} "
                    f"({self.share:.0%} of its CPUs)")
        if self.resource == "io_rate":
            return (f"{head} read and wrote {self.amount / 1024 ** 2:.1f} MiB/s on average "
                    f"{since} ({self.share:.0%} of the I/O of the busiest processes)")
        return (f"{head} held {self.amount / GIB:.1f} GiB resident (its largest process) "
                f"{since}"
                + (f" ({self.share:.0%} of RAM)" if not math.isnan(self.share) else ""))


def process_culprit(ctx: Context, resource: str, since: float | None,
                    target: str | None = None, outside_only: bool = False
                    ) -> ProcessCulprit | None:
    """The command using most of `resource` from `since` (the finding's onset) on.

    CPU and I/O: the mean over every host sample of the window, its processes summed,
    a sample where it is not listed counting 0 (it used less than those listed). Memory:
    its largest single process, since processes of one server share memory (PostgreSQL's
    shared buffers are in every backend's RSS) and their sum would exceed the RAM.
    """
    frame = ctx.processes
    if frame.empty:
        return None
    if since is not None:
        frame = frame[frame["ts"] >= since - WINDOW_S]
    if target is not None:
        frame = frame[frame["target"] == target]
    samples = frame.groupby("target")["ts"].nunique()
    candidates = frame[frame[resource].notna()]
    if outside_only:
        candidates = candidates[candidates["group"].map(role_of) == OUTSIDE_ROLE]
    if candidates.empty:
        return None
    keys = ["target", "command", "group"]
    if resource == "rss":
        amounts = candidates.groupby(keys)[resource].max()
    else:
        totals = candidates.groupby(keys)[resource].sum()
        amounts = totals / samples.reindex(totals.index.get_level_values("target")).to_numpy()
    best = amounts.idxmax()
    amount = float(amounts.loc[best])
    if amount < MIN_AMOUNT[resource]:
        return None
    rows = candidates[(candidates["target"] == best[0]) & (candidates["command"] == best[1])
                      & (candidates["group"] == best[2])]
    # Busiest first; equal ones by pid, so the same data always reads the same.
    pids = tuple(dict.fromkeys(str(pid) for pid in rows.sort_values(
        [resource, "pid"], ascending=[False, True], kind="stable")["pid"]))
    if resource == "rss":
        pids = pids[:1]
    return ProcessCulprit(resource, str(best[0]), str(best[1]), str(best[2]), pids, amount,
                          float(rows["ts"].min()),
                          _share(ctx, resource, str(best[0]), amount, frame))


def _share(ctx: Context, resource: str, target: str, amount: float,
           frame: pd.DataFrame) -> float:
    if resource == "cpu":
        cpus = ctx.ncpu.get(target)
        return amount / cpus if cpus else math.nan
    if resource == "rss":
        total = ctx.per_target(MEM_TOTAL)
        ram = float(total[target].max()) if target in total.columns else math.nan
        return amount / ram if ram and not math.isnan(ram) else math.nan
    listed = frame[frame["target"] == target].groupby("ts")[resource].sum().mean()
    return amount / listed if listed else math.nan
