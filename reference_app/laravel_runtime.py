"""The Laravel reference app on the embedded stack: a release, PHP-FPM, nginx, queue workers.

Like a deployment: the app is copied into a release directory, Composer builds
its autoloader (offline: the framework comes from Debian), `.env` is written,
`artisan migrate` builds the schema, the seed generator loads the data, the
config/route/view caches are built, then PHP-FPM, nginx and the `queue:work`
processes start from the shipped files in deploy/.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from reference_app import deployment
from reference_app.seed import MySQLLoader, PostgresLoader, SeedReport, load_rows
from reference_app.stack_config import Progress, StackServices
from supervision import (
    Program,
    RunAs,
    ServiceError,
    Supervisor,
    chown_tree,
    find_binary,
    free_port,
    run_as_unprivileged,
)
from supervision.servers import MariaDBServer, NginxServer, PhpFpmServer

SOURCE = Path(__file__).resolve().parent / "laravel"
# Written at deploy time, never copied from the source tree.
RUNTIME_ONLY = ("vendor", "storage", ".env", "cache")
STORAGE_DIRS = ("app", "framework/cache", "framework/sessions", "framework/views", "logs")
# The tables the seed loads, for MariaDB's ANALYZE TABLE.
SEEDED_TABLES = ("unit_kerja", "users", "transportasi", "tujuan", "pagu", "role_permissions",
                 "nomor_counter", "approval_levels", "sppd", "laporan_perjalanan",
                 "approval_logs")


class LaravelRuntime:
    app = "laravel"

    def __init__(self, services: StackServices, progress: Progress) -> None:
        self.services = services
        self.progress = progress
        self.account: RunAs | None = run_as_unprivileged("www-data")
        self.release = services.tmp / "laravel"
        self.storage_dir = self.release / "storage" / "app"
        self.port = 0
        self.fpm_port = 0
        self.seed_report: SeedReport | None = None
        self._fpm: PhpFpmServer | None = None
        self._nginx: NginxServer | None = None
        self._queue: Supervisor | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def backend_ports(self) -> list[int]:
        return [self.fpm_port]

    @property
    def statement_log(self) -> Path | None:
        """Where the app counts each request's and job's statements (StackConfig)."""
        return (self.release / "storage" / "logs" / "statements.log"
                if self.services.config.statement_log else None)

    def status_urls(self) -> dict[str, str]:
        return {"fpm_status": f"{self.url}/fpm-status",
                "nginx_status": f"{self.url}/nginx-status"}

    def log_names(self) -> list[str]:
        """Its logs in the stack's log folder: PHP-FPM's master log (where the app's
        stderr channel writes, catch_workers_output), PHP's error_log, PHP-FPM's slowlog
        (where a request of 5 s or more was), nginx's errors, the queue workers'."""
        return ["php-fpm.log", "php-fpm-app.log", "php-fpm-slow.log", "nginx-error.log",
                "esppd-worker-*.log"]

    # -- deploy -----------------------------------------------------------------------

    def seed(self) -> None:
        """Deploy the release, migrate, and load the seed rows."""
        self.port, self.fpm_port = free_port(), free_port()
        self.progress("deploying the Laravel release")
        self._deploy()
        self.progress("migrating")
        self.artisan("migrate", "--force", "--no-interaction")
        config = self.services.config
        self.progress(f"seeding ({config.size})")
        database = self.services.database
        if isinstance(database, MariaDBServer):
            with database.connect() as conn:
                self.seed_report = load_rows(MySQLLoader(conn), config.size,
                                             bcrypt_rounds=config.knobs.bcrypt_rounds,
                                             approval_chain=config.approval_chain)
                conn.commit()
                with conn.cursor() as cur:
                    cur.execute(f"ANALYZE TABLE {', '.join(SEEDED_TABLES)}")
        else:
            with psycopg.connect(database.dsn) as conn:
                self.seed_report = load_rows(PostgresLoader(conn), config.size,
                                             bcrypt_rounds=config.knobs.bcrypt_rounds,
                                             approval_chain=config.approval_chain)
                conn.commit()
                conn.autocommit = True
                conn.execute("VACUUM ANALYZE")

    def _deploy(self) -> None:
        shutil.copytree(SOURCE, self.release,
                        ignore=lambda _dir, names: [n for n in names if n in RUNTIME_ONLY])
        (self.release / "bootstrap" / "cache").mkdir(exist_ok=True)
        for directory in STORAGE_DIRS:
            (self.release / "storage" / directory).mkdir(parents=True, exist_ok=True)
        composer = subprocess.run(
            [find_binary("composer"), "dump-autoload", "--optimize", "--no-interaction",
             "--quiet"], cwd=self.release, capture_output=True, text=True, check=False,
            env={**os.environ, "COMPOSER_ALLOW_SUPERUSER": "1"})
        if composer.returncode != 0:
            raise ServiceError(f"composer dump-autoload failed: {composer.stderr[-500:]}")
        env = self.release / ".env"
        env.write_text(self._dotenv())
        env.chmod(0o600)
        # The app account reads the code and owns what it writes; nobody else reads .env.
        os.chmod(self.services.tmp, 0o755)
        for path in (self.release / "storage", self.release / "bootstrap" / "cache", env):
            chown_tree(path, self.account)

    def _dotenv(self) -> str:
        config = self.services.config
        knobs = config.knobs
        database = self.services.database
        mysql = isinstance(database, MariaDBServer)
        parts = urlsplit(database.dsn)
        values = {
            "APP_NAME": "eSPPD", "APP_ENV": "production", "APP_DEBUG": "false",
            "APP_KEY": "base64:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "APP_URL": self.url, "LOG_CHANNEL": "stderr", "LOG_LEVEL": "warning",
            "DB_CONNECTION": "mysql" if mysql else "pgsql",
            "DB_HOST": "127.0.0.1", "DB_PORT": str(parts.port),
            "DB_DATABASE": parts.path.lstrip("/"), "DB_USERNAME": parts.username or "",
            "DB_PASSWORD": database.password,
            "REDIS_URL": self.services.redis.url,
            "QUEUE_REDIS_URL": self.services.queue_redis.url,
            "CACHE_DRIVER": "redis" if knobs.cache else "array",
            "SESSION_DRIVER": knobs.sessions,
            "QUEUE_CONNECTION": "redis" if knobs.jobs == "queue" else "sync",
            "QUEUE_RETRY_AFTER": str(config.retry_after_s),
            "BCRYPT_ROUNDS": str(knobs.bcrypt_rounds),
            "MAIL_MAILER": "outbox",
            "ESPPD_EAGER_LOADING": _bool(knobs.eager_loading),
            "ESPPD_HOT_ROW_LOCK": _bool(knobs.hot_row_lock),
            "ESPPD_QUEUE_JOB_DELAY_MS": str(knobs.queue_job_delay_ms),
            "ESPPD_INDEXES": _bool(knobs.indexes),
            "ESPPD_STATEMENT_LOG": str(self.statement_log or ""),
        }
        return "".join(f'{key}="{value}"\n' for key, value in values.items())

    def artisan(self, *args: str, timeout: float = 300) -> str:
        """Run `php artisan ...` in the release as the app account; its output is logged."""
        result = subprocess.run(
            [find_binary("php"), "artisan", *args], cwd=self.release, capture_output=True,
            text=True, check=False, timeout=timeout,
            **(self.account.popen_kwargs() if self.account else {}))
        with open(self.services.log_dir / "artisan.log", "a") as log:
            log.write(f"$ php artisan {' '.join(args)}\n{result.stdout}{result.stderr}")
        if result.returncode != 0:
            raise ServiceError(f"php artisan {' '.join(args)} failed "
                               f"(exit {result.returncode}): "
                               f"{' '.join((result.stdout or result.stderr).split())[-600:]}")
        return result.stdout

    # -- run --------------------------------------------------------------------------

    def start(self) -> None:
        knobs = self.services.config.knobs
        log_dir = self.services.log_dir
        self.progress("caching config, routes and views")
        for command in ("config:cache", "route:cache", "view:cache"):
            self.artisan(command)
        if knobs.cache:
            # As every deploy does: the restart signal the workers check on each loop then
            # exists (a cache hit, where a missing key would be a miss every second).
            self.artisan("queue:restart")
        self._prepare_logs("php-fpm-app.log", "php-fpm-slow.log")
        self.progress(f"starting PHP-FPM (pm.max_children={knobs.pm_max_children}, "
                      f"OPcache {'on' if knobs.opcache else 'off'}) and nginx")
        self._fpm = PhpFpmServer(
            log_dir, deployment.fpm_pool(self.fpm_port, self.release, log_dir,
                                         knobs.pm_max_children,
                                         self.account.name if self.account else None),
            self.fpm_port, {"99-esppd-opcache.ini": deployment.opcache_ini(knobs.opcache)})
        self._fpm.start()
        self._nginx = NginxServer(log_dir, deployment.nginx_site(self.port, self.release,
                                                                 self.fpm_port),
                                  self.port, account=self.account)
        self._nginx.start()
        self._wait_healthy()
        if knobs.queue_workers:
            self.progress(f"starting {knobs.queue_workers} queue workers (queue:work)")
            program = Program.from_supervisor_conf(
                deployment.QUEUE_PROGRAM, {deployment.PRODUCTION_ROOT: str(self.release)},
                numprocs=knobs.queue_workers, account=self.account)
            self._queue = Supervisor(program, log_dir, notify=self.progress)
            self._queue.start()

    def _prepare_logs(self, *names: str) -> None:
        """Log files the pool's children (the app account) append to."""
        for name in names:
            path = self.services.log_dir / name
            path.touch()
            chown_tree(path, self.account)

    def _wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as error:
                last = f"HTTP {error.code}: {error.read()[:300]!r}"
            except (urllib.error.URLError, OSError) as error:
                last = str(error)
            time.sleep(0.2)
        raise ServiceError(f"the Laravel app is not healthy within {timeout:.0f} s ({last}); "
                           f"see {self.services.log_dir}/php-fpm.log")

    def pids(self) -> dict[str, list[int]]:
        return {"app": [self._fpm.pid] if self._fpm and self._fpm.pid else [],
                "web": [self._nginx.pid] if self._nginx and self._nginx.pid else [],
                "queue": self._queue.pids() if self._queue else []}

    def stop(self) -> None:
        if self._queue is not None:
            self.progress("stopping the queue workers")
            self._queue.stop()
            self._queue = None
        for server in (self._nginx, self._fpm):
            if server is not None:
                server.stop()
        self._nginx = self._fpm = None


def _bool(value: bool) -> str:
    return "true" if value else "false"
