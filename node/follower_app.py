"""Running a follower: its replication thread beside the read-only HTTP API over its replica.

The HTTP side is the ledger's own API (``api.app.create_app``) opened read-only on the
follower's database (no log key, no writer: writes are answered ``writer_unavailable``), with
one more route, ``GET /v1/follower/status``: the follower's progress and, once it has halted,
its alarm (HTTP 503 then, so that a monitor's plain status check raises it too).
"""

from __future__ import annotations

import logging
import threading

import uvicorn
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from api.app import create_app
from api.settings import Settings
from node.follower import Follower, FollowerConfig

STATUS_PATH = "/v1/follower/status"

log = logging.getLogger("carbonledger.follower")


def add_status_route(app: FastAPI, follower: Follower) -> None:
    """Serve ``follower``'s status at ``STATUS_PATH`` on ``app``."""

    async def follower_status() -> JSONResponse:
        status = await run_in_threadpool(follower.status)
        return JSONResponse(status, status_code=503 if status["halted"] else 200)

    app.add_api_route(
        STATUS_PATH,
        follower_status,
        methods=["GET"],
        tags=["follower"],
        summary="The follower's replication status and alarm",
    )


def follower_app(follower: Follower) -> FastAPI:
    """The read API over the follower's replica, with its status route."""
    app = create_app(Settings(db=follower.config.db_url))
    add_status_route(app, follower)
    return app


def serve_follower(config: FollowerConfig, host: str, port: int) -> None:
    """Replicate and serve until interrupted (SIGINT or SIGTERM)."""
    follower = Follower(config)
    stop = threading.Event()
    thread = threading.Thread(target=follower.run, args=(stop,), name="follower", daemon=True)
    app = follower_app(follower)
    thread.start()
    log.info("following %s at %s into %s", follower.origin, config.log_url, config.db_url)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        stop.set()
        thread.join(timeout=30)
        follower.close()
