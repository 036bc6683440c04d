"""Host resource rules: host.memory and host.disk.

Why paired signals: low available memory matters once the host swaps; 100% disk
utilization on virtual devices is only saturation together with await or queue depth.
A disk can also fail without being busy: a full filesystem refuses every write (the
database's WAL, the app's log, sessions and documents) while its device idles, and so does
one the kernel remounted read-only after I/O errors.
"""

from __future__ import annotations

import math

import pandas as pd

from analysis.context import WINDOW_S, Context, Onset
from analysis.findings import Finding
from analysis.rules.common import (
    confidence,
    corr_text,
    first_above,
    knee_alignment,
    onset_text,
    pct,
    severity,
    sustained_peak,
)
from analysis.signals import (
    DISK_AWAIT,
    DISK_QUEUE,
    DISK_UTIL,
    FS_AVAILABLE,
    FS_READ_ONLY,
    FS_USED,
    MEM_AVAILABLE,
    OOM_KILLS,
    SWAP_IN,
    SWAP_OUT,
    Signal,
    role_of,
)
from analysis.timefmt import clock
from analysis.top_processes import process_culprit

MEM_AVAILABLE_LIMIT = 0.10
SWAP_RATE_LIMIT = 100.0       # pages/s in + out
OOM_KILLS_FULL = 3.0          # a limit that kills again and again; one kill may be a one-off
DISK_UTIL_LIMIT = 0.90
DISK_AWAIT_LIMIT_MS = 20.0
DISK_QUEUE_LIMIT = 2.0
FS_FULL_LIMIT = 0.97          # used share of a filesystem: its writes are about to fail
FS_FULL = 0.995               # at or above: they fail (df rounds this to 100%)
FS_FILLING = 0.90             # from here the collector reads who writes (the culprit)
MIB = 1024.0 ** 2
FAILING_SHARE = 0.01          # of requests (or waits for queued work) failing after a change
FAILING_RISE = 2.0            # and this many times their share before it
UNHARMED_SEVERITY = 0.35      # read-only, nothing failing more: reported, no verdict


def host_memory(ctx: Context) -> Finding | None:
    """Memory ran out: little available, the host swapping, or processes killed for it.

    The OOM killer is the one sign a memory limit leaves where the host has plenty: a
    cgroup's limit (systemd's MemoryMax, a container's) kills inside it, and /proc/vmstat
    counts that kill like the host's own."""
    low = _min_across_targets(ctx)
    swap = ctx.signal(SWAP_IN, how="sum").fillna(0) + ctx.signal(SWAP_OUT, how="sum").fillna(0)
    if not (ctx.has(SWAP_IN) or ctx.has(SWAP_OUT)):
        swap = swap * math.nan
    kills = ctx.signal(OOM_KILLS, how="sum").fillna(0.0)  # per sample, 5 s means
    killed = max(1.0, round(float(kills.sum()) * WINDOW_S)) if (kills > 0).any() else 0.0
    low_floor = -sustained_peak(-low) if low.notna().any() else math.nan
    swap_peak = sustained_peak(swap)
    by_memory = not math.isnan(low_floor) and low_floor <= MEM_AVAILABLE_LIMIT
    by_swap = not math.isnan(swap_peak) and swap_peak >= SWAP_RATE_LIMIT
    if not (by_memory or by_swap or killed >= 1):
        return None
    onset = ctx.onset(swap, SWAP_RATE_LIMIT) if by_swap else \
        ctx.onset(low, MEM_AVAILABLE_LIMIT, above=False) if by_memory else None
    first_kill = float(kills[kills > 0].index[0]) if killed >= 1 else None
    if first_kill is not None and (onset is None or first_kill < onset.ts):
        onset = Onset(first_kill, ctx.users_at(first_kill))
    rho = ctx.correlation(swap if by_swap else -low if by_memory else kills)
    sev = max(severity(-low_floor, -MEM_AVAILABLE_LIMIT - 0.05, -0.02),
              severity(swap_peak, SWAP_RATE_LIMIT * 0.5, SWAP_RATE_LIMIT * 5),
              severity(killed, 0.0, OOM_KILLS_FULL))
    culprit = process_culprit(ctx, "rss", onset.ts if onset else None,
                              _worst_target(ctx.per_target(MEM_AVAILABLE), lowest=True))
    kill_line = (f"mem.oom_kills: the kernel's OOM killer killed {killed:.0f} process(es), "
                 f"the first at {clock(first_kill)}"
                 + ("" if by_memory or math.isnan(low_floor) else
                    f", while the host kept {pct(low_floor)} available at its lowest: the "
                    "limit of a cgroup (a service's MemoryMax, a container's memory limit)")
                 if first_kill is not None else "")
    summary = (f"Memory ran out: {pct(low_floor)} available"
               + (f" and the host swapped ({swap_peak:.0f} pages/s)." if swap_peak >= 1 else ".")
               if by_memory or by_swap else
               f"Memory ran out inside a limit: the OOM killer killed {killed:.0f} "
               "process(es).")
    evidence = [f"mem.available_ratio: lowest 30 s level {pct(low_floor)}; {onset_text(onset)}",
                *([culprit.describe()] if culprit else []),
                f"swap in+out: {swap_peak:.0f} pages/s (highest 30 s median)"
                if not math.isnan(swap_peak) else "swap rates: not measured",
                corr_text(rho)]
    if kill_line:  # the signal that decided comes first
        evidence.insert(1 if by_memory or by_swap else 0, kill_line)
    return Finding(
        "host.memory", confidence(sev, rho, knee_alignment(ctx, onset)), summary, evidence,
        onset.ts if onset else None, onset.users if onset else None,
        ctx.affected_requests(onset.ts if onset else None), correlation=rho,
        details={"available": low_floor, "swap_rate": swap_peak, "culprit": culprit,
                 "oom_kills": killed},
    )


