"""One campaign, end to end: pre-flight, stack, collectors, load, stop, analysis.

Every stage that starts something registers its teardown on one ExitStack,
so the end, Ctrl-C, SIGTERM or a fatal error all unwind the same way: stop
the load, stop the collectors, flush, stop the stack, then analyze whatever
was recorded. A second Ctrl-C skips the graceful part and tears down at once.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from typing import Any

import gevent

from harness.collectors_process import CollectorsProcess
from harness.config import CampaignConfig, parse_address
from harness.exitcodes import Exit
from harness.loadgen import LoadGenerator
from harness.plan import load_plan
from harness.preflight import (
    PreflightError,
    check_accounts,
    check_embedded_target,
    check_static,
    check_target,
)
from harness.progress import ProgressLine, hottest_resource
from harness.prometheus_export import PrometheusExporter
from harness.remote_workers import RemoteWorkers
from harness.results import ResultsDir
from harness.stopping import StopFlag
from reference_app.seed import SIZES, account_counts
from reference_app.stack import EmbeddedStack, StackConfig
from scenarios.accounts import login_roles
from scenarios.routes import RouteMap
from scenarios.sink import AppendJsonl

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 3.0


def locust_args(config: CampaignConfig, results: ResultsDir, url: str) -> list[str]:
    """The Locust command line shared by the in-process master and every worker."""
    load = config.load
    args = ["--host", url, "--results-dir", str(results.path),
            "--esppd-shape", load.shape, "--esppd-users", str(load.users),
            "--esppd-spawn-rate", str(load.spawn_rate), "--esppd-duration", str(load.duration),
            "--esppd-step-users", str(load.step_users),
            "--esppd-step-duration", str(load.step_duration),
            "--esppd-seconds-per-hour", str(load.seconds_per_hour),
            "--esppd-think-scale", str(load.think_scale),
            "--esppd-arrival-rate", str(load.arrival_rate or 0),
            "--esppd-workers", str(config.distribution.expected_workers),
            "--stop-timeout", "10"]
    target = config.target
    if target.kind == "embedded":
        args += ["--esppd-accounts", ",".join(
            f"{role}={count}" for role, count in account_counts(SIZES[target.size]).items())]
    if target.accounts:
        args += ["--esppd-accounts-csv", str(target.accounts)]
    if target.route_map:
        args += ["--esppd-route-map", str(target.route_map)]
    return args


class Campaign:
    def __init__(self, config: CampaignConfig, results: ResultsDir, quiet: bool = False) -> None:
        self.config = config
        self.results = results
        self.progress = ProgressLine(quiet=quiet)
        self.events = AppendJsonl(results.path / "events.jsonl")
        self.stop = StopFlag()
        self.url = config.target.url or ""

    def event(self, kind: str, **details: Any) -> None:
        self.events.write({"ts": time.time(), "kind": kind, **details})

    def run(self) -> Exit:
        """Run the campaign; returns the load phase's outcome (analysis decides SLOs)."""
        check_static(self.config)
        # Signal handlers run in greenlets of their own: aborting interrupts this one.
        main = gevent.getcurrent()
        self.stop.on_abort = lambda: gevent.kill(main, KeyboardInterrupt)
        with contextlib.ExitStack() as teardown:
            self._install_signals(teardown)
            self._serve_prometheus(teardown)
            remote = self._prepare_remote_workers(teardown)
            if self.config.target.kind == "embedded":
                # The route map's approval levels: the chain the stack is seeded with, and
                # the roles the pre-flight logs in as.
                approvers = RouteMap.load(self.config.target.route_map).approver_roles
                self.url = self._start_stack(teardown, approvers)
                check_embedded_target(self.url, login_roles(approvers))
            else:
                check_target(self.config, self.url)
            collectors = CollectorsProcess(self.config, self.results, self._embedded)
            problems = collectors.check()
            if problems:
                raise PreflightError("\n".join(problems))
            teardown.callback(collectors.stop)
            collectors.start()
            return self._drive_load(teardown, remote)

    def _prepare_remote_workers(self, teardown: contextlib.ExitStack) -> RemoteWorkers | None:
        """Before anything starts: every worker host reachable, Locust matching, uploaded."""
        if not self.config.distribution.hosts:
            return None
        remote = RemoteWorkers(self.config.distribution.hosts, self.results.logs,
                               self.config.load)
        teardown.callback(remote.stop)
        log.info(f"[load] preparing {len(remote.hosts)} worker host(s) over SSH")
        remote.prepare(locust_args(self.config, self.results, self.url))
        return remote

    def _serve_prometheus(self, teardown: contextlib.ExitStack) -> None:
        """First up, last down: a scraper sees the stack start and the final rows."""
        if self.config.live.prometheus is None:
            return
        host, port = parse_address(self.config.live.prometheus)
        exporter = PrometheusExporter(self.results.path, host, port)
        try:
            exporter.start()
        except OSError as error:
            raise PreflightError(f"live.prometheus: cannot listen on {host}:{port}: "
                                 f"{error.strerror or error}") from None
        teardown.callback(exporter.stop)
        log.info(f"[live] Prometheus metrics on http://{host}:{port}/metrics")

    _embedded: EmbeddedStack | None = None

    def _start_stack(self, teardown: contextlib.ExitStack, chain: tuple[str, ...]) -> str:
        target = self.config.target
        stack = EmbeddedStack(StackConfig(app=target.app, db=target.db, size=target.size,
                                          knobs=target.knob_values, log_dir=self.results.logs,
                                          approval_chain=chain),
                              progress=lambda text: log.info(f"[stack] {text}"))
        teardown.callback(self._stop_stack, stack)
        stack.start()
        self._embedded = stack
        self.event("stack_start", url=stack.url, app=target.app, db=target.db, size=target.size,
                   seed_s=round(stack.seed_report.seconds, 2) if stack.seed_report else None)
        return stack.url

    def _stop_stack(self, stack: EmbeddedStack) -> None:
        log.info("[stack] stopping")
        stack.stop()
        self.event("stack_stop")

    def _install_signals(self, teardown: contextlib.ExitStack) -> None:
        def on_signal(name: str) -> None:
            if self.stop.requested:
                log.warning(f"[campaign] {name} again: tearing down now")
            elif not self.stop.graceful:
                log.warning(f"[campaign] {name} before the load began: tearing down now")
            else:
                log.warning(f"[campaign] {name}: stopping the load gracefully (again to "
                            "abort at once)")
            self.stop.trigger(name)

        handlers = [gevent.signal_handler(signal.SIGINT, on_signal, "Ctrl-C"),
                    gevent.signal_handler(signal.SIGTERM, on_signal, "SIGTERM")]
        teardown.callback(lambda: [handler.cancel() for handler in handlers])

    def _stop_from_web_ui(self) -> None:
        log.warning("[campaign] Stop pressed in the web UI: stopping the load")
        self.stop.trigger("the web UI's Stop button")

    def _drive_load(self, teardown: contextlib.ExitStack, remote: RemoteWorkers | None) -> Exit:
        args = locust_args(self.config, self.results, self.url)
        total = load_plan(self.config).duration_s
        distribution = self.config.distribution
        generator = LoadGenerator(self.config.load, args, self.results.locust, self.results.logs,
                                  self.event, bind_host=distribution.master_host
                                  if distribution.hosts else "127.0.0.1")
        teardown.callback(generator.stop)
        try:
            classes = generator.start_master()
        except ValueError as error:
            raise PreflightError(str(error)) from None
        check_accounts(self.config, classes.selected.values())
        if self.config.live.web is not None:
            host, port = parse_address(self.config.live.web)
            generator.start_web_ui(host, port, on_stop=self._stop_from_web_ui)
            log.info(f"[live] Locust's web UI on http://{host}:{port}/ (watch, stop)")
        generator.start_local_workers(distribution.workers)
        if remote is not None:
            remote.start(distribution.master_host, generator.port, args)
        expected = self.config.distribution.expected_workers
        log.info(f"[load] waiting for {expected} worker(s)")
        if not generator.wait_for_workers(expected, self.config.distribution
                                          .expect_workers_timeout):
            raise PreflightError(f"only {generator.ready_workers()} of {expected} Locust "
                                 f"workers connected within "
                                 f"{self.config.distribution.expect_workers_timeout:.0f} s; "
                                 f"see {self.results.logs}/locust-worker-*.log")
        started = time.time()
        self.stop.graceful = True
        self.event("load_start", planned_s=total, workers=expected)
        generator.start_load()
        deadline = started + total + 60
        last_progress = 0.0
        while not self.stop.requested:
            gevent.sleep(0.5)
            now = time.time()
            if generator.finished() and now - started > 2:
                break
            if now > deadline:
                log.info("[load] the shape overran its plan by 60 s; stopping")
                break
            if now - last_progress >= PROGRESS_EVERY_S:
                last_progress = now
                self.progress.show(
                    generator.live(), elapsed=now - started, total=total,
                    hottest=hottest_resource(self.results.path / "metrics.csv", now - 10))
        log.info("[load] stopping")
        generator.stop()
        self.event("load_stop", reason=self.stop.reason or "completed",
                   elapsed_s=round(time.time() - started, 1))
        return Exit.ABORTED if self.stop.requested else Exit.OK

