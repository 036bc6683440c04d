"""The collectors, run as their own process through their standalone CLI.

Why a process: the runner hosts the Locust master (gevent); samplers must
tick on the wall clock whatever that event loop is doing. Connection strings
reach the child through its environment, never its command line (`ps` shows
argv to every user of the machine).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

from harness.config import CampaignConfig, CollectorConfig
from harness.results import ResultsDir
from reference_app.settings import QUEUE_PREFIX, QUEUES
from supervision import spawn, stop_process

if TYPE_CHECKING:
    from reference_app.stack import EmbeddedStack

ENV_SPEC = "ESPPD_COLLECTORS_SPEC"
log = logging.getLogger(__name__)


class CollectorsProcess:
    def __init__(self, config: CampaignConfig, results: ResultsDir | None,
                 stack: EmbeddedStack | None) -> None:
        self.config = config
        self.results = results
        self.stack = stack
        self.available = importlib.util.find_spec("collectors.__main__") is not None
        self._process: subprocess.Popen[bytes] | None = None

    def specs(self) -> list[dict[str, Any]]:
        """One spec per configured collector, with its own settings, `embedded` resolved."""
        return [self._spec(collector) for collector in self.config.collectors]

    def _spec(self, collector: CollectorConfig) -> dict[str, Any]:
        stack = self.stack
        spec: dict[str, Any] = {"type": collector.type, "interval": collector.interval}
        if collector.type == "host":
            ports = set(collector.ports)
            if stack is not None and collector.ssh is None:
                ports |= {stack.app_port, *stack.backend_ports()}
            spec.update(ssh=collector.ssh, ports=sorted(ports),
                        key=str(collector.key) if collector.key else None,
                        known_hosts=str(collector.known_hosts) if collector.known_hosts
                        else None, trust_new_host_key=collector.trust_new_host_key)
        elif collector.type in ("postgres", "mysql"):
            spec["dsn"] = stack.monitor_dsn if stack and collector.dsn == "embedded" \
                else collector.dsn
        elif collector.type == "redis":
            spec.update(url=stack.redis_url if stack and collector.url == "embedded"
                        else collector.url,
                        queue_url=stack.queue_redis_url
                        if stack and collector.queue_url == "embedded" else collector.queue_url,
                        queues=[*collector.queues,
                                *([f"{QUEUE_PREFIX}queues:{name}" for name in QUEUES]
                                  if stack and collector.queue_url == "embedded" else [])])
        elif collector.type == "app_status":
            spec.update(url=collector.url, max_children=collector.max_children)
        elif collector.type == "log":
            # The embedded stack's logs are on this machine.
            embedded = stack.log_files() if stack and collector.ssh is None else []
            spec.update(ssh=collector.ssh, key=str(collector.key) if collector.key else None,
                        known_hosts=str(collector.known_hosts) if collector.known_hosts
                        else None, trust_new_host_key=collector.trust_new_host_key,
                        paths=[path for entry in collector.paths for path in (
                            embedded if entry == "embedded" else [entry])])
        return {key: value for key, value in spec.items() if value is not None}

    def expanded_specs(self) -> list[dict[str, Any]]:
        """The specs, with the embedded app's status pages as one spec each."""
        specs: list[dict[str, Any]] = []
        for spec in self.specs():
            if spec["type"] == "app_status" and spec["url"] == "embedded":
                specs += self._embedded_status_pages(spec)
            else:
                specs.append(spec)
        return specs

    def command(self) -> tuple[list[str], dict[str, str]]:
        """The CLI and its environment: every collector in one spec, in the environment
        (it holds DSNs), never on the command line."""
        if self.results is None:
            raise ValueError("the collectors process needs a results directory")
        argv = [sys.executable, "-m", "collectors", "--out", str(self.results.path),
                "--duration", str(24 * 3600), "--no-host", "--spec", f"env:{ENV_SPEC}"]
        return argv, {**os.environ, ENV_SPEC: json.dumps(self.expanded_specs())}

    def _embedded_status_pages(self, spec: dict[str, Any]) -> list[dict[str, Any]]:
        if self.stack is None:
            return []
        pages = [{**spec, "url": url} for url in self.stack.runtime.status_urls().values()]
        if self.stack.config.app == "laravel":
            # The embedded pool is the shipped one with this pm.max_children.
            for page in pages:
                page["max_children"] = self.stack.config.knobs.pm_max_children
        return pages

    def check(self) -> list[str]:
        """Pre-flight of every collector, here, before the load: connect and check
        permissions, extensions and host keys. One line per problem, naming the collector
        (what it reads, never a secret) and the fix."""
        if not self.available:
            return ["collectors are not installed: install the project's collectors package"]
        from collectors.sampler import scrub
        from collectors.spec import CollectorSpec, SpecError, build_all

        try:
            specs = [CollectorSpec.parse(index, item)
                     for index, item in enumerate(self.expanded_specs())]
            collectors, _intervals, secrets = build_all(specs)
        except SpecError as error:
            return [f"collectors: {error}"]
        problems = []
        for collector in collectors:
            try:
                found = collector.check()
            except Exception as error:  # noqa: BLE001  # report any failure as one line
                found = [f"{type(error).__name__}: {error}"]
            finally:
                collector.close()
            problems += [f"collector {collector.name} ({collector.target}): "
                         f"{scrub(problem, secrets)}" for problem in found]
        return problems

    def start(self) -> None:
        if not self.available or self.results is None:
            return
        argv, env = self.command()
        self._process = spawn(argv, self.results.logs / "collectors.log", env=env)
        self._wait_for_first_sample()

    def _wait_for_first_sample(self, timeout: float = 10.0) -> None:
        """Until the process has written a sample (or exited): the load then starts with the
        server side already measured. Not fatal: a slow collector only delays its rows."""
        assert self.results is not None and self._process is not None
        metrics = self.results.path / "metrics.csv"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._process.poll() is None:
            if metrics.exists() and metrics.stat().st_size > len("ts,collector,target,"):
                return
            time.sleep(0.05)
        log.warning("[collectors] no sample within %.0f s; see %s", timeout,
                    self.results.logs / "collectors.log")

    def stop(self) -> None:
        # SIGINT: the CLI's Ctrl-C path flushes and closes its files.
        stop_process(self._process, signal.SIGINT, grace=15)
        self._process = None
