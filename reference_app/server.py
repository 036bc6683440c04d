"""App server: `python -m reference_app.server --port P --workers N` (uvicorn, N processes)."""

from __future__ import annotations

import argparse

import uvicorn
from setproctitle import setproctitle


def main() -> None:
    parser = argparse.ArgumentParser(description="eSPPD app server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backlog", type=int, default=2048)
    args = parser.parse_args()
    setproctitle("esppd-app master")
    uvicorn.run("reference_app.web.app:create_app", factory=True, host=args.host,
                port=args.port, workers=args.workers, backlog=args.backlog, log_level="warning",
                access_log=False, timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
