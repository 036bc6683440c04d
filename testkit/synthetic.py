"""Synthetic, contract-conforming results directories for one chosen bottleneck.

Why: the analysis is built and tested before real campaigns exist, and bench/ needs
large inputs on demand. The model is a closed system (users with think time) whose
throughput softly saturates at the bottleneck's capacity: below the knee X = N/(Z+R0),
above it X ~ C and latency grows by Little's law (R = N/X - Z). Every other signal is
derived from X, the bottleneck's utilization X/C and the load, with noise.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.schema import (
    BLOCKERS,
    CAMPAIGN_FILE,
    ERRORS,
    EVENTS_FILE,
    METRICS,
    PROCESSES,
    QUERIES,
    REQUESTS,
    SESSIONS,
    STATEMENTS,
    TABLES,
    USERS,
)
from scenarios.histogram import Histogram

SCENARIOS: tuple[str, ...] = (
    "baseline", "loadgen.cpu", "app.cpu", "app.workers", "db.cpu", "db.query", "db.n_plus_one",
    "db.connections", "db.locks", "db.io", "db.unavailable", "host.cpu", "host.memory",
    "host.disk", "queue.backlog", "cache.misses", "cache.latency", "app.errors",
)
# Scenarios without a throughput ceiling inside the tested load.
NO_KNEE = {"baseline", "queue.backlog", "app.errors", "db.unavailable"}
OUTAGE_S = 60      # db.unavailable: the database's processes stopped this long
STALL_AFTER_S = 3  # the sampler's watchdog speaks after this long
HOST = "app1"
LOADGEN_WORKERS = ("locust-1", "locust-2")
HOT_ROW_QUERYID = "5523918810027700008"  # the UPDATE that waits on the hot row
IDLE_DISK = {"disk.util": 0.02, "disk.iops": 5.0, "disk.queue": 0.01, "disk.await": 1.0,
             "disk.read_bytes_rate": 4096.0, "disk.write_bytes_rate": 65536.0}


@dataclass(frozen=True)
class SyntheticSpec:
    """What to generate: scenario (a taxonomy class or `baseline`), duration, peak users."""

    scenario: str = "baseline"
    duration_s: int = 480
    users: int = 500
    steps: int = 8
    seed: int = 1
    start_ts: float = 1_767_258_000.0  # 2026-01-01T09:00:00Z
    think_s: float = 1.5
    base_latency_s: float = 0.05
    knee_share: float = 0.5           # knee at this share of the peak users
    cpus: int = 4
    truncate_last_line: bool = False
    # Idle disks added to the host's series: a real campaign writes ~115 metric rows a
    # second (per-statement, per-group, per-disk series), the scenario alone ~45.
    idle_disks: int = 0


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    weight: float
    median_ms: float


ROUTES: tuple[Route, ...] = (
    Route("/login", "POST", 0.04, 60.0),
    Route("/dashboard", "GET", 0.22, 35.0),
    Route("/sppd", "GET", 0.20, 30.0),
    Route("/sppd/[id]", "GET", 0.16, 20.0),
    Route("/sppd/create", "GET", 0.06, 18.0),
    Route("/sppd", "POST", 0.06, 45.0),
    Route("/approvals", "GET", 0.10, 28.0),
    Route("/approvals/[id]/approve", "POST", 0.06, 40.0),
    Route("/sppd/[id]/document", "GET", 0.04, 25.0),
    Route("/reports/monthly", "GET", 0.03, 90.0),
    Route("/laporan", "POST", 0.03, 50.0),
)
AFFECTED: dict[str, set[str]] = {
    "db.query": {"/sppd GET", "/dashboard GET"},
    "db.n_plus_one": {"/sppd GET"},
    "db.locks": {"/approvals/[id]/approve POST", "/approvals GET"},
    "app.cpu": {"/login POST", "/sppd/[id]/document GET"},
    "cache.misses": {"/dashboard GET", "/sppd/create GET"},
}


@dataclass(frozen=True)
class Statement:
    queryid: str
    text: str
    calls_per: dict[str, float]  # route key -> calls per request ("*" = every request)
    mean_ms: float
    rows: float
    table: str


def _statements(scenario: str) -> list[Statement]:
    slow_list = scenario == "db.query"
    n_plus_one = scenario == "db.n_plus_one"
    cache_off = scenario == "cache.misses"
    return [
        Statement("-4410392817452100001", 'select * from "sessions" where "id" = $1 limit $2',
                  {"*": 1.0}, 0.04, 1, "sessions"),
        Statement("-4410392817452100002", 'select * from "users" where "id" = $1 limit $2',
                  {"*": 1.0}, 0.05, 1, "users"),
        Statement("5523918810027700003",
                  'select * from "sppd" where "user_id" = $1 and "status" = $2 '
                  'order by "tanggal_berangkat" desc limit $3',
                  {"/sppd GET": 1.0, "/dashboard GET": 1.0}, 55.0 if slow_list else 0.6, 20,
                  "sppd"),
        Statement("5523918810027700004", 'select * from "sppd" where "sppd"."id" = $1 limit $2',
                  {"/sppd/[id] GET": 1.0, "/sppd/[id]/document GET": 1.0,
                   "/approvals/[id]/approve POST": 1.0}, 0.08, 1, "sppd"),
        Statement("5523918810027700005",
                  'select "status", count(*) as aggregate from "sppd" where "unit_kerja_id" = $1 '
                  'and "tanggal_berangkat" between $2 and $3 group by "status"',
                  {"/dashboard GET": 1.0 if cache_off else 0.05}, 6.0, 5, "sppd"),
        Statement("5523918810027700006",
                  'select * from "unit_kerja" where "unit_kerja"."id" = $1 limit $2',
                  {"/sppd GET": 25.0} if n_plus_one else {"*": 1.0 if cache_off else 0.03},
                  0.05, 1, "unit_kerja"),
        Statement("5523918810027700007",
                  'select * from "approval_logs" where "sppd_id" = $1 order by "created_at" asc',
                  {"/approvals GET": 1.0, "/sppd/[id] GET": 1.0}, 0.3, 3, "approval_logs"),
        Statement(HOT_ROW_QUERYID,
                  'update "sppd" set "status" = $1, "updated_at" = $2 where "id" = $3',
                  {"/approvals/[id]/approve POST": 1.0, "/sppd POST": 1.0}, 0.4, 1, "sppd"),
        Statement("5523918810027700009",
                  'insert into "sppd" ("user_id", "unit_kerja_id", "tujuan_id", "biaya", '
                  '"status") values ($1, $2, $3, $4, $5) returning "id"',
                  {"/sppd POST": 1.0}, 0.7, 1, "sppd"),
        Statement("5523918810027700010",
                  'select "unit_kerja"."nama", sum("sppd"."biaya") from "sppd" inner join '
                  '"unit_kerja" on "unit_kerja"."id" = "sppd"."unit_kerja_id" where '
                  '"sppd"."tanggal_berangkat" between $1 and $2 group by "unit_kerja"."nama"',
                  {"/reports/monthly GET": 1.0}, 4.0, 12, "sppd"),
    ]


LIVE_ROWS = {"sessions": 600, "users": 620, "sppd": 240_000, "unit_kerja": 40,
             "approval_logs": 410_000}


def generate(out: Path, spec: SyntheticSpec) -> Path:
    """Write a full results directory for `spec` into `out` (created) and return it."""
    if spec.scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {spec.scenario!r}; one of {', '.join(SCENARIOS)}")
    out.mkdir(parents=True, exist_ok=True)
    model = _Model(spec)
    _write_campaign(out, spec)
    _write_events(out, spec, model)
    _write_csv(out / USERS.filename, USERS.names, model.users_rows())
    # no user pace is modelled: no coordinated-omission column (not measured)
    _write_csv(out / REQUESTS.filename, [name for name in REQUESTS.names
                                         if name not in REQUESTS.added], model.request_rows())
    _write_csv(out / ERRORS.filename, ERRORS.names, model.error_rows())
    _write_csv(out / METRICS.filename, METRICS.names, model.metric_rows())
    _write_csv(out / STATEMENTS.filename, STATEMENTS.names, model.statement_rows())
    _write_csv(out / QUERIES.filename, QUERIES.names,
               ([s.queryid, s.text] for s in model.statements))
    _write_csv(out / TABLES.filename, TABLES.names, model.table_rows())
    _write_csv(out / BLOCKERS.filename, BLOCKERS.names, model.blocker_rows())
    _write_csv(out / PROCESSES.filename, PROCESSES.names, model.process_rows())
    _write_csv(out / SESSIONS.filename, SESSIONS.names, model.session_rows())
    (out / "locust").mkdir(exist_ok=True)
    if spec.truncate_last_line:
        path = out / REQUESTS.filename
        text = path.read_text(encoding="utf-8")
        path.write_text(text[:-12], encoding="utf-8")
    return out


class _Model:
    """Per-second arrays of the closed-system model for one spec."""

    def __init__(self, spec: SyntheticSpec) -> None:
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        t = np.arange(spec.duration_s, dtype=float)
        self.ts = spec.start_ts + t
        steps = max(spec.steps, 1)
        level = np.minimum((t * steps // spec.duration_s).astype(int) + 1, steps)
        self.target = np.round(level * spec.users / steps).astype(int) if spec.steps else \
            np.maximum(1, np.round(spec.users * (t + 1) / spec.duration_s)).astype(int)
        ramp = np.ones_like(t)
        change = np.concatenate([[0], np.flatnonzero(np.diff(self.target)) + 1])
        for start in change:  # users join over 3 s after each change
            ramp[start:start + 3] = np.linspace(0.5, 0.9, 3)[: len(ramp[start:start + 3])]
        previous = np.concatenate([[0], self.target[:-1]])
        self.running = np.where(ramp < 1, previous + (self.target - previous) * ramp, self.target)
        cycle = spec.think_s + spec.base_latency_s
        free = self.running / cycle
        self.x_ref = spec.users / cycle
        knee_users = spec.knee_share * spec.users
        capacity = 3.0 * self.x_ref if spec.scenario in NO_KNEE else knee_users / cycle
        self.capacity = capacity
        throughput = (free ** -8 + capacity ** -8) ** (-1 / 8)
        self.x = throughput * self.noise(0.02)
        self.latency = np.maximum(self.running / self.x - spec.think_s, spec.base_latency_s)
        self.slow = self.latency / spec.base_latency_s          # latency factor vs low load
        self.sat = np.clip(self.x / capacity, 0, 1)              # bottleneck utilization
        self.load = np.clip(self.x / self.x_ref, 0, 1)          # share of the peak offered load
        self.phase = np.where(t < spec.duration_s * 0.1, "warmup",
                              np.where(t < spec.duration_s * 0.9, "steady", "peak"))
        self.onset_t = int(np.argmax(self.sat > 0.9)) if spec.scenario not in NO_KNEE \
            else spec.duration_s // 3
        self.outage = np.zeros(len(t), dtype=bool)
        if spec.scenario == "db.unavailable":  # every request waits, then times out
            self.outage[self.onset_t:self.onset_t + OUTAGE_S] = True
            self.slow = np.where(self.outage, self.slow * 40, self.slow)
        self.statements = _statements(spec.scenario)
        self.counts = self._counts()

    def noise(self, rel: float) -> np.ndarray:
        return np.clip(1 + self.rng.normal(0, rel, len(self.ts)), 0.5, 1.5)

    def _counts(self) -> dict[str, np.ndarray]:
        weights = np.array([r.weight for r in ROUTES])
        weights = weights / weights.sum()
        return {f"{r.name} {r.method}": self.rng.poisson(self.x * w)
                for r, w in zip(ROUTES, weights, strict=True)}

    # --- files -------------------------------------------------------------
    def users_rows(self) -> Iterator[list[object]]:
        mix = {"Dosen": 0.7, "Atasan": 0.2, "Keuangan": 0.1}
        for i, ts in enumerate(self.ts):
            for name, share in mix.items():
                yield [f"{ts:.1f}", self.phase[i], int(self.target[i]), name,
                       round(float(self.running[i]) * share)]

    def request_rows(self) -> Iterator[list[object]]:
        affected = AFFECTED.get(self.spec.scenario, set())
        for i, ts in enumerate(self.ts):
            for route in ROUTES:
                key = f"{route.name} {route.method}"
                count = int(self.counts[key][i])
                if count == 0:
                    continue
                weight = 1.6 if key in affected else (0.6 if affected else 1.0)
                factor = 1 + (self.slow[i] - 1) * weight
                samples = self.rng.lognormal(np.log(route.median_ms * factor), 0.45, count)
                failures = int(self.rng.binomial(count, self._fail_rate(i, key)))
                histogram = Histogram()
                for value in samples:
                    histogram.record(float(value))
                yield [f"{ts:.1f}", route.name, route.method, count, failures,
                       f"{samples.sum():.3f}", f"{samples.max():.3f}", histogram.encode()]

    def _fail_rate(self, i: int, key: str) -> float:
        if self.outage[i]:
            return 0.6
        if self.spec.scenario == "app.errors" and i >= self.onset_t and key in (
                "/sppd POST", "/sppd/[id]/document GET", "/sppd GET"):
            return 0.25
        return 0.0002

    def error_rows(self) -> Iterator[list[object]]:
        rng = np.random.default_rng(self.spec.seed + 7)
        for i, ts in enumerate(self.ts):
            for route in ROUTES:
                key = f"{route.name} {route.method}"
                rate = self._fail_rate(i, key)
                failures = int(rng.binomial(int(self.counts[key][i]), rate))
                if failures:
                    message = ("HTTPError('500 Server Error: Internal Server Error for url: "
                               f"{route.name}')" if rate > 0.01 else
                               "ConnectionResetError(104, 'Connection reset by peer')")
                    yield [f"{ts:.1f}", route.name, route.method, message, failures]

    def metric_rows(self) -> Iterator[list[object]]:
        series = self._metric_series()
        names = list(series)
        for i, ts in enumerate(self.ts):
            stamp = f"{ts + 0.5:.3f}"
            for collector, target, metric in names:
                value = series[(collector, target, metric)][i]
                if not np.isnan(value):  # NaN: that collector wrote nothing this second
                    yield [stamp, collector, target, metric, f"{value:.6g}"]

    def _metric_series(self) -> dict[tuple[str, str, str], np.ndarray]:
        s, sat, load, cpus = self.spec.scenario, self.sat, self.load, self.spec.cpus
        after = (np.arange(len(self.ts)) >= self.onset_t).astype(float)
        cores = {
            "app": cpus * (0.97 * sat if s == "app.cpu" else 0.18 * sat if s == "host.cpu"
                           else 0.30 * load),
            "postgres": cpus * (0.92 * sat if s in ("db.cpu", "db.query", "db.n_plus_one")
                                else 0.55 * load if s == "cache.misses"
                                else 0.06 * sat if s == "host.cpu" else 0.15 * load),
            "queue": cpus * 0.04 * load + 0.02,
            "redis": cpus * 0.02 * load + 0.01,
            "locust": np.zeros_like(sat),
            "other": cpus * (0.72 if s == "host.cpu" else 0.02) * np.ones_like(sat),
        }
        loadgen = (0.97 * sat if s == "loadgen.cpu" else 0.3 * load) * self.noise(0.03)
        cores["locust"] = loadgen * len(LOADGEN_WORKERS)
        for group in cores:
            cores[group] = np.clip(cores[group] * self.noise(0.04), 0, cpus)
        util = np.clip(sum(cores.values()) / cpus, 0, 1)
        cpu_bound = s in ("app.cpu", "db.cpu", "db.query", "db.n_plus_one", "host.cpu")
        runqueue = util * cpus * (1 + (np.clip(sat - 0.9, 0, 1) * 20 if cpu_bound else 0))
        # Server-side in-flight requests (Little's law); a saturated generator inflates
        # only the client-side latency.
        server_latency = self.spec.base_latency_s if s == "loadgen.cpu" else self.latency
        inflight = self.x * server_latency
        workers_total = max(2, round(self.capacity * self.spec.base_latency_s)) \
            if s == "app.workers" else 32
        pg_active = np.clip(2 + 10 * load + (25 * sat if s in ("db.locks", "db.io") else 0),
                            0, 100)
        pg_total = np.clip(20 + 80 * sat, 0, 100) if s == "db.connections" else 20 + 10 * load
        if s == "db.connections":
            pg_active = pg_total * 0.95
        lock_waits = pg_active * 0.7 * np.clip((sat - 0.5) / 0.5, 0, 1) if s == "db.locks" \
            else (self.rng.random(len(sat)) < 0.02).astype(float)
        io_waits = pg_active * (0.6 * sat if s == "db.io" else 0.02)
        mem = np.clip(0.55 - 0.52 * np.clip(sat, 0, 1) ** 3, 0.02, 1) if s == "host.memory" \
            else 0.6 - 0.05 * load
        swap = np.where(mem < 0.08, 600.0, 0.0) * self.noise(0.2)
        queue_arrival = 0.08 * self.x
        queue_capacity = 0.08 * self.x_ref * (0.5 if s == "queue.backlog" else 1.6)
        backlog = np.zeros_like(sat)
        for i in range(1, len(sat)):  # Lindley recursion: jobs left after each second
            backlog[i] = max(0.0, backlog[i - 1] + queue_arrival[i] - queue_capacity)
        queue_len = backlog + self.rng.poisson(1.0, len(sat)) if s == "queue.backlog" \
            else self.rng.poisson(1.0, len(sat)).astype(float)
        disk = np.clip(0.98 * sat if s == "host.disk" else 0.55 * sat if s == "db.io"
                       else 0.05 + 0.1 * load, 0, 1)
        await_ms = 4 + (140 * sat ** 4 if s == "host.disk" else 4 * sat if s == "db.io" else 0)
        out: dict[tuple[str, str, str], np.ndarray] = {
            ("host", HOST, "cpu.util"): util,
            ("host", HOST, "cpu.iowait"): (0.3 * sat if s in ("db.io", "host.disk") else
                                           0.01 * np.ones_like(sat)) * self.noise(0.05),
            ("host", HOST, "cpu.count"): np.full_like(sat, cpus),
            ("host", HOST, "load.runqueue"): runqueue,
            ("host", HOST, "mem.available_ratio"): mem * self.noise(0.01),
            ("host", HOST, "mem.total"): np.full_like(sat, 16 * 2**30),
            ("host", HOST, "swap.in_rate"): swap * 0.6,
            ("host", HOST, "swap.out_rate"): swap,
            ("host", HOST, "disk.util{vda}"): disk * self.noise(0.03),
            ("host", HOST, "disk.await{vda}"): await_ms * self.noise(0.05),
            ("host", HOST, "disk.queue{vda}"): disk * await_ms / 10,
        }
        for group, values in cores.items():
            out[("host", HOST, f"proc.cpu{{{group}}}")] = values
        rss = {"app": 32 * 70e6, "postgres": 1.6e9, "queue": 2 * 90e6, "redis": 60e6,
               "locust": 2 * 120e6, "other": 400e6}
        for group, value in rss.items():
            out[("host", HOST, f"proc.rss{{{group}}}")] = np.full_like(sat, value)
        out[("host", HOST, "proc.count{app}")] = np.full_like(sat, float(workers_total))
        out[("host", HOST, "proc.count{queue}")] = np.full_like(sat, 2.0)
        out |= {
            ("postgres", "db", "db.connections.active"): pg_active * self.noise(0.05),
            ("postgres", "db", "db.connections.total"): np.minimum(pg_total, 100),
            ("postgres", "db", "db.connections.max"): np.full_like(sat, 100),
            ("postgres", "db", "db.wait{Lock}"): lock_waits,
            ("postgres", "db", "db.wait{IO}"): io_waits,
            ("postgres", "db", "db.wait{LWLock}"): 0.02 * pg_active,
            ("postgres", "db", "db.wait{Client}"): 0.1 * pg_active,
            ("postgres", "db", "db.locks.ungranted"): np.floor(lock_waits),
            ("postgres", "db", "db.cache_hit_ratio"): (0.82 if s == "db.io" else 0.995)
            * np.ones_like(sat),
            ("redis", "redis", "queue.length{default}"): queue_len,
            ("redis", "redis", "queue.reserved{default}"): np.full_like(sat, 2.0),
            ("redis", "redis", "redis.hit_ratio"): (0.18 if s == "cache.misses" else 0.96)
            * self.noise(0.01),
            # A stalled Redis: its round trip grows with the load it fails to serve.
            ("redis", "redis", "redis.latency_ms"): (0.3 + (300 * np.clip(sat, 0, 1)
                                                            if s == "cache.latency" else 0.0))
            * self.noise(0.05),
            ("app", "app", "app.workers.total"): np.full_like(sat, float(workers_total)),
            ("app", "app", "app.workers.busy"): np.minimum(inflight, workers_total),
            ("app", "app", "app.listen_queue"): np.maximum(inflight - workers_total, 0),
        }
        if s == "db.unavailable":  # stopped: the collector waits, the workers all block
            seconds = np.arange(len(sat), dtype=float)
            for key in [k for k in out if k[0] == "postgres"]:
                out[key] = np.where(self.outage, np.nan, out[key])
            waiting = seconds - self.onset_t
            out[("postgres", "db", "collector.waiting_s{postgres}")] = np.where(
                self.outage & (waiting >= STALL_AFTER_S), waiting, np.nan)
            out[("host", HOST, "proc.stopped{postgres}")] = np.where(self.outage, 6.0, 0.0)
            out[("host", HOST, "proc.count{postgres}")] = np.full_like(sat, 6.0)
            out[("app", "app", "app.workers.busy")] = np.where(
                self.outage, float(workers_total), out[("app", "app", "app.workers.busy")])
        if s == "db.locks":  # the waiters run the counter statement (queryid ...08)
            out[("postgres", "db", f"db.lock_wait{{{HOT_ROW_QUERYID}}}")] = lock_waits
        if s == "db.connections":
            out[("app", "app", "app.db_pool.waiting")] = np.maximum(
                (self.running - self.spec.knee_share * self.spec.users) / 8, 0) * after
        for worker in LOADGEN_WORKERS:
            out[("locust", worker, "loadgen.cpu")] = np.clip(loadgen * self.noise(0.02), 0, 1)
        for disk_number in range(self.spec.idle_disks):
            device = f"vdx{disk_number}"
            for metric, value in IDLE_DISK.items():
                out[("host", HOST, f"{metric}{{{device}}}")] = value * self.noise(0.1)
        return out

    def statement_rows(self) -> Iterator[list[object]]:
        db_slow = np.clip(1 + (self.slow - 1) * 0.5, 1, None) if self.spec.scenario in (
            "db.cpu", "db.query", "db.n_plus_one", "db.io", "db.locks") else np.ones_like(self.x)
        io = self.spec.scenario == "db.io"
        for i, ts in enumerate(self.ts):
            if self.outage[i]:
                continue
            total_other = 0.0
            for st in self.statements:
                calls = sum(self.counts[key][i] * per for key, per in st.calls_per.items()
                            if key != "*")
                calls += st.calls_per.get("*", 0.0) * sum(c[i] for c in self.counts.values())
                calls = round(calls)
                if calls == 0:
                    continue
                mean = st.mean_ms * db_slow[i] * (15.0 if self.spec.scenario == "db.cpu" else 1.0)
                if self.spec.scenario == "db.locks" and st.queryid == HOT_ROW_QUERYID:
                    mean = st.mean_ms + 200 * self.sat[i] ** 4
                total = calls * mean * float(self.rng.uniform(0.9, 1.1))
                total_other += total * 0.02
                blocks = int(calls * max(st.rows, 1) * 3)
                read = int(blocks * (0.2 if io else 0.003))
                yield [f"{ts + 0.5:.3f}", "db", st.queryid, calls, f"{total:.3f}",
                       int(calls * st.rows), blocks - read, read, 0,
                       f"{total * (0.6 if io else 0.01):.3f}"]
            yield [f"{ts + 0.5:.3f}", "db", "other", 50, f"{total_other:.3f}", 60, 400, 2, 0,
                   "0.01"]

    def table_rows(self) -> Iterator[list[object]]:
        seq_list = self.spec.scenario == "db.query"
        for i, ts in enumerate(self.ts):
            if self.outage[i]:
                continue
            calls: dict[str, float] = {}
            for st in self.statements:
                per_table = sum(self.counts[key][i] * per for key, per in st.calls_per.items()
                                if key != "*")
                per_table += st.calls_per.get("*", 0.0) * sum(c[i] for c in self.counts.values())
                calls[st.table] = calls.get(st.table, 0.0) + per_table
            list_calls = int(self.counts["/sppd GET"][i] + self.counts["/dashboard GET"][i])
            for table, rows in LIVE_ROWS.items():
                seq = list_calls if (seq_list and table == "sppd") else (
                    int(calls.get(table, 0)) if rows < 1000 else 0)
                idx = int(calls.get(table, 0)) - (list_calls if seq_list and table == "sppd"
                                                 else 0)
                if rows < 1000:
                    idx = 0
                # Fresh planner statistics: 1% of the rows changed since ANALYZE.
                yield [f"{ts + 0.5:.3f}", "db", table, seq, seq * rows, max(idx, 0), rows,
                       rows // 100, 0, 1]

    def blocker_rows(self) -> Iterator[list[object]]:
        """The hot row's contention: each second another app session holds the counter
        row that the waiting ones want (many short holders, the app's own)."""
        waiting = self._metric_series()[("postgres", "db", "db.locks.ungranted")]
        hot_row = next(st.text for st in self.statements if st.queryid == HOT_ROW_QUERYID)
        for i, ts in enumerate(self.ts):
            if waiting[i] >= 1:
                yield [f"{ts + 0.5:.3f}", "db", 5000 + i, "esppd", "local", "esppd", "active",
                       0.3, int(waiting[i]), False, hot_row]


    def process_rows(self) -> Iterator[list[object]]:
        """One process per group each second, with its group's CPU and memory."""
        series = self._metric_series()
        commands = {"app": "esppd-app", "postgres": "postgres", "queue": "esppd-queue",
                    "redis": "redis-server", "locust": "python3 -m locust",
                    "other": "backup.sh"}
        for i, ts in enumerate(self.ts):
            for pid, (group, command) in enumerate(commands.items(), 100):
                cpu = series.get(("host", HOST, f"proc.cpu{{{group}}}"))
                yield [f"{ts + 0.5:.3f}", HOST, pid, command, group,
                       f"{cpu[i] if cpu is not None else 0.0:.4f}",
                       f"{series[('host', HOST, f'proc.rss{{{group}}}')][i]:.0f}", ""]

    def session_rows(self) -> Iterator[list[object]]:
        """The app's own connections, active and idle."""
        series = self._metric_series()
        total = series[("postgres", "db", "db.connections.total")]
        active = np.minimum(series[("postgres", "db", "db.connections.active")], total)
        for i, ts in enumerate(self.ts):
            if self.outage[i]:
                continue  # the collector waited for an answer that never came
            for state, count in (("active", active[i]), ("idle", total[i] - active[i])):
                yield [f"{ts + 0.5:.3f}", "db", "", "127.0.0.1", "esppd", state,
                       f"{count:.0f}"]


def _write_csv(path: Path, header: list[str], rows: Iterator[list[object]] | object) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)  # type: ignore[arg-type]  # rows of cells of any type


