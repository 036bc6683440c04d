"""Locust master in this process; workers as local processes (remote_workers.py: over SSH).

Why in-process: the runner reads the live stats for its progress line and
learns at once when a worker joins (Locust's worker_connect event), goes missing
or leaves, and when the shape has run its course (test_stop). Importing this module imports
Locust, which monkey-patches the process for gevent, so the runner imports it
only once config and pre-flight have passed, and keeps collectors in their own
process (their timing must not depend on this event loop).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import gevent
import gevent.event
from flask import Response, request
from locust import events
from locust.argument_parser import get_parser
from locust.env import Environment
from locust.html import get_html_report
from locust.runners import STATE_STOPPED, STATE_STOPPING, WORKER_REPORT_INTERVAL, MasterRunner
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter, stats_history

from harness.config import LoadConfig
from harness.locustfiles import locustfile_paths
from harness.progress import LiveStats
from harness.user_classes import LoadedClasses, load_classes
from supervision import free_port, spawn, stop_process

EventSink = Callable[..., None]


class LoadGenerator:
    def __init__(self, load: LoadConfig, locust_args: list[str], locust_dir: Path,
                 log_dir: Path, on_event: EventSink, bind_host: str = "127.0.0.1") -> None:
        self.load = load
        self.locustfile = ",".join(str(path) for path in locustfile_paths(load))  # -f
        self.locust_args = locust_args
        self.locust_dir = locust_dir
        self.log_dir = log_dir
        self.on_event = on_event
        self.bind_host = bind_host
        self.port = free_port()
        self.env: Environment | None = None
        self.runner: MasterRunner | None = None
        self._workers: list[subprocess.Popen[bytes]] = []
        self._greenlets: list[gevent.Greenlet] = []
        self._loss_watch: gevent.Greenlet | None = None
        self._present: set[str] = set()   # joined, neither missing nor gone
        self._stopped = gevent.event.Event()

    def start_master(self) -> LoadedClasses:
        """Load the locustfiles (ValueError: what is wrong with them), start the master."""
        classes = load_classes(self.load)
        options = get_parser().parse_args(args=["-f", self.locustfile, *self.locust_args])
        self.env = Environment(
            user_classes=list(classes.selected.values()), shape_class=classes.shape,
            events=events, host=options.host, parsed_options=options,
            locustfile=self.locustfile,
            # Locust annotates this as instances; it holds the classes (as locust.main does).
            available_user_classes=classes.available,  # type: ignore[arg-type]
            available_shape_classes={type(classes.shape).__name__: classes.shape},
            stop_timeout=options.stop_timeout)
        self.runner = self.env.create_master_runner(self.bind_host, self.port)
        events.worker_connect.add_listener(self._worker_joined)
        events.test_stop.add_listener(self._test_stopped)
        events.init.fire(environment=self.env, runner=self.runner, web_ui=None)
        writer = StatsCSVFileWriter(self.env, PERCENTILES_TO_REPORT,
                                    str(self.locust_dir / "locust"), full_history=True)
        self._loss_watch = gevent.spawn(self._watch_losses)
        self._greenlets += [gevent.spawn(writer.stats_writer), gevent.spawn(stats_history,
                                                                            self.runner),
                            self._loss_watch]
        return classes

    def start_web_ui(self, host: str, port: int, on_stop: Callable[[], None]) -> None:
        """Locust's web UI over this run: watch it and stop it, never restart or reshape it.

        The campaign's shape drives the users, so starting a new test or resetting
        Locust's stats from the UI is refused (403); Stop ends the run as Ctrl-C does.
        """
        assert self.env is not None
        # The UI re-parses sys.argv as Locust's own command line on every page (its
        # "custom parameters" panel); this process's argv is run_campaign.py's.
        sys.argv = [sys.argv[0], "-f", self.locustfile, *self.locust_args]
        web_ui = self.env.create_web_ui(host, port, delayed_start=True)
        assert web_ui.app is not None

        @web_ui.app.before_request
        def watch_and_stop_only() -> Response | None:
            if request.method == "POST" and request.path.endswith(("/swarm", "/stats/reset")):
                return Response("This campaign's load shape drives the users: watch it "
                                "here, or Stop it.", status=403)
            if request.method == "POST" and request.path.endswith("/stop"):
                on_stop()
            return None

        web_ui.start()

    def start_local_workers(self, count: int) -> None:
        for index in range(1, count + 1):
            self._workers.append(spawn(
                [sys.executable, "-m", "locust", "-f", self.locustfile, "--worker",
                 "--master-host", "127.0.0.1", "--master-port", str(self.port),
                 *self.locust_args],
                self.log_dir / f"locust-worker-{index}.log"))

    def ready_workers(self) -> int:
        assert self.runner is not None
        return self.runner.worker_count

    def wait_for_workers(self, expected: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.ready_workers() < expected:
            if time.monotonic() > deadline:
                return False
            gevent.sleep(0.2)
        return True

    def start_load(self) -> None:
        assert self.runner is not None
        self.runner.start_shape()

    def finished(self) -> bool:
        """True once the shape has run its course (its tick() returned None) and users stopped."""
        return self._stopped.is_set()

    def live(self) -> LiveStats:
        """The last written seconds from the recorder's merged histograms (pages only, as
        the report counts them; one window for rps, p95 and errors)."""
        assert self.runner is not None and self.env is not None
        recorder = self.env.esppd_recorder  # type: ignore[attr-defined]  # ours, not Locust's
        window = recorder.recent.stats()
        return LiveStats(phase=recorder.phase or "starting", users=self.runner.user_count,
                         rps=window.rps, p95_ms=window.p95_ms, error_ratio=window.error_ratio,
                         workers=self.ready_workers(), window_s=window.seconds)

    def _worker_joined(self, client_id: str, **_kwargs: object) -> None:
        self._present.add(client_id)
        self.on_event("worker_joined", worker=client_id)

    def _test_stopped(self, **_kwargs: object) -> None:
        self._stopped.set()

    def _watch_losses(self) -> None:
        """A worker that misses its heartbeats or leaves is an event: data, not a crash.

        Locust has no event for a lost worker: its heartbeat check marks it missing
        (clients.missing) and a worker that quits leaves `clients`. Once the test has
        stopped (the shape ended: headless Locust quits its workers), leaving is the
        normal end, not a loss; missing heartbeats still are.
        """
        assert self.runner is not None
        while True:
            listed = {worker.id for worker in self.runner.clients.values()}
            missing = {worker.id for worker in self.runner.clients.missing}
            left = self._present - listed
            ended = self.runner.state in (STATE_STOPPING, STATE_STOPPED)
            lost = (self._present & missing) | (set() if ended else left)
            for worker_id in sorted(lost):
                self.on_event("worker_lost", worker=worker_id)
            self._present -= lost | left
            gevent.sleep(0.5)

    def stop(self) -> None:
        """Stop users, let the workers' last reports in, quit them, write Locust's HTML report."""
        if self._loss_watch is not None:  # workers leaving now are not lost
            self._loss_watch.kill(block=False)
        if self.env is not None and self.env.web_ui is not None and \
                self.env.web_ui.server is not None:
            self.env.web_ui.stop()
        if self.runner is not None:
            with contextlib.suppress(Exception):  # best effort on the way out
                self.runner.stop()
            if self.runner.clients:
                gevent.sleep(WORKER_REPORT_INTERVAL + 0.5)
            with contextlib.suppress(Exception):
                self.runner.quit()
            if self.env is not None:
                with contextlib.suppress(Exception):
                    (self.locust_dir / "report.html").write_text(
                        get_html_report(self.env), encoding="utf-8")
                events.quitting.fire(environment=self.env, reverse=True)
            with contextlib.suppress(ValueError):  # stop() runs again on teardown
                events.worker_connect.remove_listener(self._worker_joined)
                events.test_stop.remove_listener(self._test_stopped)
        for greenlet in self._greenlets:
            greenlet.kill(block=False)
        for worker in self._workers:
            stop_process(worker, grace=10)
        self._workers.clear()

