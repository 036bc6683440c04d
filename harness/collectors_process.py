"""The collectors, run as their own process through their standalone CLI.

Why a process: the runner hosts the Locust master (gevent); samplers must
tick on the wall clock whatever that event loop is doing. Connection strings
reach the child through its environment, never its command line (`ps` shows
argv to every user of the machine).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from harness.config import CampaignConfig
from harness.results import ResultsDir
from reference_app.settings import QUEUE_PREFIX, QUEUES
from supervision import spawn, stop_process

if TYPE_CHECKING:
    from reference_app.stack import EmbeddedStack

ENV_POSTGRES = "ESPPD_COLLECT_POSTGRES"
ENV_REDIS = "ESPPD_COLLECT_REDIS"
ENV_QUEUE_REDIS = "ESPPD_COLLECT_QUEUE_REDIS"


class CollectorsProcess:
    def __init__(self, config: CampaignConfig, results: ResultsDir,
                 stack: EmbeddedStack | None) -> None:
        self.config = config
        self.results = results
        self.stack = stack
        self.available = importlib.util.find_spec("collectors.__main__") is not None
        self._process: subprocess.Popen[bytes] | None = None

    def _resolve(self, value: str | None, embedded: str) -> str | None:
        return embedded if value == "embedded" else value

    def command(self) -> tuple[list[str], dict[str, str]]:
        interval = min((c.interval for c in self.config.collectors), default=1.0)
        argv = [sys.executable, "-m", "collectors", "--out", str(self.results.path),
                "--duration", str(24 * 3600), "--interval", str(interval)]
        ports = {port for c in self.config.collectors if c.type == "host" for port in c.ports}
        if self.stack is not None:
            ports.add(self.stack.app_port)
            ports |= set(self.stack.backend_ports())
        if ports:
            argv += ["--ports", ",".join(map(str, sorted(ports)))]
        env = dict(os.environ)
        for collector in self.config.collectors:
            if collector.type == "host" and collector.ssh:
                argv += ["--ssh", collector.ssh]
                if collector.key:
                    argv += ["--key", str(collector.key)]
                if collector.known_hosts:
                    argv += ["--known-hosts", str(collector.known_hosts)]
                if collector.trust_new_host_key:
                    argv += ["--trust-new-host-key"]
            elif collector.type == "postgres":
                if collector.dsn == "embedded" and self.stack is not None and \
                        self.stack.config.db != "postgresql":
                    continue  # see check(): the embedded database is not PostgreSQL
                env[ENV_POSTGRES] = self._resolve(
                    collector.dsn, self.stack.monitor_dsn if self.stack else "") or ""
                argv += ["--postgres", f"env:{ENV_POSTGRES}"]
            elif collector.type == "redis":
                env[ENV_REDIS] = self._resolve(
                    collector.url, self.stack.redis_url if self.stack else "") or ""
                argv += ["--redis", f"env:{ENV_REDIS}"]
                if collector.queue_url:
                    env[ENV_QUEUE_REDIS] = self._resolve(
                        collector.queue_url,
                        self.stack.queue_redis_url if self.stack else "") or ""
                    argv += ["--queue-redis", f"env:{ENV_QUEUE_REDIS}"]
                queues = list(collector.queues)
                if self.stack is not None and collector.queue_url == "embedded":
                    queues += [f"{QUEUE_PREFIX}queues:{name}" for name in QUEUES]
                if queues:
                    argv += ["--queues", ",".join(queues)]
            elif collector.type == "app_status":
                argv += self._status_pages(collector.url)
        return argv, env

    def _status_pages(self, url: str | None) -> list[str]:
        """The status page flags: the embedded app's own pages, or the URL as given."""
        if url != "embedded":
            return ["--app-status", url or ""]
        if self.stack is None:
            return []
        flags = {"app_status": "--app-status", "fpm_status": "--fpm-status",
                 "nginx_status": "--nginx-status"}
        return [part for name, page in self.stack.runtime.status_urls().items()
                for part in (flags[name], page)]

    def check(self) -> list[str]:
        """Warnings (not failures): a campaign without collectors still measures latency."""
        if not self.available:
            return ["collectors are not installed: the report will lack resource signals"]
        if self.stack is not None and self.stack.config.db != "postgresql" and any(
                c.type == "postgres" and c.dsn == "embedded" for c in self.config.collectors):
            return [f"no collector reads {self.stack.config.db} yet: the report will lack "
                    "database statements and waits (the host collector still sees its CPU)"]
        return []

    def start(self) -> None:
        if not self.available:
            return
        argv, env = self.command()
        self._process = spawn(argv, self.results.logs / "collectors.log", env=env)
        time.sleep(0.2)

    def stop(self) -> None:
        # SIGINT: the CLI's Ctrl-C path flushes and closes its files.
        stop_process(self._process, signal.SIGINT, grace=15)
        self._process = None
