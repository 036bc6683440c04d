"""Run each collector on wall-clock-aligned ticks in its own thread and stream its rows.

A collector that fails never stops the others: its error becomes an event, its
connection is dropped and retried with backoff, and the missing samples are
visible as a gap (an event when it recovers, and no rows in between). Every
sample reports its own cost as `collector.sample_ms{<collector>}`.

A sample that gets no answer at all (a stopped or frozen server keeps its TCP
connection open, so no timeout of the client fires) would leave only silence. A
watchdog says so while it lasts: once a sample has waited STALL_AFTER_S (or three
intervals), it writes `collector.waiting_s{<collector>}` each second and one
`collector_stalled` event, so "the database stopped answering at 10:31:05" is in
the results, not inferred from missing rows.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from collectors.base import Collector, Sample
from collectors.sink import AppendFile

METRICS_HEADER = ("ts", "collector", "target", "metric", "value")
STATEMENTS_HEADER = ("ts", "target", "queryid", "calls", "total_exec_time_ms", "rows",
                     "shared_blks_hit", "shared_blks_read", "temp_blks_written",
                     "blk_read_time_ms", "rows_examined", "no_index_used", "tmp_disk_tables",
                     "sort_merge_passes", "lock_time_ms")
QUERIES_HEADER = ("queryid", "query")
TABLES_HEADER = ("ts", "target", "table", "seq_scan", "seq_tup_read", "idx_scan", "n_live_tup",
                 "n_mod_since_analyze", "unanalyzed", "auto_analyze")
# Sessions holding locks others wait for: who (pid, application, client, user), doing
# what (state, transaction age, normalized last statement), blocking how many, and
# whether it waits on a lock itself (then it is a link of a chain, not its root).
BLOCKERS_HEADER = ("ts", "target", "pid", "application", "client", "user", "state",
                   "xact_age_s", "waiting", "blocked", "query")
# The few processes using most CPU, memory and storage I/O on a host, per sample: the
# culprit of a saturated host, inside the stack or outside it (command without arguments).
PROCESSES_HEADER = ("ts", "target", "pid", "command", "group", "cpu", "rss", "io_rate")
# Database connections by who holds them (application, client address, user) and state,
# the largest groups per sample: who filled max_connections.
SESSIONS_HEADER = ("ts", "target", "application", "client", "user", "state", "count")
MAX_BACKOFF_S = 30.0
# Each sample is taken at a random moment in the first part of its interval (its rows
# keep the tick's timestamp): a pause cycle whose period divides the interval (a server
# stopped 200 ms in every 500) would otherwise meet every probe at the same phase, and
# the probes would all land beside the pauses, or all in them.
JITTER_SHARE = 0.5
STALL_AFTER_S = 3.0      # a sample waiting this long (or 3 intervals) is a stall


def scrub(message: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message.strip().splitlines()[0][:300] if message.strip() else "error"


class Sampler:
    def __init__(self, out_dir: Path, collectors: list[Collector], interval_s: float = 1.0,
                 secrets: Iterable[str] = (), say: Callable[[str], None] = print,
                 intervals: Sequence[float] | None = None) -> None:
        """`intervals[i]`, when given, is collector i's own interval (else `interval_s`)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        self.collectors = collectors
        self.interval_s = interval_s
        self.intervals = list(intervals) if intervals is not None else \
            [interval_s] * len(collectors)
        self.secrets = tuple(secrets)
        self.say = say
        self.metrics = AppendFile(out_dir / "metrics.csv", METRICS_HEADER)
        self.statements = AppendFile(out_dir / "statements.csv", STATEMENTS_HEADER)
        self.queries = AppendFile(out_dir / "queries.csv", QUERIES_HEADER)
        self.tables = AppendFile(out_dir / "tables.csv", TABLES_HEADER)
        self.blockers = AppendFile(out_dir / "blockers.csv", BLOCKERS_HEADER)
        self.processes = AppendFile(out_dir / "processes.csv", PROCESSES_HEADER)
        self.sessions = AppendFile(out_dir / "sessions.csv", SESSIONS_HEADER)
        self.events = AppendFile(out_dir / "events.jsonl")
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # collector index -> wall time its current sample began (absent between samples)
        self._in_flight: dict[int, float] = {}
        self._random = random.Random()

    def event(self, kind: str, collector: Collector, message: str, **extra: object) -> None:
        self.events.write_json({"ts": time.time(), "kind": kind, "collector": collector.name,
                                "target": collector.target,
                                "message": scrub(message, self.secrets), **extra})

    def start(self) -> None:
        for index, interval_s in enumerate(self.intervals):
            thread = threading.Thread(target=self._run, args=(index, interval_s),
                                      name=f"collector-{self.collectors[index].name}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        watchdog = threading.Thread(target=self._watch, name="collector-watchdog", daemon=True)
        watchdog.start()
        self._threads.append(watchdog)

    def _watch(self) -> None:
        """Each second, for every sample waiting past its stall limit: how long so far."""
        stalled: set[int] = set()
        while not self._stop.wait(1.0 - time.time() % 1.0):
            now = time.time()
            for index, collector in enumerate(self.collectors):
                began = self._in_flight.get(index)
                if began is None or now - began < max(STALL_AFTER_S, 3 * self.intervals[index]):
                    stalled.discard(index)
                    continue
                if index not in stalled:
                    stalled.add(index)
                    self.event("collector_stalled", collector,
                               f"no answer for {now - began:.0f} s", start=began)
                    self.say(f"[collectors] {collector.name}@{collector.target}: no answer for "
                             f"{now - began:.0f} s; still waiting")
                self.metrics.write_rows([[round(now), collector.name, collector.target,
                                          f"collector.waiting_s{{{collector.name}}}",
                                          round(now - began, 1)]])

    def _run(self, index: int, interval_s: float) -> None:
        collector = self.collectors[index]
        backoff = 0.0
        failing_since: float | None = None
        next_tick = math.ceil(time.time() / interval_s) * interval_s
        while not self._stop.wait(max(0.0, next_tick + self._jitter(interval_s) - time.time())):
            ts = next_tick
            started = time.perf_counter()
            self._in_flight[index] = now = time.time()
            try:
                sample = collector.sample(now)  # rates over the real time between samples
            except Exception as error:  # noqa: BLE001  # one collector must not stop the rest
                self._in_flight.pop(index, None)
                if failing_since is None:
                    failing_since = ts
                    self.event("collector_error", collector, f"{type(error).__name__}: {error}")
                    self.say(f"[collectors] {collector.name}@{collector.target}: "
                             f"{scrub(str(error), self.secrets)}; retrying")
                collector.close()
                backoff = min(MAX_BACKOFF_S, max(interval_s, backoff * 2))
                next_tick = math.ceil((time.time() + backoff) / interval_s) * interval_s
                continue
            self._in_flight.pop(index, None)
            cost_ms = (time.perf_counter() - started) * 1000
            if failing_since is not None:
                self.event("collector_gap", collector, "recovered", start=failing_since, end=ts)
                failing_since, backoff = None, 0.0
            sample.add(f"collector.sample_ms{{{collector.name}}}", cost_ms)
            self._write(collector, ts, sample)
            next_tick += interval_s
            if time.time() > next_tick:  # overran: skip the missed ticks, say so
                missed = math.ceil((time.time() - next_tick) / interval_s)
                self.event("collector_gap", collector, f"overrun: sample took {cost_ms:.0f} ms",
                           start=next_tick, end=next_tick + missed * interval_s)
                next_tick += missed * interval_s

    def _jitter(self, interval_s: float) -> float:
        return self._random.uniform(0.0, JITTER_SHARE * interval_s)

    def _write(self, collector: Collector, ts: float, sample: Sample) -> None:
        self.metrics.write_rows([ts, collector.name, collector.target, metric, value]
                                for metric, value in sample.metrics)
        if sample.statements:
            self.statements.write_rows([ts, collector.target, *row] for row in sample.statements)
        if sample.queries:
            self.queries.write_rows(sample.queries)
        if sample.tables:
            self.tables.write_rows([ts, collector.target, *row] for row in sample.tables)
        if sample.blockers:
            self.blockers.write_rows([ts, collector.target, *row] for row in sample.blockers)
        if sample.processes:
            self.processes.write_rows([ts, collector.target, *row] for row in sample.processes)
        if sample.sessions:
            self.sessions.write_rows([ts, collector.target, *row] for row in sample.sessions)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        for collector in self.collectors:
            collector.close()
        for sink in (self.metrics, self.statements, self.queries, self.tables, self.blockers,
                     self.processes, self.sessions, self.events):
            sink.close()
