"""Retirements: public, permanent claims that credits offset someone's emissions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api import schemas
from api.deps import EngineDep, IdPath, IdQuery, LimitQuery, OffsetQuery, TextQuery
from api.problems import problem_responses
from ledger import queries

router = APIRouter(prefix="/v1/retirements", tags=["retirements"])


@router.get(
    "",
    response_model=schemas.Page[schemas.RetirementOut],
    summary="Retirements oldest first, by beneficiary (name or identifier), event or account",
    responses=problem_responses(400, 503),
)
def list_retirements(
    engine: EngineDep,
    beneficiary: TextQuery = None,
    event_ref: TextQuery = None,
    account: IdQuery = None,
    purpose: IdQuery = None,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    found = queries.retirements(
        engine,
        beneficiary=beneficiary,
        event_ref=event_ref,
        account=account,
        purpose=purpose,
        limit=limit,
        offset=offset,
    )
    return schemas.page(found, limit, offset)


@router.get(
    "/{retirement_id}",
    response_model=schemas.RetirementOut,
    summary="One retirement (its certificate's contents)",
    responses=problem_responses(400, 404, 503),
)
def get_retirement(engine: EngineDep, retirement_id: IdPath) -> queries.RetirementView:
    return queries.retirement(engine, retirement_id)
