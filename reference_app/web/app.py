"""The eSPPD web app (Starlette): routes, and per-worker resources in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool
from setproctitle import setproctitle
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from reference_app.settings import AppSettings
from reference_app.web import pages_account as account
from reference_app.web import pages_finance as finance
from reference_app.web import pages_sppd as sppd
from reference_app.web.cache import TaggedCache
from reference_app.web.context import AppState
from reference_app.web.status import ConcurrencyLimit, WorkerStatus, publish_forever

POOL_TIMEOUT_S = 10.0

ROUTES = [
    Route("/", account.home),
    Route("/login", account.login_form, methods=["GET"]),
    Route("/login", account.login, methods=["POST"]),
    Route("/logout", account.logout, methods=["POST"]),
    Route("/dashboard", account.dashboard),
    Route("/sppd", sppd.sppd_index, methods=["GET"]),
    Route("/sppd", sppd.sppd_store, methods=["POST"]),
    Route("/sppd/create", sppd.sppd_create),
    Route("/sppd/{sppd_id}", sppd.sppd_show),
    Route("/sppd/{sppd_id}/submit", sppd.sppd_submit, methods=["POST"]),
    Route("/sppd/{sppd_id}/document", finance.document_store, methods=["POST"]),
    Route("/approvals", sppd.approvals_index),
    Route("/approvals/{sppd_id}/approve", sppd.approval_decide, methods=["POST"]),
    Route("/approvals/{sppd_id}/reject", sppd.approval_decide, methods=["POST"]),
    Route("/laporan", sppd.laporan_index, methods=["GET"]),
    Route("/laporan", sppd.laporan_store, methods=["POST"]),
    Route("/reports/monthly", finance.monthly_report),
    Route("/exports", finance.export_store, methods=["POST"]),
    Route("/exports/{item_id}", finance.generated_status),
    Route("/exports/{item_id}/download", finance.generated_download),
    Route("/documents/{item_id}", finance.generated_status),
    Route("/documents/{item_id}/download", finance.generated_download),
    Route("/master/{kind}", account.master),
    Route("/health", account.health),
    Route("/status", account.status),
]


def create_app(settings: AppSettings | None = None) -> Starlette:
    settings = settings or AppSettings.from_env()
    setproctitle("esppd-app worker")
    status = WorkerStatus(max_children=settings.knobs.app_concurrency)
    template_dir = Path(str(resources.files("reference_app").joinpath("templates")))
    templates = Jinja2Templates(directory=template_dir)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = AsyncConnectionPool(
            settings.dsn, min_size=settings.knobs.db_pool_size,
            max_size=settings.knobs.db_pool_size, timeout=POOL_TIMEOUT_S, open=False,
            kwargs={"application_name": "esppd-app", "autocommit": True})
        await pool.open(wait=True, timeout=30)
        client = aioredis.Redis.from_url(settings.redis_url, max_connections=256)
        await client.hsetnx(account.THROTTLE_KEY, "-", "0:0")
        queue_client = aioredis.Redis.from_url(settings.queue_redis_url, max_connections=64)
        app.state.esppd = AppState(settings, pool, client, queue_client,
                                   TaggedCache(client, settings.knobs.cache), templates)
        publisher = asyncio.create_task(publish_forever(client, status, pool))
        try:
            yield
        finally:
            publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publisher
            await client.hdel("esppd_status:workers", str(status.pid))
            await client.aclose()
            await queue_client.aclose()
            await pool.close()

    return Starlette(routes=ROUTES, lifespan=lifespan,
                     middleware=[Middleware(ConcurrencyLimit, status=status)])
