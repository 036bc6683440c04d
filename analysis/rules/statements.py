"""Statement rules from statement deltas (pg_stat_statements, MySQL digests, or sampled
sessions where the engine times nothing): db.query and db.n_plus_one.

Why per statement: "the database is slow" is not actionable; "this SELECT on sppd
takes 62% of DB time, 55 ms a call, by sequential scan: index (user_id, status)" is.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from analysis.context import WINDOW_S, Context, Onset
from analysis.findings import Finding
from analysis.holders import outside_runner
from analysis.latency import ALL, time_labels
from analysis.planner import describe, stale_statistics
from analysis.rules.common import confidence, corr_text, pct, severity, sustained_peak
from analysis.signals import DB_LOCK_WAIT, MYSQL_PREPARED_EXECUTIONS
from analysis.sqltext import aggregates, index_columns, is_session_control, shorten, tables

DOMINANT_SHARE = 0.40         # of DB execution time
DOMINANT_SHARE_FULL = 0.70
DB_BUSY_BACKENDS = 0.5        # statement time per wall second: executing backends on average
SLOW_MEAN_MS = 20.0           # PgHero's slow-query mean
SLOW_GROUP = 3                # slow statements considered together
BIG_TABLE_ROWS = 10_000       # PgHero: a table with fewer rows does not need an index
INDEX_USE_LIMIT = 0.95
N_PLUS_ONE_RATIO = 5.0        # calls per HTTP request, far above 1
N_PLUS_ONE_FULL = 15.0
N_PLUS_ONE_MIN_CALLS = 500
N_PLUS_ONE_MAX_ROWS = 2.0
DRIVER_MIN_SHARE = 0.02       # of all requests: rarer request names cannot drive an N+1
DRIVER_EXPLAINS = 0.25        # share of a statement's calls its N+1 drivers must explain
# Without statement counts (prepared statements on MySQL/MariaDB): a chatty request runs
# >= N_PLUS_ONE_FULL statements, this many more than the other requests do on average
ROUND_TRIP_EXCESS = 10.0
ROUND_TRIP_DISCOUNT = 0.8     # the statement itself is unknown
# Requests of one user task: their shares of the load correlate at least this much.
TASK_SHARE_CORRELATION = 0.6
TASK_JOIN = " + "
FAILED = "failed requests"    # the fit's column of every failed request
MIN_FIT_WINDOWS = 8           # 5 s windows with requests served, at least, to fit on
WINDOWS_PER_TERM = 2          # windows with requests served per fitted term, at least
LOCK_BOUND = 0.5              # share of a statement's time spent waiting on locks
SUMMARY_ROWS = 100            # an aggregate returning at most this many rows is a summary


def statement_totals(ctx: Context, since: float | None = None,
                     until: float | None = None) -> pd.DataFrame:
    """Per queryid in [since, until): calls, time, share, mean, rows/call, text."""
    frame = ctx.statements
    if since is not None:
        frame = frame[frame["ts"] >= since]
    if until is not None:
        frame = frame[frame["ts"] < until]
    sampled = _sampled_totals(ctx, since, until)
    if frame.empty and sampled.empty:
        return pd.DataFrame()
    sums = frame.groupby("queryid").agg(
        calls=("calls", "sum"), total_ms=("total_exec_time_ms", "sum"), rows=("rows", "sum"),
        hit=("shared_blks_hit", "sum"), read=("shared_blks_read", "sum"),
        temp=("temp_blks_written", "sum"), read_ms=("blk_read_time_ms", "sum"))
    sums["sampled"] = False
    if not sampled.empty:
        sums = pd.concat([sums, sampled]) if not sums.empty else sampled
    sums["share"] = sums["total_ms"] / sums["total_ms"].sum()
    sums["mean_ms"] = sums["total_ms"] / sums["calls"].where(sums["calls"] > 0)
    sums["rows_per_call"] = sums["rows"] / sums["calls"].where(sums["calls"] > 0)
    texts = ctx.queries.set_index("queryid")["query"] if not ctx.queries.empty else pd.Series()
    sums["query"] = [str(texts.get(q, "")) if q != "other" else "(other statements)"
                     for q in sums.index]
    return sums.sort_values("total_ms", ascending=False)


def _sampled_totals(ctx: Context, since: float | None, until: float | None) -> pd.DataFrame:
    """Statements no digest times (MariaDB's prepared statements), as statement_totals rows:
    their DB time estimated from sampled sessions; calls, rows and buffers unknown."""
    time = ctx.sampled_statement_time()
    if since is not None:
        time = time[time.index >= since]
    if until is not None:
        time = time[time.index < until]
    spent = time.sum()
    spent = spent[spent > 0]
    if spent.empty:
        return pd.DataFrame()
    return pd.DataFrame({"calls": math.nan, "total_ms": spent.astype(float), "rows": math.nan,
                         "hit": math.nan, "read": math.nan, "temp": 0.0, "read_ms": math.nan,
                         "sampled": True}, index=spent.index.astype(str))


def query_statements(totals: pd.DataFrame) -> pd.DataFrame:
    """statement_totals rows of named statements that query: transaction and session
    control read nothing (a slow COMMIT waits on the log's flush, db.io), and no index
    or plan is the fix for them."""
    return totals[(totals.index != "other")
                  & ~totals["query"].astype(str).map(is_session_control)]


def db_busy(ctx: Context) -> float:
    """Sustained peak of executing backends (statement ms per wall ms)."""
    return sustained_peak(ctx.db_time() / (WINDOW_S * 1000.0))


def dominant_statements(ctx: Context) -> Finding | None:
    """db.query of a busy database: a statement (or the slow ones together) dominating
    its time. rules/slowdown.py adds the statements that slowed down per call."""
    since = ctx.capacity.knee.ts if ctx.capacity.knee else None
    totals = statement_totals(ctx, since)
    if totals.empty:
        return None
    named = query_statements(totals)
    named = named[[_n_plus_one_ratio(ctx, str(q), row)[0] < N_PLUS_ONE_RATIO
                   for q, row in named.iterrows()]]
    if named.empty:
        return None
    # Missing indexes rarely hurt one statement only. Every slow statement that reads a
    # big table by full scans (without index use) is doing the same defect's work, however
    # many statements share it: together they are the finding. Without that evidence the
    # few slowest statements must dominate (when every statement is slow because the DB
    # is saturated, that is db.cpu), or one statement alone.
    scanning = _scanning_statements(ctx, named, since)
    slow = named[named["mean_ms"] >= SLOW_MEAN_MS].head(SLOW_GROUP)
    group = scanning if not scanning.empty else slow if not slow.empty else named.head(1)
    table, scans = seq_scan_table(ctx, str(group.iloc[0]["query"]), since)
    if table is None:
        group = named.head(1)
        table, scans = seq_scan_table(ctx, str(group.iloc[0]["query"]), since)
    share = float(group["share"].sum())
    queryid = str(group.index[0])
    top = group.iloc[0]
    busy = db_busy(ctx)
    if share < DOMINANT_SHARE or not busy >= DB_BUSY_BACKENDS:
        return None
    columns = index_columns(str(top["query"]), table) if table else []
    # A summary (GROUP BY, count/sum) returning a few rows reads its rows by design: it is
    # repeated work to cache or precompute more than an index to add.
    summary = aggregates(str(top["query"])) and float(top["rows_per_call"]) <= SUMMARY_ROWS
    sev = severity(share, DOMINANT_SHARE - 0.1, DOMINANT_SHARE_FULL) * (
        1.0 if top["mean_ms"] >= SLOW_MEAN_MS or table is not None else 0.7)
    sampled = bool(top["sampled"])
    if table is not None and not sampled:  # full scans of a big table: a missing index
        sev = max(sev, severity(float(top["mean_ms"]), SLOW_MEAN_MS, SLOW_MEAN_MS * 10))
    # Time spent queueing for a row lock is not the statement's own cost: only the rest is.
    locked = lock_wait_share(ctx, queryid, since)
    if not math.isnan(locked):
        sev *= 1.0 - locked
    # The group's time together: when the database saturates, every statement slows, so
    # one statement's time follows p95 less than the defect's whole share does.
    series = sum((_statement_time(ctx, str(q)).fillna(0.0) for q in group.index),
                 start=pd.Series(0.0, index=ctx.w5.index))
    rho = ctx.correlation(series)
    # A slow statement is slow from the first call; it became *the* bottleneck at the knee.
    knee = ctx.capacity.knee
    onset = Onset(knee.ts, knee.users) if knee else \
        ctx.onset(series / (WINDOW_S * 1000.0), DB_BUSY_BACKENDS)
    short = shorten(str(top["query"]))
    cost = (f"{top['total_ms'] / 1000 / max(_span_s(ctx, since), 1.0):.2f} sessions running "
            "it on average (sampled each second: the server does not time prepared "
            "statements)" if sampled else
            f"{top['mean_ms']:.1f} ms mean over {int(top['calls'])} calls; "
            f"{top['rows_per_call']:.1f} rows/call")
    evidence = [
        f"statement {queryid}: {pct(top['share'])} of DB execution time"
        f"{' after the knee' if since else ''}; {cost}",
        f"text: {short}",
        *([f"with {len(group) - 1} more {'full-scanning' if len(scanning) else 'slow'} "
           "statement(s) ("
           + ", ".join(f"{q}: {pct(r['share'])}"
                       + ("" if r["sampled"] else f", {r['mean_ms']:.0f} ms mean")
                       for q, r in group.iloc[1:1 + SLOW_GROUP].iterrows())
           + (", ..." if len(group) > 1 + SLOW_GROUP else "")
           + f"): {pct(share)} of DB time together"] if len(group) > 1 else []),
        f"DB busy: {busy:.2f} executing backends on average (highest 30 s median)",
        corr_text(rho),
    ]
    if not math.isnan(locked):
        evidence.append(
            f"{pct(locked)} of its execution time was spent waiting on a lock (sampled "
            "pg_stat_activity)" + (": it queues behind other transactions more than it "
                                   "works" if locked >= LOCK_BOUND else ""))
    if table:
        evidence.append(
            f"table {table}: {int(scans['seq_scan'])} sequential scans reading "
            f"{int(scans['seq_tup_read'])} rows, index use {pct(scans['index_share'])} of "
            f"{'rows read' if ctx.mysql else 'scans'}, "
            f"{int(scans['n_live_tup'])} live rows")
        evidence.append(f"likely index columns (from WHERE/ORDER BY; verify with EXPLAIN): "
                        f"{table}({', '.join(columns) or 'none found'})")
    else:
        evidence.append("no sequential scans on its tables: its cost is per-call work "
                        "(rows, sorting, joins), not a missing index")
    # Plans made from missing or stale statistics: the first thing to fix, said first.
    stale = stale_statistics(ctx, (t for q in group["query"] for t in tables(str(q))))
    evidence[2:2] = describe(stale)
    runner = outside_runner(ctx, onset.ts if onset else since)
    if runner:
        evidence.insert(2, runner.describe())
    return Finding(
        "db.query", confidence(sev, rho, None) * (0.7 + 0.3 * severity(busy, 0.2, 1.0)),
        (f"One statement dominates DB time ({pct(share)}"
         + ("" if sampled else f", {top['mean_ms']:.0f} ms/call") + ")"
         if len(group) == 1 else
         f"{len(group)} slow statements take {pct(share)} of DB time"
         + ("" if sampled else f" (the costliest {top['mean_ms']:.0f} ms/call)"))
        + (f": it summarizes {table} on every call." if table and summary else
           f": a sequential scan of {table}." if table else "."),
        evidence, onset.ts if onset else since, onset.users if onset else None,
        _requests_of(ctx, series), correlation=rho,
        details={"queryid": queryid, "query": short, "share": float(top["share"]),
                 "mean_ms": float(top["mean_ms"]), "rows_per_call": float(top["rows_per_call"]),
                 "table": table, "index_columns": columns, "summary": summary,
                 "temp_blks_written": int(top["temp"]), "lock_wait_share": locked,
                 "stale_statistics": [(t.table, t.auto == 0) for t in stale],
                 **(runner.details() if runner else {})},
    )


def db_n_plus_one(ctx: Context) -> Finding | None:
    totals = statement_totals(ctx)
    requests = float(ctx.w5["count"].sum())
    if requests <= 0:
        return None
    if totals.empty:
        return _prepared_round_trips(ctx, 0.0)
    named = totals[totals.index != "other"]
    shapes = {str(q): _n_plus_one_ratio(ctx, str(q), row) for q, row in named.iterrows()}
    candidates = {q: v for q, v in shapes.items() if v[0] >= N_PLUS_ONE_RATIO}
    if not candidates:
        return _prepared_round_trips(ctx, float(named["calls"].sum(skipna=True)))
    queryid = max(candidates, key=lambda q: candidates[q][0])
    ratio, name = candidates[queryid]
    top = named.loc[queryid]
    sev = severity(ratio, N_PLUS_ONE_RATIO - 2, N_PLUS_ONE_FULL)
    series = _statement_time(ctx, queryid)
    rho = ctx.correlation(series)
    knee = ctx.capacity.knee
    evidence = [
        f"statement {queryid}: {top['calls']:.0f} calls for {requests:.0f} HTTP requests = "
        f"{top['calls'] / requests:.1f} calls per request overall; {top['rows_per_call']:.1f} "
        f"rows/call, {top['mean_ms']:.2f} ms mean, {pct(top['share'])} of DB time",
        f"text: {shorten(str(top['query']))}",
    ]
    if name:
        evidence.append(f"its calls follow {name} (5 s windows): {ratio:.1f} calls per "
                        f"{name} request")
    evidence.append(corr_text(rho))
    return Finding(
        "db.n_plus_one", confidence(sev, rho, None),
        f"N+1 queries: one statement runs {ratio:.0f} times per "
        f"{name or 'HTTP'} request, one row at a time.",
        evidence, knee.ts if knee else None, knee.users if knee else None,
        [name] if name else [], correlation=rho,
        details={"queryid": queryid, "query": shorten(str(top["query"])),
                 "calls_per_request": ratio, "request": name,
                 "tables": tables(str(top["query"]))},
    )


def _prepared_round_trips(ctx: Context, digested_calls: float) -> Finding | None:
    """The N+1 shape where no statement is counted: MySQL and MariaDB digest no server-side
    prepared statement, and Laravel's PDO prepares every query, so calls per request are
    unknown for each statement. The server still counts every execution
    (Com_stmt_execute): request types that run many more of them than the rest make a
    round trip per row. Which statement it is stays unknown.

    All request counts grow with the users, so a least-squares fit can pin many
    statements on a rare request: the chatty requests must stand out in both halves of
    the run (even and odd windows fitted apart), and their extra statements must be a
    sizable share of all, as a statement's drivers must in db_n_plus_one. And the
    requests of one user task come together (the form, its POST, the page it leads to,
    the submit): the windows cannot tell which of them runs the task's statements, so
    they are fitted per task (`_tasks`).
    """
    executions = (ctx.signal(MYSQL_PREPARED_EXECUTIONS, how="sum") * WINDOW_S).fillna(0.0)
    total = float(executions.sum())
    if total < N_PLUS_ONE_MIN_CALLS or total <= digested_calls:
        return None
    fit = _chatty_requests(ctx, executions)
    if fit is None:
        return None
    halves = [_chatty_requests(ctx, executions.iloc[parity::2]) for parity in (0, 1)]
    per_request, requests, typical = fit
    chatty = [name for name in per_request.index
              if all(half is not None and name in half[0].index for half in halves)]
    extra = sum((per_request[name] - typical) * requests[name] for name in chatty)
    if not chatty or extra < max(N_PLUS_ONE_MIN_CALLS, DRIVER_EXPLAINS * total):
        return None
    name = chatty[0]
    best = float(per_request[name])
    rho = ctx.correlation(executions)
    knee = ctx.capacity.knee
    served = float(ctx.w5["count"].sum())
    return Finding(
        "db.n_plus_one", confidence(severity(best - typical, ROUND_TRIP_EXCESS,
                                             2 * ROUND_TRIP_EXCESS), rho, None)
        * ROUND_TRIP_DISCOUNT,
        f"N+1 queries (round trips): each {name} request runs {best:.0f} prepared statements, "
        f"{best - typical:.0f} more than the other requests.",
        [f"prepared statements executed: {total:.0f} for {served:.0f} HTTP requests = "
         f"{total / served:.1f} per request overall (Com_stmt_execute); fitted per request "
         "(5 s windows): " + ", ".join(f"{other} {per_request[other]:.1f}" for other in chatty)
         + f"; {typical:.1f} for the other requests",
         f"the extra statements of those requests: {extra:.0f}, {pct(extra / total)} of all",
         f"which statement repeats is not known: {ctx.db_server} digests no server-side "
         "prepared statement (Laravel's PDO prepares every query), and one-row lookups "
         "are too short for the 1 s session samples to catch",
         corr_text(rho)],
        knee.ts if knee else None, knee.users if knee else None,
        [request for task in chatty for request in task.split(TASK_JOIN)], correlation=rho,
        details={"queryid": None, "query": "", "calls_per_request": best, "request": name,
                 "tables": [], "round_trips": True})


def _chatty_requests(ctx: Context, executions: pd.Series
                     ) -> tuple[pd.Series, pd.Series, float] | None:
    """(statements per request of the chatty tasks, most first; their request counts;
    statements per request of all the others), from the fit per task on the windows of
    `executions`; None when the fit cannot be made or no task is chatty."""
    fit = _per_request_fit(ctx, executions, by_task=True)
    if fit is None:
        return None
    per_request, requests, served_calls = fit
    loud = per_request[per_request >= N_PLUS_ONE_FULL]
    rest = requests.drop(loud.index).sum()
    if loud.empty or rest <= 0:
        return None
    typical = (served_calls - float((loud * requests[loud.index]).sum())) / rest
    chatty = loud[loud - typical >= ROUND_TRIP_EXCESS].sort_values(ascending=False)
    return (chatty, requests[chatty.index], typical) if not chatty.empty else None


def _n_plus_one_ratio(ctx: Context, queryid: str, row: pd.Series) -> tuple[float, str | None]:
    """(calls per request of the request that drives it, that request) for a statement
    with the N+1 shape (many calls, about one row each); (0, None) otherwise."""
    requests = float(ctx.w5["count"].sum())
    if requests <= 0 or row["calls"] < N_PLUS_ONE_MIN_CALLS \
            or not row["rows_per_call"] <= N_PLUS_ONE_MAX_ROWS \
            or is_session_control(str(row["query"])):  # USE on each connect is no N+1
        return 0.0, None
    name, per_named = _driving_request(ctx, _statement_calls(ctx, queryid))
    if name is None or per_named is None:
        return float(row["calls"]) / requests, None
    return per_named, name


def statement_windows(ctx: Context, queryid: str, column: str) -> pd.Series:
    """One statement's column (calls, time) summed per 5 s window, 0 where it did not run."""
    frame = ctx.statements[ctx.statements["queryid"] == queryid]
    windows = time_labels(frame["ts"], WINDOW_S)
    return frame.groupby(windows)[column].sum().reindex(ctx.w5.index).fillna(0.0)


def lock_wait_share(ctx: Context, queryid: str, since: float | None) -> float:
    """Share of a statement's execution time spent waiting on a lock: backends sampled
    waiting while running it, over backends executing it (its time per wall second).
    NaN when lock waits by statement were not collected or it did not run."""
    if not ctx.has(DB_LOCK_WAIT):
        return math.nan
    waiting = ctx.signal(DB_LOCK_WAIT, queryid, how="sum").fillna(0.0)
    executing = _statement_time(ctx, queryid) / (WINDOW_S * 1000.0)
    if since is not None:
        waiting, executing = waiting[waiting.index >= since], executing[executing.index >= since]
    spent = float(executing.sum())
    return min(1.0, float(waiting.sum()) / spent) if spent > 0 else math.nan


def _statement_time(ctx: Context, queryid: str) -> pd.Series:
    """Its DB time per window (ms): timed by the engine, or sampled when it is not."""
    sampled = ctx.sampled_statement_time()
    if queryid in sampled.columns:
        return sampled[queryid].fillna(0.0)
    return statement_windows(ctx, queryid, "total_exec_time_ms")


def _span_s(ctx: Context, since: float | None) -> float:
    """Seconds of the run from `since` (or its start) to its end."""
    index = ctx.w5.index
    if len(index) == 0:
        return 0.0
    start = float(index[0]) if since is None else max(float(since), float(index[0]))
    return float(index[-1]) + WINDOW_S - start


def _statement_calls(ctx: Context, queryid: str) -> pd.Series:
    return statement_windows(ctx, queryid, "calls")


def _driving_request(ctx: Context, calls: pd.Series) -> tuple[str | None, float | None]:
    """(request name, calls per request of it) from a non-negative least-squares fit of the
    statement's 5 s calls on every request name's 5 s counts.

    Why a fit, not a ratio: a statement run once by every request (the session lookup)
    also tracks each request name; only the fit tells "1 per request of any kind" from
    "25 per /sppd request".
    """
    fit = _per_request_fit(ctx, calls)
    if fit is None:
        return None, None
    per_request, requests, served_calls = fit
    drivers = per_request >= N_PLUS_ONE_RATIO
    if (per_request[drivers] * requests[drivers]).sum() < DRIVER_EXPLAINS * served_calls:
        return None, None
    return str(per_request.idxmax()), float(per_request.max())


def _per_request_fit(ctx: Context, calls: pd.Series, by_task: bool = False
                     ) -> tuple[pd.Series, pd.Series, float] | None:
    """(calls per served request of each common request name (`by_task`: of each user
    task, its requests' names joined by TASK_JOIN), those requests served, the calls the
    served requests ran) over the 5 s windows of `calls` that had requests; None with too
    few to fit.

    Why served and failed apart: a failed request runs other statements than a served
    one (none when the proxy answers for a dead app server, or the session store is
    down). Counted as served, the requests that fail fast in an outage would pin every
    statement of the windows before it on a request the failing users no longer reach.
    Failed requests of every name make one column of their own.
    """
    served, failed = _request_counts(ctx)
    everything = served.to_numpy().sum() + failed.sum()
    # Request counts all grow with the users, so a fit can pin a big coefficient on a rare
    # request: rare requests are left out, and the drivers must explain the calls.
    served = served.loc[:, served.sum() >= DRIVER_MIN_SHARE * everything]
    calls = calls.reindex(served.index)  # windows `calls` lacks are left out of the fit
    serving = served.sum(axis=1) > 0
    active = (serving | (failed > 0)) & calls.notna()
    if by_task and serving.any():  # tasks from every window, so halves of a run agree
        served = pd.DataFrame({TASK_JOIN.join(names): served[names].sum(axis=1)
                               for names in _tasks(served[serving])}, index=served.index)
    design = served.assign(**{FAILED: failed}) \
        if failed.sum() >= DRIVER_MIN_SHARE * everything else served
    # Windows where every request failed say nothing of what a served one runs: a killed
    # app server left 7 windows with requests served, and 5 tasks fitted on them read 29
    # statements for a submit that ran 7.
    # As many windows as terms fit any noise exactly (two halves of a 75 s run, 8 windows
    # each for 8 tasks, both "found" a chatty dashboard): at least as many windows again
    # must be left over to be explained.
    informing = serving & calls.notna()
    if served.shape[1] == 0 \
            or informing.sum() < max(MIN_FIT_WINDOWS, WINDOWS_PER_TERM * design.shape[1]) \
            or calls[active].sum() <= 0:
        return None
    coefficients, _ = nnls(design[active].to_numpy(dtype=float),
                           calls[active].to_numpy(dtype=float))
    per_request = pd.Series(coefficients, index=design.columns.astype(str))
    failed_calls = float(per_request.get(FAILED, 0.0)) * float(failed[active].sum())
    return (per_request.drop(FAILED, errors="ignore"), served[active].sum().rename(index=str),
            float(calls[active].sum()) - failed_calls)


def _request_counts(ctx: Context) -> tuple[pd.DataFrame, pd.Series]:
    """(requests served per 5 s window and request name, requests failed per window)."""
    frame = ctx.w5_names[ctx.w5_names["name"] != ALL]
    served = frame.assign(served=frame["count"] - frame["failures"]).pivot_table(
        index="label", columns="name", values="served", aggfunc="sum")
    failed = frame.groupby("label")["failures"].sum()
    return (served.reindex(ctx.w5.index).fillna(0.0),
            failed.reindex(ctx.w5.index).fillna(0.0).astype(float))


def _tasks(counts: pd.DataFrame) -> list[list[str]]:
    """Request names grouped by the user task they come in, most requested first: names
    whose shares of each window's requests rise and fall together (correlation >=
    TASK_SHARE_CORRELATION, linked through each other). All counts grow with the users;
    their shares do not, except within a task."""
    shares = counts.div(counts.sum(axis=1), axis=0)
    together = (shares.corr() >= TASK_SHARE_CORRELATION).to_numpy()
    _, task = connected_components(csr_matrix(together), directed=False)
    ranked = pd.Series(task, index=counts.columns)[counts.sum().sort_values(ascending=False).index]
    return [[str(name) for name in names]
            for names in ranked.groupby(ranked, sort=False).groups.values()]


def _requests_of(ctx: Context, series: pd.Series) -> list[str]:
    """Request names whose counts correlate with a statement's time (who runs it)."""
    counts = ctx.w5_names[ctx.w5_names["name"] != ALL].pivot_table(
        index="label", columns="name", values="count", aggfunc="sum").reindex(ctx.w5.index)
    counts = counts.fillna(0.0)
    scores = []
    for name in counts.columns:
        if counts[name].std() == 0 or series.std() == 0:
            continue
        scores.append((float(np.corrcoef(counts[name], series)[0, 1]), str(name)))
    scores.sort(reverse=True)
    return [name for r, name in scores if r >= 0.5][:5]


def _scanned_tables(ctx: Context, since: float | None) -> pd.DataFrame:
    """Big tables read by sequential (full) scans and rarely through an index, with their
    scan counters summed over [since, end)."""
    frame = ctx.tables if since is None else ctx.tables[ctx.tables["ts"] >= since]
    if frame.empty:
        return pd.DataFrame()
    sums = frame.groupby("table").agg(seq_scan=("seq_scan", "sum"),
                                      seq_tup_read=("seq_tup_read", "sum"),
                                      idx_scan=("idx_scan", "sum"),
                                      n_live_tup=("n_live_tup", "last"))
    sums.index = [str(t).split(".")[-1].lower() for t in sums.index]
    # PostgreSQL counts the scans of each kind. MySQL/MariaDB count rows fetched (its
    # idx_scan holds the rows read through an index; seq_scan is estimated from the rows
    # full scans read): there the share is one of rows read.
    scans = sums["seq_tup_read" if ctx.mysql else "seq_scan"] + sums["idx_scan"]
    sums["index_share"] = sums["idx_scan"] / scans.where(scans > 0)
    return sums[(sums["n_live_tup"] >= BIG_TABLE_ROWS) & (sums["seq_scan"] > 0)
                & ~(sums["index_share"] >= INDEX_USE_LIMIT)]


def _scanning_statements(ctx: Context, named: pd.DataFrame,
                         since: float | None) -> pd.DataFrame:
    """The slow statements that read a full-scanned big table (costliest first)."""
    scanned = set(_scanned_tables(ctx, since).index)
    if not scanned:
        return named.iloc[0:0]
    reads = pd.Series([bool(scanned & set(tables(str(row["query"]))))
                       for _q, row in named.iterrows()], index=named.index)
    # A statement seen running in the samples is slow enough to matter; its mean is unknown.
    return named[reads & ((named["mean_ms"] >= SLOW_MEAN_MS) | named["sampled"].astype(bool))]


def seq_scan_table(ctx: Context, query: str,
                   since: float | None) -> tuple[str | None, dict[str, float]]:
    """The statement's big table with the most rows read by sequential scans."""
    sums = _scanned_tables(ctx, since)
    if sums.empty:
        return None, {}
    candidates = sums.loc[[t for t in tables(query) if t in sums.index]]
    if candidates.empty:
        return None, {}
    table = str(candidates["seq_tup_read"].idxmax())
    row = candidates.loc[table]
    return table, {k: float(v) if not math.isnan(float(v)) else 0.0 for k, v in row.items()}
