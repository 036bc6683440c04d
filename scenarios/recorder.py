"""The recorder: Locust events -> requests.csv, errors.csv, users.csv, metrics.csv, events.jsonl.

Where it runs:
- on workers (and in local mode) it aggregates every request per second and
  ships the buckets with Locust's own stats reports (report_to_master);
- on the master (and in local mode) it merges them and, once a second can no
  longer receive reports (HOLD_S after its end), writes its rows; each second
  it also writes users per class, the phase, the generators' CPU, and
  broadcasts the current phase's role activity to the workers.
Without --results-dir it records nothing, so `locust -f` works as usual.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from scenarios.aggregate import (
    HOLD_S_DISTRIBUTED,
    HOLD_S_LOCAL,
    INTERVAL_KEY,
    NOT_PAGES,
    Aggregator,
    RecentSeconds,
)
from scenarios.arrivals import Arrivals
from scenarios.sink import AppendCsv, AppendJsonl

REQUEST_HEADER = ("ts", "name", "method", "count", "failures", "sum_ms", "max_ms", "hist",
                  "hist_missed")
ERROR_HEADER = ("ts", "name", "method", "error", "count")
USER_HEADER = ("ts", "phase", "target_users", "user_class", "users")
METRIC_HEADER = ("ts", "collector", "target", "metric", "value")
PHASE_MESSAGE = "esppd_phase"
REPORT_KEY = "esppd_requests"
VISITS_KEY = "esppd_visits"


@dataclass
class RecorderFiles:
    requests: AppendCsv
    errors: AppendCsv
    users: AppendCsv
    metrics: AppendCsv
    events: AppendJsonl

    @classmethod
    def open(cls, directory: Path) -> RecorderFiles:
        directory.mkdir(parents=True, exist_ok=True)
        return cls(AppendCsv(directory / "requests.csv", REQUEST_HEADER),
                   AppendCsv(directory / "errors.csv", ERROR_HEADER),
                   AppendCsv(directory / "users.csv", USER_HEADER),
                   AppendCsv(directory / "metrics.csv", METRIC_HEADER),
                   AppendJsonl(directory / "events.jsonl"))

    def close(self) -> None:
        for sink in (self.requests, self.errors, self.users, self.metrics, self.events):
            sink.close()


@dataclass
class Recorder:
    environment: Environment
    files: RecorderFiles | None
    aggregator: Aggregator = field(default_factory=Aggregator)
    recent: RecentSeconds = field(default_factory=RecentSeconds)  # for the progress line
    phase: str = ""
    target_users: int = 0
    visits: dict[str, dict[str, int]] = field(default_factory=dict)  # per worker, open model
    _writer: gevent.Greenlet | None = None

    @property
    def distributed_master(self) -> bool:
        return isinstance(self.environment.runner, MasterRunner)

    # --- every node that runs users -------------------------------------------------------
    def on_request(self, request_type: str, name: str, response_time: float,
                   exception: BaseException | None = None, context: dict[str, Any] | None = None,
                   **_kwargs: Any) -> None:
        error = None if exception is None else (str(exception) or type(exception).__name__)
        interval = (context or {}).get(INTERVAL_KEY) if request_type not in NOT_PAGES else None
        self.aggregator.add(int(time.time()), name, request_type, float(response_time), error,
                            float(interval) if interval else None)

    def on_report_to_master(self, client_id: str, data: dict[str, Any]) -> None:
        data[REPORT_KEY] = self.aggregator.export()
        arrivals = getattr(self.environment, "esppd_arrivals", None)
        if arrivals is not None:
            data[VISITS_KEY] = arrivals.in_visit()

    # --- master / local ---------------------------------------------------------------------
    def on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        if REPORT_KEY in data:
            self.aggregator.merge(data[REPORT_KEY])
        if VISITS_KEY in data:
            self.visits[client_id] = data[VISITS_KEY]

    def start(self) -> None:
        if self._writer is None:
            self._writer = gevent.spawn(self._every_second)

    def _every_second(self) -> None:
        while True:
            now = time.time()
            gevent.sleep(1 - now % 1 + 0.01)  # just after each whole second
            self.broadcast_stage()
            if self.files is not None:
                self.tick(int(time.time()))

    def tick(self, now_second: int) -> None:
        """Write what is complete at `now_second`: rows, users, CPU, phase changes."""
        assert self.files is not None
        hold = HOLD_S_DISTRIBUTED if self.distributed_master else HOLD_S_LOCAL
        request_rows, error_rows = self.aggregator.drain(now_second - hold)
        self.recent.add(request_rows, now_second - hold)
        self.files.requests.write(request_rows)
        self.files.errors.write(error_rows)
        self._write_users_and_phase(now_second - 1)
        self._write_loadgen_cpu(now_second - 1)

    def _write_users_and_phase(self, second: int) -> None:
        assert self.files is not None
        runner = self.environment.runner
        if runner is None:
            return
        stage = getattr(self.environment.shape_class, "stage", None)
        phase = stage.phase if stage is not None else ("run" if runner.user_count else "idle")
        target = stage.users if stage is not None else int(runner.target_user_count or 0)
        if phase != self.phase:
            if self.phase:
                self.files.events.write({"ts": float(second), "kind": "phase_end",
                                         "phase": self.phase})
            planned = {"arrivals_per_s": stage.arrivals_per_s} if (
                stage is not None and stage.arrivals_per_s > 0) else {}
            self.files.events.write({"ts": float(second), "kind": "phase_start",
                                     "phase": phase, **planned})
            self.phase = phase
        if target != self.target_users:
            self.files.events.write({"ts": float(second), "kind": "users",
                                     "target_users": target})
            self.target_users = target
        open_model = stage is not None and stage.arrivals_per_s > 0
        counts = self._visit_counts() if open_model else self._class_counts()
        self.files.users.write([second, phase, target, name, count]
                               for name, count in sorted(counts.items()))

    def _class_counts(self) -> dict[str, int]:
        runner = self.environment.runner
        names = [cls.__name__ for cls in self.environment.user_classes]
        counts = dict.fromkeys(names, 0)
        if isinstance(runner, MasterRunner):
            for worker in runner.clients.values():
                for name, count in (worker.user_classes_count or {}).items():
                    counts[name] = counts.get(name, 0) + count
        elif runner is not None:
            counts.update(runner.user_classes_count)
        return counts

    def _visit_counts(self) -> dict[str, int]:
        """Open model: visits in flight per class (the visitor pool is only a ceiling)."""
        counts = dict.fromkeys((cls.__name__ for cls in self.environment.user_classes), 0)
        runner = self.environment.runner
        reports = ([self.visits.get(client, {}) for client in runner.clients]
                   if isinstance(runner, MasterRunner)
                   else [Arrivals.of(self.environment).in_visit()])
        for report in reports:
            for name, count in report.items():
                counts[name] = counts.get(name, 0) + int(count)
        return counts

    def broadcast_stage(self) -> None:
        """Each second: the stage's role activity and, in the open model, what every
        process needs to compute its arrivals (run start, classes, worker count), to
        the workers or to this local process."""
        runner = self.environment.runner
        shape = self.environment.shape_class
        stage = getattr(shape, "stage", None)
        if stage is None or runner is None or shape is None:
            return
        message: dict[str, Any] = {"phase": stage.phase, "activity": stage.activity}
        if stage.arrivals_per_s > 0:
            message["arrivals"] = {
                "started_at": round(time.time() - shape.get_run_time(), 1),
                "classes": getattr(shape, "arrival_classes", {}),
                "workers": runner.worker_count if isinstance(runner, MasterRunner) else 1}
        if isinstance(runner, MasterRunner):
            runner.send_message(PHASE_MESSAGE, message)
        else:
            apply_stage(self.environment, message)

    def _write_loadgen_cpu(self, second: int) -> None:
        """Locust's own CPU readings (percent of one core) as cores per generator process."""
        assert self.files is not None
        runner = self.environment.runner
        rows = []
        if isinstance(runner, MasterRunner):
            for worker in runner.clients.values():
                index = runner.get_worker_index(worker.id)
                rows.append([second, "loadgen", f"worker-{index}",
                             f"loadgen.cpu{{worker-{index}}}", worker.cpu_usage / 100])
            rows.append([second, "loadgen", "master", "loadgen.cpu{master}",
                         runner.current_cpu_usage / 100])
        elif runner is not None:
            rows.append([second, "loadgen", "local", "loadgen.cpu{local}",
                         runner.current_cpu_usage / 100])
        self.files.metrics.write(rows)

    def write_event(self, kind: str, **details: Any) -> None:
        if self.files is not None:
            self.files.events.write({"ts": time.time(), "kind": kind, **details})

    def flush_all(self) -> None:
        """On quit: everything that is left, whatever its age."""
        if self.files is None:
            return
        if self._writer is not None:
            self._writer.kill(block=False)
            self._writer = None
        request_rows, error_rows = self.aggregator.drain(2**62)
        self.files.requests.write(request_rows)
        self.files.errors.write(error_rows)
        if self.phase:
            self.files.events.write({"ts": time.time(), "kind": "phase_end", "phase": self.phase})
            self.phase = ""


