"""The service itself: liveness, readiness (database reachable, writer alive) and metrics."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import Engine, func, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from api import schemas
from api.deps import EngineDep, MetricsDep, WritesDep
from api.metrics import CONTENT_TYPE
from ledger.storage import schema

router = APIRouter(tags=["service"])


@router.get("/healthz", response_model=schemas.Health, summary="The process is up")
async def healthz() -> schemas.Health:
    return schemas.Health(status="ok")


@router.get(
    "/readyz",
    response_model=schemas.Readiness,
    summary="The database answers and the writer is alive",
    responses={503: {"model": schemas.Readiness, "description": "Not ready"}},
)
async def readyz(engine: EngineDep, writes: WritesDep) -> Response:
    size = await run_in_threadpool(_log_size, engine)
    writer = await writes.ready()
    ready = size is not None and writer
    body = schemas.Readiness(
        status="ready" if ready else "unavailable",
        database=size is not None,
        writer=writer,
        size=size,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def _log_size(engine: Engine) -> int | None:
    """The log's size, or None if the database does not answer."""
    try:
        with engine.connect() as conn:
            last = conn.execute(select(func.max(schema.entries.c.idx))).scalar()
    except Exception:
        return None
    return 0 if last is None else int(last) + 1


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics",
    responses={200: {"description": "Prometheus text format", "content": {CONTENT_TYPE: {}}}},
)
def metrics(collected: MetricsDep) -> Response:
    return Response(collected.render(), media_type=CONTENT_TYPE)