def host_disk(ctx: Context) -> Finding | None:
    """A disk saturated by I/O, a filesystem full or one turned read-only: the worst."""
    found = [f for f in (_busy_disk(ctx), _full_filesystem(ctx), _read_only_filesystem(ctx))
             if f is not None]
    return max(found, key=lambda f: f.confidence) if found else None


def database_did_the_io(finding: Finding) -> bool:
    """The disk's busiest process is the database's (or none was named): the disk is busy
    with the database's own I/O, which `db.io` explains. A process outside the database
    (a backup, a log flood, a job writing files) made the disk busy for everyone, and the
    database's waits are its symptom, however strong they read."""
    culprit = finding.details.get("culprit")
    return culprit is None or role_of(culprit.group) == "db"


def _read_only_filesystem(ctx: Context) -> Finding | None:
    """A filesystem writable when the run began and read-only from some moment on (the
    kernel's answer to I/O errors, ext4's errors=remount-ro, or a hand's): every write
    there fails with "Read-only file system" while it has room. One read-only from the
    start is how it is meant to be. Full severity once requests or waits for queued work
    fail more than before; a filesystem nobody writes to harms nobody yet."""
    turned = []
    for mount in ctx.labels(FS_READ_ONLY):
        flag = ctx.signal(FS_READ_ONLY, mount)
        known = flag.dropna()
        onset = ctx.onset(flag, 0.5) if len(known) and known.iloc[0] < 0.5 else None
        if onset is not None:
            turned.append((onset, mount))
    if not turned:
        return None
    onset, mount = min(turned, key=lambda found: found[0].ts)
    target = _worst_target(ctx.per_target(FS_READ_ONLY, mount))
    failing = [line for line in (_failed_more(ctx.w5, onset.ts, "requests"),
                                 _failed_more(ctx.jobs, onset.ts, "waits for queued work"))
               if line]
    return Finding(
        "host.disk", confidence(1.0 if failing else UNHARMED_SEVERITY),
        f"Filesystem {mount} turned read-only at {clock(onset.ts)}: writes there fail (Read-only "
        "file system).",
        [f"fs.read_only{{{mount}}} on {target}: writable until {clock(onset.ts)}, read-only "
         f"since (/proc/mounts); {onset_text(onset)}",
         *failing,
         "a read-only filesystem fails every write while it has room and its disk idles: "
         "the kernel remounts one so after I/O errors (a failing disk or volume, a full "
         "thin pool under it)"],
        onset.ts, onset.users, ctx.affected_requests(onset.ts),
        details={"mount": mount, "target": target, "read_only": True},
    )


def _failed_more(windows: pd.DataFrame, since: float, what: str) -> str:
    """'N of M <what> failed from the onset on (x%), y% before' when the share rose to
    FAILING_SHARE and FAILING_RISE times what it was."""
    if windows.empty or "failures" not in windows:
        return ""
    before, after = windows[windows.index < since], windows[windows.index >= since]
    ended, failed = float(after["count"].sum()), float(after["failures"].sum())
    earlier = float(before["failures"].sum()) / max(float(before["count"].sum()), 1.0)
    if failed < 3 or failed / max(ended, 1.0) < max(FAILING_SHARE, FAILING_RISE * earlier):
        return ""
    return (f"{failed:.0f} of {ended:.0f} {what} failed from then on ({pct(failed / ended)}), "
            f"{pct(earlier)} before")