def set_activity(environment: Environment, activity: dict[str, float]) -> None:
    """Per-role activity of the current phase, read by users for their think time."""
    environment.esppd_activity = dict(activity)  # type: ignore[attr-defined]  # ours: Locust has no slot


def apply_stage(environment: Environment, message: dict[str, Any]) -> None:
    """The broadcast stage on a process that runs users: activity, arrival rates."""
    set_activity(environment, message["activity"])
    arrivals = message.get("arrivals")
    if arrivals:
        Arrivals.of(environment).follow(
            float(arrivals["started_at"]), {name: (float(weight), str(role)) for name, (
                weight, role) in arrivals["classes"].items()}, int(arrivals["workers"]))


def install(environment: Environment, results_dir: str | None) -> Recorder:
    """Wire the recorder into this node's Locust events (called from the init event)."""
    runner = environment.runner
    is_worker = isinstance(runner, WorkerRunner)
    files = RecorderFiles.open(Path(results_dir)) if results_dir and not is_worker else None
    recorder = Recorder(environment, files)
    events = environment.events
    if is_worker:
        events.request.add_listener(recorder.on_request)
        events.report_to_master.add_listener(recorder.on_report_to_master)
        if runner is not None:
            runner.register_message(PHASE_MESSAGE, lambda msg, **_kw: apply_stage(
                environment, msg.data))
        return recorder
    events.test_start.add_listener(lambda **_kw: recorder.start())  # the stage, always
    if files is None:
        return recorder
    if isinstance(runner, MasterRunner):
        events.worker_report.add_listener(recorder.on_worker_report)
    else:
        events.request.add_listener(recorder.on_request)
    events.quitting.add_listener(lambda **_kw: recorder.flush_all())
    return recorder
