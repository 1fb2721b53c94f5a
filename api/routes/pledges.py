"""Pledges of credits to banks as collateral: a public register of encumbrances."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api import schemas
from api.deps import EngineDep, IdPath, IdQuery, LimitQuery, OffsetQuery
from api.problems import problem_responses
from ledger import queries

router = APIRouter(prefix="/v1/pledges", tags=["pledges"])


@router.get(
    "",
    response_model=schemas.Page[schemas.PledgeOut],
    summary="Pledges oldest first, by account, bank or status",
    responses=problem_responses(400, 503),
)
def list_pledges(
    engine: EngineDep,
    account: IdQuery = None,
    bank: IdQuery = None,
    status: IdQuery = None,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    found = queries.pledges(
        engine, account=account, bank=bank, status=status, limit=limit, offset=offset
    )
    return schemas.page(found, limit, offset)


@router.get(
    "/{pledge_id}",
    response_model=schemas.PledgeOut,
    summary="One pledge",
    responses=problem_responses(400, 404, 503),
)
def get_pledge(engine: EngineDep, pledge_id: IdPath) -> queries.PledgeView:
    return queries.pledge(engine, pledge_id)
