"""The trivial endpoint of the generator benchmark: a bare ASGI app answering 200 "ok".

`GET /served` answers how many other requests it has answered: the benchmark counts
every generator's requests the same way, at the server (Locust's `_stats.csv` is not
rewritten at shutdown and counted 4-5% fewer than were sent).
Run with `uvicorn --factory bench.trivial_app:create_app`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

BODY = b"ok"
ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[dict[str, Any]]],
                    Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[None]]


def create_app() -> ASGIApp:
    served = 0

    async def app(scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                  send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        nonlocal served
        if scope["type"] != "http":
            return
        if scope["path"] == "/served":
            body = str(served).encode()
        else:
            served += 1
            body = BODY
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return app
