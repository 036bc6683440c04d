"""Database resource rules: db.connections, db.locks, db.io (USE of the database, either engine).

Why wait events: an active backend waiting on Lock is row contention, on IO is a
cache miss going to disk; both slow requests while the DB CPU stays idle.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.context import WINDOW_S, Context, Onset
from analysis.culprit import lock_culprit
from analysis.findings import Finding
from analysis.holders import connection_holder
from analysis.rules.common import (
    RISE_FLOOR,
    RISE_FULL,
    LatencyChange,
    confidence,
    corr_text,
    knee_alignment,
    latency_change,
    onset_text,
    pct,
    severity,
    sustained_peak,
)
from analysis.rules.statements import lock_wait_share, statement_totals, statement_windows
from analysis.signals import (
    APP_POOL_WAITING,
    CGROUP_IO_LIMIT,
    CGROUP_IO_LIMIT_USED,
    CPU_IOWAIT,
    DB_ACTIVE,
    DB_DEADLOCKS,
    DB_HIT_RATIO,
    DB_LOCK_WAIT,
    DB_LOCKS_UNGRANTED,
    DB_MAX,
    DB_REFUSED,
    DB_TOTAL,
    DB_WAIT,
    role_of,
)
from analysis.sqltext import is_commit, is_session_control, shorten
from analysis.timefmt import clock
from collectors.base import SERVER_FULL

CONNECTIONS_LIMIT = 0.80      # the DB-connections SLO: < 80% of max_connections
POOL_WAITING_LIMIT = 1.0
REFUSALS_FULL = 5.0           # connections the server turned away: one may be a blip
CONNECTION_ERRORS = rf"{SERVER_FULL}|connection pool|pool timeout"
LOCK_SHARE_LIMIT = 0.20       # of active backends waiting on Lock
LOCK_BACKENDS_MIN = 1.0
# Deadlocks per second (30 s sustained): InnoDB kills a deadlocked transaction at once,
# so contention on a hot row shows as deadlocks (errors) more than as long lock waits.
DEADLOCK_RATE_LIMIT = 0.1
DEADLOCK_RATE_FULL = 1.0
MIN_LOCK_GROWTH = 1.5         # mean time after / before the contention began
IO_BACKENDS_MIN = 1.0  # backends waiting on I/O, held for 30 s
IO_SHARE_LIMIT = 0.30         # of active backends waiting on IO
READ_TIME_SHARE_LIMIT = 0.30  # of statement execution time spent reading blocks
HIT_RATIO_LIMIT = 0.95
COMMIT_SHARE_LIMIT = 0.30     # of DB execution time spent in COMMIT
COMMIT_SLOW_MS = 10.0         # a COMMIT's WAL flush on a healthy SSD takes about 1 ms
# Of a cgroup's disk I/O limit used, held 30 s: it binds. Not 90%: what waits on a limit
# paces itself to it (a group commit flushes more commits at once the slower each flush
# is), so a limit of 8 writes a second that tripled the requests' mean latency read 80%
# used over 30 s (10 s windows 59-95%). Cloud alarms on provisioned IOPS sit at 80%.
IO_LIMIT_USED = 0.75
# A limit used up is its utilisation, not yet a wait: on its own (the requests' p95 at the
# same load no higher from its onset) it weighs this much.
IO_LIMIT_UNFELT = 0.5
MIB = 1 << 20


def db_connections(ctx: Context) -> Finding | None:
    total = ctx.signal(DB_TOTAL, how="sum")
    if total.isna().all():
        total = ctx.signal(DB_ACTIVE, how="sum")
    limit = ctx.signal(DB_MAX)
    ratio = total / limit.where(limit > 0)
    waiting = ctx.signal(APP_POOL_WAITING, how="sum")
    ratio_peak, waiting_peak = sustained_peak(ratio), sustained_peak(waiting)
    errors = _connection_errors(ctx)
    refused = _monitor_refusals(ctx)
    # The server's own count of connections it turned away (MySQL's
    # Connection_errors_max_connections): refusals, whoever was refused.
    turned_away = float((ctx.signal(DB_REFUSED, how="sum").fillna(0.0) * WINDOW_S).sum())
    by_ratio = not math.isnan(ratio_peak) and ratio_peak >= CONNECTIONS_LIMIT
    by_pool = not math.isnan(waiting_peak) and waiting_peak >= POOL_WAITING_LIMIT
    if not (by_ratio or by_pool or errors > 0 or refused or turned_away >= 1):
        return None
    series = ratio if by_ratio else waiting
    onset = ctx.onset(series, CONNECTIONS_LIMIT if by_ratio else POOL_WAITING_LIMIT)
    # A connection is refused the second the server is full, long before the mean is:
    # the first window whose highest sample reached the limit starts the episode.
    at_limit = (ctx.peak(DB_TOTAL, how="sum") >= limit) & (limit > 0)
    touched = float(at_limit[at_limit].index[0]) if by_ratio and at_limit.any() else None
    if touched is not None and (onset is None or touched < onset.ts):
        onset = Onset(touched, ctx.users_at(touched))
    if onset is None:  # refusals or connection errors alone: the first of them starts it
        first = _first_refusal(ctx, refused)
        onset = Onset(first, ctx.users_at(first)) if first is not None else None
    rho = ctx.correlation(series)
    sev = max(severity(ratio_peak, CONNECTIONS_LIMIT - 0.1, 1.0),
              severity(waiting_peak, 0.0, 5.0), 0.7 if errors else 0.0,
              1.0 if refused else severity(turned_away, 0.0, REFUSALS_FULL))
    ratio_line = (f"db.connections.total / max_connections: {pct(ratio_peak)} of "
                  f"{limit.max():.0f} (highest 30 s median)" if not math.isnan(ratio_peak)
                  else "db.connections vs max_connections: not measured")
    pool_line = (f"app.db_pool.waiting: {waiting_peak:.1f} requests waiting for a pooled "
                 "connection (highest 30 s median)" if not math.isnan(waiting_peak)
                 else "app.db_pool.waiting: not measured")
    # the signal that decided comes first and carries the onset
    lines = [ratio_line, pool_line] if by_ratio or not by_pool else [pool_line, ratio_line]
    if touched is not None:
        lines[0] += (f"; at the limit ({limit.max():.0f}) in {int(at_limit.sum())} of "
                     f"{int(limit.notna().sum())} 5 s windows, first at {clock(touched)}")
    evidence = [f"{lines[0]}; {onset_text(onset)}", lines[1],
                f"connection errors: {errors}" if errors else "no connection errors recorded",
                corr_text(rho)]
    holder = connection_holder(ctx, onset.ts if onset else None)
    if holder:
        evidence.insert(1, holder.describe())
    if turned_away >= 1:
        evidence.insert(0, f"db.connections.refused_rate: {ctx.db_server} refused "
                           f"{turned_away:.0f} connections at max_connections")
    if refused:
        since, message = refused[0]
        recovered = total[total.index >= since].notna().any()
        outcome = ("it got a slot again later" if recovered
                   else f"no {ctx.db_server} sample succeeded after that")
        evidence.insert(0, f"the monitoring connection itself was refused from {_iso(since)} "
                           f"({message}); {outcome}, {len(refused)} outage(s)")
    if by_ratio:
        summary = f"Database connections ran out ({pct(ratio_peak)} of max_connections in use)."
    elif by_pool:
        summary = ("The app's database connection pool ran out: requests waited for a pooled "
                   f"connection while {ctx.db_server} had {pct(ratio_peak)} of max_connections "
                   "in use.")
    else:
        summary = "Database connections ran out: connections failed or were refused."
    return Finding(
        "db.connections", confidence(sev, rho, knee_alignment(ctx, onset)), summary,
        evidence, onset.ts if onset else None, onset.users if onset else None,
        ctx.affected_requests(onset.ts if onset else None), correlation=rho,
        details={"ratio": ratio_peak, "max_connections": float(limit.max()),
                 "pool_waiting": waiting_peak, "connection_errors": errors,
                 "app_pool_only": by_pool and not by_ratio, "holder": holder},
    )


def app_held_the_connections(finding: Finding) -> bool:
    """No one client outside the app held most connections idle. Slow statements, locks
    or a slow server keep the app's own connections busy longer; they make no other
    client open and sit on connections, which is a cause of its own."""
    holder = finding.details.get("holder")
    return holder is None or not holder.one_idle_holder


def holders_take_turns(finding: Finding) -> bool:
    """The locks were held by many sessions in turn (the app's own contention), as the
    blockers show, not by one holder."""
    culprit = finding.details.get("culprit")
    return culprit is not None and not culprit.one_holder


def db_locks(ctx: Context) -> Finding | None:
    locks = ctx.signal(DB_WAIT, "Lock", how="sum")
    ungranted = ctx.signal(DB_LOCKS_UNGRANTED, how="sum")
    active = ctx.signal(DB_ACTIVE, how="sum")
    # Less than one backend waiting is no contention, whatever its share (one waiter of
    # one active backend is 100%): the peak and the onset both read it as none.
    share = (locks / active.where(active > 0)).where(locks >= LOCK_BACKENDS_MIN, 0.0)
    share_peak = sustained_peak(share)
    ungranted_peak = sustained_peak(ungranted)
    deadlocks = ctx.signal(DB_DEADLOCKS, how="sum")
    deadlock_peak = sustained_peak(deadlocks)
    by_share = not math.isnan(share_peak) and share_peak >= LOCK_SHARE_LIMIT
    by_ungranted = not math.isnan(ungranted_peak) and ungranted_peak >= LOCK_BACKENDS_MIN
    by_deadlocks = not math.isnan(deadlock_peak) and deadlock_peak >= DEADLOCK_RATE_LIMIT
    if not (by_share or by_ungranted or by_deadlocks):
        return None
    onsets = [ctx.onset(share, LOCK_SHARE_LIMIT) if by_share else None,
              ctx.onset(ungranted, LOCK_BACKENDS_MIN) if by_ungranted else None,
              ctx.onset(deadlocks, DEADLOCK_RATE_LIMIT) if by_deadlocks else None]
    # The contention began at the first of its signs.
    onset = min((o for o in onsets if o is not None), key=lambda o: o.ts, default=None)
    rho = ctx.correlation(locks + deadlocks.fillna(0.0) if by_deadlocks else locks)
    sev = max(severity(share_peak, LOCK_SHARE_LIMIT - 0.1, 0.6),
              severity(ungranted_peak, 0.0, 5.0),
              severity(deadlock_peak, DEADLOCK_RATE_LIMIT * 0.5, DEADLOCK_RATE_FULL))
    evidence = [
        f"db.wait{{Lock}}: {sustained_peak(locks):.1f} backends = {pct(share_peak)} of active "
        f"backends waiting on locks (highest 30 s median); {onset_text(onset)}",
        f"db.locks.ungranted: {ungranted_peak:.1f}" if not math.isnan(ungranted_peak)
        else "db.locks.ungranted: not measured",
        corr_text(rho),
    ]
    if by_deadlocks:
        evidence.insert(0, f"db.deadlocks: {deadlock_peak:.2f}/s (highest 30 s median), "
                           f"{deadlocks.sum() * WINDOW_S:.0f} in the run: transactions "
                           "each waiting for a lock the other holds (a locking read then a "
                           "write of the same hot row, or rows locked in different orders); "
                           "each one fails with an error the app must retry")
    culprit = lock_culprit(ctx, onset.ts if onset else None)
    if culprit:
        evidence.insert(1, culprit.describe())
    blocked = _lock_waiter(ctx, onset.ts if onset else None)
    if blocked:
        evidence.append(f"statement waiting on locks most (sampled activity): {blocked}")
    elif blocked := _slowest_writer(ctx, onset.ts if onset else None):
        evidence.append(f"statement whose mean time grew most (likely waiting on the hot row): "
                        f"{blocked}")
    return Finding(
        "db.locks", confidence(sev, rho, knee_alignment(ctx, onset)),
        f"Lock contention in {ctx.db_server}: "
        + (f"{pct(share_peak)} of active connections waited on locks"
           if by_share or by_ungranted else "")
        + (" and " if (by_share or by_ungranted) and by_deadlocks else "")
        + (f"{deadlock_peak:.2f} deadlocks/s" if by_deadlocks else "") + ".",
        evidence, onset.ts if onset else None, onset.users if onset else None,
        ctx.affected_requests(onset.ts if onset else None), correlation=rho,
        details={"lock_share": share_peak, "statement": blocked,
                 "deadlocks_per_s": deadlock_peak, "culprit": culprit},
    )


def db_io(ctx: Context) -> Finding | None:
    """The database waited on its storage: reads that missed its cache, commits waiting
    for their durable write, or a cgroup's I/O limit it used up (the strongest of these
    is the finding; a limit that binds is its culprit, whichever path shows the wait)."""
    totals = statement_totals(ctx)
    limit = io_limit_saturation(ctx)
    found = [f for f in (_read_waits(ctx, totals), _slow_commits(ctx, totals),
                         limit.finding(ctx) if limit else None) if f is not None]
    if not found:
        return None
    best = max(found, key=lambda f: f.confidence)
    if limit is not None and "io_limit" not in best.details:
        best.evidence.insert(0, limit.describe())
        best.details["io_limit"] = limit.details()
    return best


@dataclass(frozen=True)
class IoLimitSaturation:
    """The database's processes at a cgroup's disk I/O limit (systemd's IOWriteIOPSMax=,
    docker --device-write-iops, a cloud volume's provisioned IOPS): the disk may idle
    while every read and log flush of the server waits its turn under the limit."""

    group: str
    cgroup: str
    device: str
    limit: str          # read_iops, write_iops, read_bps or write_bps
    value: float
    used: pd.Series
    peak: float
    onset: Onset | None
    change: LatencyChange | None  # the requests' latency from the limit's onset on

    def rate_text(self) -> str:
        kind = self.limit.split("_")[0]
        if self.limit.endswith("iops"):
            return f"{self.value:.0f} {kind}s per second"
        return f"{self.value / MIB:.1f} MiB/s of {kind}s"

    def describe(self) -> str:
        return (f"cgroup.io_limit_used{{{self.group}:{self.cgroup}:{self.device}:"
                f"{self.limit}}}: {self.group} held by the I/O limit of cgroup {self.cgroup} "
                f"to {self.rate_text()} on device {self.device}, {pct(self.peak)} of it used "
                f"(30 s sustained peak); {onset_text(self.onset)}: the limit, not the disk, "
                "set the pace of its I/O")

    def finding(self, ctx: Context) -> Finding:
        rho = ctx.correlation(self.used)
        felt = self.change.p95_rise if self.change else math.nan
        sev = min(severity(self.peak, IO_LIMIT_USED - 0.1, 1.0),
                  max(IO_LIMIT_UNFELT, severity(felt, RISE_FLOOR, RISE_FULL)))
        iowait = sustained_peak(ctx.signal(CPU_IOWAIT))
        return Finding(
            "db.io", confidence(sev, rho, knee_alignment(ctx, self.onset)),
            f"{ctx.db_server} waited on its disk I/O limit: {self.group} held to "
            f"{self.rate_text()} by cgroup {self.cgroup}, {pct(self.peak)} of it used.",
            [self.describe(),
             *([self.change.describe() + " from the limit's onset on"] if self.change else []),
             f"cpu.iowait: {pct(iowait)}", corr_text(rho)],
            self.onset.ts if self.onset else None, self.onset.users if self.onset else None,
            ctx.affected_requests(self.onset.ts if self.onset else None), correlation=rho,
            details={"io_limit": self.details()})

    def details(self) -> dict[str, Any]:
        return {"group": self.group, "cgroup": self.cgroup, "device": self.device,
                "limit": self.limit, "value": self.value, "used": self.peak,
                "rate": self.rate_text()}


def io_limit_saturation(ctx: Context) -> IoLimitSaturation | None:
    """The most used disk I/O limit over the database's process groups, when it binds."""
    best: IoLimitSaturation | None = None
    for label in ctx.labels(CGROUP_IO_LIMIT_USED):
        group, cgroup, device, limit = _io_limit_label(label)
        if role_of(group) != "db":
            continue
        used = ctx.signal(CGROUP_IO_LIMIT_USED, label)
        peak = sustained_peak(used)
        if math.isnan(peak) or peak < IO_LIMIT_USED or (best and peak <= best.peak):
            continue
        value = float(ctx.signal(CGROUP_IO_LIMIT, label)[used >= IO_LIMIT_USED].median())
        onset = ctx.onset(used, IO_LIMIT_USED)
        best = IoLimitSaturation(group, cgroup, device, limit, value, used, peak, onset,
                                 latency_change(ctx, onset.ts) if onset else None)
    return best


def _io_limit_label(label: str) -> tuple[str, str, str, str]:
    """group, cgroup, device, limit of `group:cgroup:major:minor:limit` (a cgroup path
    may hold a colon; a group, a device number and a limit's name do not)."""
    head, major, minor, limit = label.rsplit(":", 3)
    group, _, cgroup = head.partition(":")
    return group, cgroup, f"{major}:{minor}", limit


def _read_waits(ctx: Context, totals: pd.DataFrame) -> Finding | None:
    io = ctx.signal(DB_WAIT, "IO", how="sum")
    active = ctx.signal(DB_ACTIVE, how="sum")
    share = io / active.where(active > 0)
    share_peak = sustained_peak(share)
    read_share, hit_ratio, temp = math.nan, math.nan, 0
    if not totals.empty:
        spent = totals["total_ms"].sum()
        read_share = float(totals["read_ms"].sum() / spent) if spent > 0 else math.nan
        blocks = totals["hit"].sum() + totals["read"].sum()
        hit_ratio = float(totals["hit"].sum() / blocks) if blocks > 0 else math.nan
        temp = int(totals["temp"].sum())
    measured_hit = sustained_peak(1 - ctx.signal(DB_HIT_RATIO))
    if math.isnan(hit_ratio) and not math.isnan(measured_hit):
        hit_ratio = 1 - measured_hit
    # A share of almost no active backends is noise (one WAL flush at a quiet moment).
    by_wait = (not math.isnan(share_peak) and share_peak >= IO_SHARE_LIMIT
               and sustained_peak(io) >= IO_BACKENDS_MIN)
    by_read = not math.isnan(read_share) and read_share >= READ_TIME_SHARE_LIMIT
    if not (by_wait or by_read):
        return None
    onset = ctx.onset(share, IO_SHARE_LIMIT) if by_wait else None
    rho = ctx.correlation(io)
    sev = max(severity(share_peak, IO_SHARE_LIMIT - 0.1, 0.7),
              severity(read_share, READ_TIME_SHARE_LIMIT - 0.1, 0.7))
    if not math.isnan(hit_ratio) and hit_ratio >= 0.99:
        sev *= 0.6  # reads mostly from shared buffers: the waits are not cache misses
    iowait = sustained_peak(ctx.signal(CPU_IOWAIT))
    evidence = [
        f"db.wait{{IO}}: {pct(share_peak)} of active backends waiting on I/O (30 s sustained "
        f"peak); {onset_text(onset)}",
        f"block read time = {pct(read_share)} of statement execution time",
        f"shared buffer hit ratio {hit_ratio * 100:.1f}%" if not math.isnan(hit_ratio)
        else "shared buffer hit ratio: not measured",
        f"cpu.iowait: {pct(iowait)}",
        f"temp blocks written: {temp} (sorts/hashes spilling past work_mem)" if temp
        else "no temp blocks written",
        corr_text(rho),
    ]
    return Finding(
        "db.io", confidence(sev, rho, knee_alignment(ctx, onset)),
        f"{ctx.db_server} waited on disk reads (buffer hit ratio "
        f"{hit_ratio * 100:.1f}%)." if not math.isnan(hit_ratio)
        else f"{ctx.db_server} waited on disk reads.",
        evidence, onset.ts if onset else None, onset.users if onset else None,
        ctx.affected_requests(onset.ts if onset else None), correlation=rho,
        details={"io_share": share_peak, "read_share": read_share, "hit_ratio": hit_ratio,
                 "temp_blks_written": temp},
    )


@dataclass(frozen=True)
class CommitTime:
    """COMMIT's own time, where the server times it: MySQL and MariaDB run the redo log's
    flush inside the COMMIT statement."""

    calls: float
    mean_ms: float
    share: float          # of the database's execution time
    onset: Onset | None
    series: pd.Series     # time spent committing per window

    @property
    def severity(self) -> float:
        return min(severity(self.share, COMMIT_SHARE_LIMIT - 0.1, 0.6),
                   severity(self.mean_ms, COMMIT_SLOW_MS / 2, COMMIT_SLOW_MS * 5))

    def describe(self) -> str:
        return (f"COMMIT: {self.calls:.0f} calls, {self.mean_ms:.1f} ms mean, "
                f"{pct(self.share)} of DB execution time; {onset_text(self.onset)}")


def _commit_time(ctx: Context, totals: pd.DataFrame) -> CommitTime | None:
    """Commits that took a large share of the database's time, slowly each."""
    if totals.empty:
        return None
    commits = totals[[is_commit(str(q)) for q in totals["query"]]]
    spent, committed = float(totals["total_ms"].sum()), float(commits["total_ms"].sum())
    if commits.empty or spent <= 0:
        return None
    share = committed / spent
    calls = float(commits["calls"].sum())
    mean_ms = committed / calls if calls > 0 else math.nan
    if share < COMMIT_SHARE_LIMIT or not mean_ms >= COMMIT_SLOW_MS:
        return None
    def summed(column: str) -> pd.Series:
        return sum((statement_windows(ctx, str(q), column) for q in commits.index),
                   pd.Series(0.0, index=ctx.w5.index))

    committing, committed_calls = summed("total_exec_time_ms"), summed("calls")
    db_time = ctx.db_time()
    # From the window where commits were slow as well as a large share: on a database of
    # fast statements, 1 ms commits may take a third of its time from the start.
    slow = committing / committed_calls.where(committed_calls > 0) >= COMMIT_SLOW_MS
    onset = ctx.onset((committing / db_time.where(db_time > 0)).where(slow, 0.0),
                      COMMIT_SHARE_LIMIT)
    return CommitTime(calls, mean_ms, share, onset, committing)


def _slow_commits(ctx: Context, totals: pd.DataFrame) -> Finding | None:
    """Commits waiting for their durable write: a commit reads nothing and waits for its
    log's (PostgreSQL's WAL, InnoDB's redo log) write and flush, so its time is the write
    path's: the disk's fsync, an I/O limit, a synchronous standby's answer, or a commit
    delay. The statements' cache hit ratio says nothing about it, and no index or plan
    helps. Two measures: COMMIT's own time where the server times it (MySQL, MariaDB),
    and the backends waiting on the WAL (PostgreSQL flushes after pg_stat_statements
    stopped timing the COMMIT, which reads microseconds there; pg_stat_activity shows
    the wait, `db.wait{WAL}`)."""
    timed = _commit_time(ctx, totals)
    wal = ctx.signal(DB_WAIT, "WAL", how="sum")
    active = ctx.signal(DB_ACTIVE, how="sum")
    wal_share = wal / active.where(active > 0)
    wal_peak, waiting = sustained_peak(wal_share), sustained_peak(wal)
    # As for the data's I/O: a share of almost no active backends is noise.
    by_waits = (not math.isnan(wal_peak) and wal_peak >= IO_SHARE_LIMIT
                and waiting >= IO_BACKENDS_MIN)
    if timed is None and not by_waits:
        return None
    evidence = []
    if by_waits:
        onset, rho = ctx.onset(wal_share, IO_SHARE_LIMIT), ctx.correlation(wal)
        sev = severity(wal_peak, IO_SHARE_LIMIT - 0.1, 0.7)
        evidence.append(
            f"db.wait{{WAL}}: {pct(wal_peak)} of active backends ({waiting:.1f}) waiting on "
            "the write-ahead log: its write and flush, a turn at the WAL write lock while "
            "another backend flushes, or a synchronous standby (30 s sustained peak); "
            f"{onset_text(onset)}")
    if timed is not None:
        if not by_waits:
            onset, rho, sev = timed.onset, ctx.correlation(timed.series), 0.0
        sev = max(sev, timed.severity)
        evidence.append(timed.describe())
    evidence += ["a commit reads no rows: its time is the wait for the transaction's log "
                 "to be written and flushed (or acknowledged by a synchronous standby)",
                 corr_text(rho)]
    summary = (f"{ctx.db_server} waited on its commits: each COMMIT took "
               f"{timed.mean_ms:.0f} ms, {pct(timed.share)} of its time" if timed else
               f"{ctx.db_server} waited on its commits: {pct(wal_peak)} of its active "
               "backends waited on the write-ahead log")
    return Finding(
        "db.io", confidence(sev, rho, knee_alignment(ctx, onset)),
        summary + " (the durable write path: log flush, fsync, an I/O limit, a synchronous "
        "standby or a commit delay).",
        evidence, onset.ts if onset else None, onset.users if onset else None,
        ctx.affected_requests(onset.ts if onset else None), correlation=rho,
        details={"write_path": True, "wal_share": wal_peak,
                 "commit_share": timed.share if timed else math.nan,
                 "commit_ms": timed.mean_ms if timed else math.nan},
    )


def _monitor_refusals(ctx: Context) -> list[tuple[float, str]]:
    """(ts, message) of collector errors saying the database had no connection slot left:
    our own probe, refused like the app's connections (and the reason its data stops)."""
    events = ctx.events[ctx.events["kind"] == "collector_error"]
    refused = []
    for ts, data in zip(events["ts"], events["data"], strict=True):
        message = str(data.get("message", ""))
        if re.search(CONNECTION_ERRORS, message, re.IGNORECASE):
            refused.append((float(ts), message.rsplit("FATAL:", 1)[-1].strip()[:120]))
    return refused


def _iso(ts: float) -> str:
    return time.strftime("%H:%M:%SZ", time.gmtime(ts))


def _connection_errors(ctx: Context) -> int:
    return int(_connection_error_rows(ctx)["count"].sum())


def _connection_error_rows(ctx: Context) -> pd.DataFrame:
    if ctx.errors.empty:
        return ctx.errors
    return ctx.errors[ctx.errors["error"].str.contains(CONNECTION_ERRORS, case=False,
                                                       regex=True)]


def _first_refusal(ctx: Context, refused: list[tuple[float, str]]) -> float | None:
    """When connections were first refused or failed (by the server's count, the app's
    errors or our own probe): without it, a finding made of refusals alone has no onset,
    and a finding without one explains symptoms that began before it."""
    away = ctx.signal(DB_REFUSED, how="sum").fillna(0.0)
    firsts = [float(away[away > 0].index[0])] if (away > 0).any() else []
    rows = _connection_error_rows(ctx)
    firsts += [float(rows["ts"].min())] if not rows.empty else []
    firsts += [refused[0][0]] if refused else []
    return min(firsts, default=None)


def _lock_waiter(ctx: Context, since: float | None) -> str | None:
    """The statement with the most backends waiting on a lock (db.lock_wait{queryid})."""
    waiting = {queryid: ctx.signal(DB_LOCK_WAIT, queryid, how="sum").fillna(0.0)
               for queryid in ctx.labels(DB_LOCK_WAIT)}
    if since is not None:
        waiting = {q: series[series.index >= since] for q, series in waiting.items()}
    means = {q: float(series.mean()) for q, series in waiting.items() if len(series)}
    if not means or max(means.values()) <= 0:
        return None
    queryid = max(means, key=lambda q: means[q])
    share = lock_wait_share(ctx, queryid, since)
    text = ctx.queries.set_index("queryid")["query"].get(queryid, "") \
        if not ctx.queries.empty else ""
    return (f"{queryid} ({means[queryid]:.1f} backends waiting on average"
            + (f", {pct(share)} of its execution time" if not math.isnan(share) else "")
            + f"): {shorten(str(text))}")


def _slowest_writer(ctx: Context, since: float | None) -> str | None:
    if ctx.statements.empty or since is None:
        return None
    before = statement_totals(ctx, until=since)
    after = statement_totals(ctx, since)
    growth = (after["mean_ms"] / before["mean_ms"]).drop("other", errors="ignore")
    growth = growth.replace([float("inf")], pd.NA).dropna()
    # Transaction control takes no row locks; a statement no slower than before was not
    # waiting on the hot row.
    control = after["query"].map(is_session_control)
    growth = growth[~control.reindex(growth.index, fill_value=False).astype(bool)]
    growth = growth[growth.astype(float) >= MIN_LOCK_GROWTH]
    if growth.empty:
        return None
    queryid = str(growth.astype(float).idxmax())
    return (f"{queryid} ({after.loc[queryid, 'mean_ms']:.1f} ms mean after onset, "
            f"x{float(growth[queryid]):.1f}): {shorten(str(after.loc[queryid, 'query']))}")
