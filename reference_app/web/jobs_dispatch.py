"""Dispatch a job: onto the Redis queue (best practice) or inline (the `jobs=inline` knob)."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg

from reference_app.jobs import HANDLERS, QUEUE_OF
from reference_app.queue import QueueKeys, make_payload
from reference_app.settings import AppSettings
from reference_app.web.context import Ctx

HEAVY_JOBS = {"GenerateSppdDocument", "ExportMonthlyReport"}


def _run_inline(settings: AppSettings, job: str, data: dict[str, Any]) -> None:
    with psycopg.connect(settings.dsn, application_name="esppd-app-inline") as conn:
        HANDLERS[job](conn, settings.storage_dir, data)


async def dispatch_job(ctx: Ctx, job: str, data: dict[str, Any]) -> None:
    settings = ctx.app.settings
    if settings.knobs.jobs == "inline" and job in HEAVY_JOBS:
        # The request waits for the .docx/.xlsx, as `dispatchSync()` would in Laravel.
        await asyncio.to_thread(_run_inline, settings, job, data)
        return
    keys = QueueKeys(settings.queue_prefix, QUEUE_OF[job])
    pipe = ctx.app.queue_redis.pipeline()
    pipe.rpush(keys.pending, make_payload(job, data))
    pipe.rpush(keys.notify, 1)
    await pipe.execute()
