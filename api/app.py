"""The FastAPI application: ``create_app(settings)`` builds it; the lifespan opens the database
and, in the process that holds it, the single writer (never at import time).

The process that holds the writer takes the database's writer lock (``node.writer_lock``),
opens the ledger on the writer thread and commits submissions in groups; another process
forwards writes to it (``settings.writer_url``). Every process serves reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from api import problems
from api.fastpath import FastPath
from api.forwarding import Forwarder
from api.metrics import LatencyMiddleware, Metrics
from api.reads import HotReads
from api.routes import (
    accounts,
    anchors,
    batches,
    cancellations,
    cases,
    certificates,
    entries,
    events,
    internal,
    log,
    methodologies,
    participants,
    personal,
    pledges,
    programs,
    projects,
    reports,
    retirements,
    service,
    trades,
)
from api.settings import Settings
from api.submissions import WritePath
from ledger.log import Ledger
from ledger.storage.engine import make_engine
from ledger.storage.migrate import upgrade
from node.cosigning import Witnessing
from node.witness_client import WitnessClient
from node.writer import GroupReport, GroupWriter
from node.writer_lock import WriterLock

TITLE = "carbonledger"
VERSION = "1"
DESCRIPTION = (
    "A verifiable ledger for carbon-inclusion reduction credits. Errors are RFC 9457 problem "
    "details carrying the ledger's stable `code` (docs/api.md, docs/errors.md)."
)

NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}

ROUTERS = (
    entries.router,
    log.router,
    participants.router,
    programs.router,
    methodologies.router,
    projects.router,
    batches.router,
    accounts.router,
    retirements.router,
    cancellations.router,
    pledges.router,
    trades.router,
    events.router,
    cases.router,
    reports.router,
    certificates.router,
    anchors.router,
    personal.router,
    service.router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API for ``settings`` (embedded defaults if None); nothing is opened until startup."""
    settings = settings or Settings()
    settings.check()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.db)
        await run_in_threadpool(upgrade, engine)
        lock: WriterLock | None = None
        writer: GroupWriter | None = None
        forwarder: Forwarder | None = None
        witnessing: Witnessing | None = None
        hot_reads: HotReads | None = None
        try:
            if settings.log_signer is not None:
                lock = await run_in_threadpool(WriterLock.acquire, engine)
                witnessing = _witnessing(engine, settings)
                signer = settings.log_signer
                writer = GroupWriter(
                    lambda: Ledger.open(settings.db, signer, seal_every=settings.seal_every),
                    seal_ms=settings.seal_ms,
                    max_group=settings.max_group,
                    max_group_bytes=settings.max_group_bytes,
                    on_group=partial(_after_group, metrics, witnessing),
                )
                await run_in_threadpool(writer.start)
                if witnessing is not None:
                    witnessing.start()
            elif settings.writer_url is not None:
                forwarder = Forwarder(settings.writer_url)
            app.state.engine = engine
            app.state.writes = WritePath(writer, forwarder, metrics)
            if settings.fast_path and HotReads.supported(engine):
                hot_reads = app.state.hot_reads = HotReads(engine)
            yield
        finally:
            app.state.hot_reads = None
            if hot_reads is not None:
                await run_in_threadpool(hot_reads.close)
            if writer is not None:
                await run_in_threadpool(writer.stop)
            if witnessing is not None:
                await run_in_threadpool(witnessing.stop)
            if lock is not None:
                lock.release()
            if forwarder is not None:
                await forwarder.aclose()
            engine.dispose()

    app = FastAPI(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Metrics are Prometheus (``api.metrics``). FastAPI's native OpenTelemetry, unused,
        # would still look its global providers up (environment variables) on every request.
        telemetry=NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.on_problem = lambda code, status: metrics.problems.labels(code, str(status)).inc()
    app.state.hot_reads = None
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(internal.router)  # workers' coalesced entries; not in the OpenAPI
    routes = {
        route.path: route
        for router in (*ROUTERS, internal.router)
        for route in router.routes
        if isinstance(route, APIRoute)
    }
    if settings.fast_path:
        app.add_middleware(
            FastPath, settings=settings, hot_reads=lambda: app.state.hot_reads, routes=routes
        )
    app.add_middleware(LatencyMiddleware, metrics=metrics)  # outermost: times the fast path too

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _problem_media_types(
                get_openapi(
                    title=TITLE, version=VERSION, description=DESCRIPTION, routes=app.routes
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _witnessing(engine: Engine, settings: Settings) -> Witnessing | None:
    """Cosignature rounds with the witnesses that have a URL, woken after each seal."""
    clients = [
        WitnessClient(witness.url, witness.verifier())
        for witness in settings.witnesses
        if witness.url is not None
    ]
    return Witnessing(engine, clients) if clients else None


def _after_group(metrics: Metrics, witnessing: Witnessing | None, report: GroupReport) -> None:
    metrics.record_group(report)
    if report.sealed and witnessing is not None:
        witnessing.checkpoint_sealed()


def _problem_media_types(spec: dict[str, Any]) -> dict[str, Any]:
    """Problems are served as application/problem+json, and request validation errors are
    problems (400), not FastAPI's default 422 ``HTTPValidationError``."""
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            default_422 = responses.get("422", {}).get("content", {}).get("application/json", {})
            if default_422.get("schema") == {"$ref": "#/components/schemas/HTTPValidationError"}:
                del responses["422"]
            for response in responses.values():
                content = response.get("content", {})
                if content.get("application/json", {}).get("schema") == problem_ref:
                    content[problems.PROBLEM_TYPE] = content.pop("application/json")
    schemas = spec.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return spec
