"""Database resource rules: db.connections, db.locks, db.io (USE of the database, either engine).

Why wait events: an active backend waiting on Lock is row contention, on IO is a
cache miss going to disk; both slow requests while the DB CPU stays idle.
"""

from __future__ import annotations

import math
import re
import time

import pandas as pd

from analysis.context import WINDOW_S, Context, Onset
from analysis.culprit import lock_culprit
from analysis.findings import Finding
from analysis.holders import connection_holder
from analysis.rules.common import (
    confidence,
    corr_text,
    knee_alignment,
    onset_text,
    pct,
    severity,
    sustained_peak,
)
from analysis.rules.statements import lock_wait_share, statement_totals, statement_windows
from analysis.signals import (
    APP_POOL_WAITING,
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
    """The database waited on its storage: reads that missed its cache, or commits
    waiting for their durable write (the stronger of the two is the finding)."""
    totals = statement_totals(ctx)
    found = [f for f in (_read_waits(ctx, totals), _slow_commits(ctx, totals))
             if f is not None]
    return max(found, key=lambda f: f.confidence) if found else None


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


def _slow_commits(ctx: Context, totals: pd.DataFrame) -> Finding | None:
    """Commits that took a large share of the database's time, slowly each: a COMMIT reads
    nothing and waits for its WAL (InnoDB: redo log) flush, so its time is the write
    path's: the disk's fsync, a synchronous standby's answer, or a commit delay. The
    statements' cache hit ratio says nothing about it, and no index or plan helps."""
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
    committing = sum((statement_windows(ctx, str(q), "total_exec_time_ms")
                      for q in commits.index), pd.Series(0.0, index=ctx.w5.index))
    db_time = ctx.db_time()
    window_share = committing / db_time.where(db_time > 0)
    onset = ctx.onset(window_share, COMMIT_SHARE_LIMIT)
    rho = ctx.correlation(committing)
    sev = min(severity(share, COMMIT_SHARE_LIMIT - 0.1, 0.6),
              severity(mean_ms, COMMIT_SLOW_MS / 2, COMMIT_SLOW_MS * 5))
    return Finding(
        "db.io", confidence(sev, rho, knee_alignment(ctx, onset)),
        f"{ctx.db_server} waited on its commits: each COMMIT took {mean_ms:.0f} ms, "
        f"{pct(share)} of its time (the durable write path: WAL flush, fsync, a synchronous "
        "standby or a commit delay).",
        [f"COMMIT: {calls:.0f} calls, {mean_ms:.1f} ms mean, {pct(share)} of DB execution "
         f"time; {onset_text(onset)}",
         "a COMMIT reads no rows: its time is the wait for the transaction's log to be "
         "written and flushed (or acknowledged by a synchronous standby)",
         corr_text(rho)],
        onset.ts if onset else None, onset.users if onset else None,
        ctx.affected_requests(onset.ts if onset else None), correlation=rho,
        details={"commit_share": share, "commit_ms": mean_ms},
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