def _full_filesystem(ctx: Context) -> Finding | None:
    """A filesystem at or near 100% used: writes fail with "No space left on device"."""
    best = _highest_label(ctx, FS_USED)
    if best is None or best[0] < FS_FULL_LIMIT:
        return None
    peak, mount = best
    used = ctx.signal(FS_USED, mount)
    target = _worst_target(ctx.per_target(FS_USED, mount))
    onset = ctx.onset(used, FS_FULL_LIMIT)
    began = onset.ts if onset else None
    space = ctx.per_target(FS_AVAILABLE, mount)
    available = space[target] if target in space.columns else used * math.nan
    least = float(available.min()) if available.notna().any() else math.nan
    filling = _filling_rate(available, began)
    filling_from = first_above(used, FS_FILLING, inclusive=True)
    culprit = process_culprit(ctx, "io_rate",
                              None if math.isnan(filling_from) else filling_from, target)
    return Finding(
        "host.disk", confidence(severity(peak, FS_FULL_LIMIT, FS_FULL)),
        f"Filesystem {mount} filled up ({pct(peak)} used"
        + (f", {least / MIB:.0f} MiB left" if not math.isnan(least) else "")
        + "): writes there fail (No space left on device).",
        [f"fs.used_ratio{{{mount}}} on {target}: {pct(peak)} (highest 30 s median); "
         f"{onset_text(onset)}",
         *([culprit.describe()] if culprit else []),
         *([f"fs.available_bytes{{{mount}}}: fell {filling / MIB:.1f} MiB/s in the minute "
            f"before {clock(began)}"] if began is not None and filling > 0 else []),
         "a full filesystem fails writes while the disk itself idles: the database's WAL "
         "and temporary files, the app's log, file sessions and cache, the jobs' documents"],
        began, onset.users if onset else None, ctx.affected_requests(began),
        details={"mount": mount, "target": target, "full": True, "used": peak,
                 "available_bytes": least, "culprit": culprit},
    )


def _filling_rate(available: pd.Series, until: float | None) -> float:
    """Bytes/s the available space fell in the minute before `until` (0 if it did not)."""
    if until is None:
        return 0.0
    window = available[(available.index >= until - 60.0) & (available.index <= until)].dropna()
    if len(window) < 2:
        return 0.0
    return max(0.0, float(window.iloc[0] - window.iloc[-1]) /
               max(float(window.index[-1] - window.index[0]), 1.0))


def _highest_label(ctx: Context, signal: Signal) -> tuple[float, str] | None:
    """(highest 30 s median, label) of the signal's label that reached highest."""
    best: tuple[float, str] | None = None
    for label in ctx.labels(signal):
        peak = sustained_peak(ctx.signal(signal, label))
        if not math.isnan(peak) and (best is None or peak > best[0]):
            best = (peak, label)
    return best


def _busy_disk(ctx: Context) -> Finding | None:
    best = _highest_label(ctx, DISK_UTIL)
    if best is None or best[0] < DISK_UTIL_LIMIT:
        return None
    peak, device = best
    util = ctx.signal(DISK_UTIL, device)
    await_peak = sustained_peak(ctx.signal(DISK_AWAIT, device))
    queue_peak = sustained_peak(ctx.signal(DISK_QUEUE, device))
    paired = (not math.isnan(await_peak) and await_peak >= DISK_AWAIT_LIMIT_MS) or \
        (not math.isnan(queue_peak) and queue_peak >= DISK_QUEUE_LIMIT)
    unknown = math.isnan(await_peak) and math.isnan(queue_peak)
    if not (paired or unknown):
        return None
    onset = ctx.onset(util, DISK_UTIL_LIMIT)
    rho = ctx.correlation(util)
    sev = severity(peak, DISK_UTIL_LIMIT - 0.05, 1.0) * (1.0 if paired else 0.5)
    culprit = process_culprit(ctx, "io_rate", onset.ts if onset else None,
                              _worst_target(ctx.per_target(DISK_UTIL, device)))
    return Finding(
        "host.disk", confidence(sev, rho, knee_alignment(ctx, onset)),
        f"Disk {device} saturated: {pct(peak)} busy with {await_peak:.0f} ms await.",
        [f"disk.util{{{device}}}: {pct(peak)} (highest 30 s median); {onset_text(onset)}",
         *([culprit.describe()] if culprit else []),
         f"disk.await{{{device}}}: {await_peak:.1f} ms; disk.queue{{{device}}}: "
         f"{queue_peak:.1f} requests" if not unknown else
         "await and queue depth not measured: utilization alone is weak evidence",
         corr_text(rho)],
        onset.ts if onset else None, onset.users if onset else None,
        ctx.affected_requests(onset.ts if onset else None), correlation=rho,
        details={"device": device, "util": peak, "await_ms": await_peak, "culprit": culprit,
                 "full": False},
    )


def _worst_target(wide: pd.DataFrame, lowest: bool = False) -> str | None:
    """The host whose sustained level of a signal was worst (highest, or lowest)."""
    levels = {str(target): (-sustained_peak(-wide[target]) if lowest
                            else sustained_peak(wide[target])) for target in wide.columns}
    levels = {target: level for target, level in levels.items() if not math.isnan(level)}
    if not levels:
        return None
    return (min if lowest else max)(levels, key=levels.__getitem__)


def _min_across_targets(ctx: Context) -> pd.Series:
    """Available-memory ratio of the tightest host in each window."""
    wide = ctx.per_target(MEM_AVAILABLE)
    return wide.min(axis=1) if wide.shape[1] else ctx.signal(MEM_AVAILABLE)
