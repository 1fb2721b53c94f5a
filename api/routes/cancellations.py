"""Cancellations, e.g. ecological-damage compensation, with their case."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api import schemas
from api.deps import EngineDep, IdPath, IdQuery, LimitQuery, OffsetQuery, TextQuery
from api.problems import problem_responses
from ledger import queries

router = APIRouter(prefix="/v1/cancellations", tags=["cancellations"])


@router.get(
    "",
    response_model=schemas.Page[schemas.CancellationOut],
    summary="Cancellations oldest first, by case number, reason or account",
    responses=problem_responses(400, 503),
)
def list_cancellations(
    engine: EngineDep,
    case_number: TextQuery = None,
    reason: IdQuery = None,
    account: IdQuery = None,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    found = queries.cancellations(
        engine, case_number=case_number, reason=reason, account=account, limit=limit, offset=offset
    )
    return schemas.page(found, limit, offset)


@router.get(
    "/{cancellation_id}",
    response_model=schemas.CancellationOut,
    summary="One cancellation",
    responses=problem_responses(400, 404, 503),
)
def get_cancellation(engine: EngineDep, cancellation_id: IdPath) -> queries.CancellationView:
    return queries.cancellation(engine, cancellation_id)