def _write_campaign(out: Path, spec: SyntheticSpec) -> None:
    shape = "CapacityStepShape" if spec.steps else "RampShape"
    (out / CAMPAIGN_FILE).write_text(
        f'name = "synthetic-{spec.scenario}"\n'
        f'description = "synthetic campaign, scenario {spec.scenario}"\n\n'
        f"[load]\nshape = \"{shape}\"\nusers = {spec.users}\nduration_s = {spec.duration_s}\n"
        f"steps = {spec.steps}\n\n"
        '[target]\nkind = "embedded"\nurl = "http://127.0.0.1:8000"\n'
        'dsn = "postgresql://esppd:***@127.0.0.1:5433/esppd"\n\n'
        "[target.knobs]\n# a synthetic campaign has no knobs; the analysis must not read them\n",
        encoding="utf-8")


def _write_events(out: Path, spec: SyntheticSpec, model: _Model) -> None:
    events: list[dict[str, object]] = [{"ts": spec.start_ts - 2, "kind": "stack_start"}]
    for phase in ("warmup", "steady", "peak"):
        where = np.flatnonzero(model.phase == phase)
        if len(where):
            events.append({"ts": float(model.ts[where[0]]), "kind": "phase_start", "phase": phase})
            events.append({"ts": float(model.ts[where[-1]] + 1), "kind": "phase_end",
                           "phase": phase})
    for start in np.concatenate([[0], np.flatnonzero(np.diff(model.target)) + 1]):
        events.append({"ts": float(model.ts[start]), "kind": "users",
                       "target_users": int(model.target[start])})
    if model.outage.any():
        first, last = np.flatnonzero(model.outage)[[0, -1]]
        events += [{"ts": float(model.ts[first] + STALL_AFTER_S), "kind": "collector_stalled",
                    "collector": "postgres", "target": "db", "start": float(model.ts[first]),
                    "message": f"no answer for {STALL_AFTER_S} s"},
                   {"ts": float(model.ts[last] + 1), "kind": "collector_gap",
                    "collector": "postgres", "target": "db", "start": float(model.ts[first]),
                    "end": float(model.ts[last] + 1),
                    "message": f"overrun: sample took {OUTAGE_S * 1000} ms"}]
    ran = float(model.ts[-1] + 1 - model.ts[0])
    events += [{"ts": float(model.ts[0]), "kind": "load_start", "planned_s": ran, "workers": 1},
               {"ts": float(model.ts[-1] + 1), "kind": "load_stop", "reason": "completed",
                "elapsed_s": ran},
               {"ts": float(model.ts[-1] + 1), "kind": "stack_stop"}]
    events.sort(key=lambda e: float(e["ts"]))  # type: ignore[arg-type]  # ts is a number
    with (out / EVENTS_FILE).open("w", encoding="utf-8") as handle:
        for event in events:
            handle.write(json.dumps(event) + "\n")
