"""Issued batches with their supply (issued = held + pledged + retired + cancelled)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api import schemas
from api.deps import EngineDep, IdPath, IdQuery, LimitQuery, OffsetQuery
from api.problems import problem_responses
from ledger import queries

router = APIRouter(prefix="/v1", tags=["batches"])


@router.get(
    "/batches",
    response_model=schemas.Page[schemas.BatchOut],
    summary="Batches in order of issuance, each with its supply",
    responses=problem_responses(400, 503),
)
def list_batches(
    engine: EngineDep,
    program: IdQuery = None,
    project: IdQuery = None,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    found = queries.batches(engine, program=program, project=project, limit=limit, offset=offset)
    return schemas.page(found, limit, offset)


@router.get(
    "/batches/{batch_id}",
    response_model=schemas.BatchOut,
    summary="One batch and its supply",
    responses=problem_responses(400, 404, 503),
)
def get_batch(engine: EngineDep, batch_id: IdPath) -> queries.BatchView:
    return queries.batch(engine, batch_id)


@router.get(
    "/supply",
    response_model=schemas.SupplyOut,
    summary="Supply summed over a program's or a project's batches (or all)",
    responses=problem_responses(400, 503),
)
def total_supply(
    engine: EngineDep, program: IdQuery = None, project: IdQuery = None
) -> queries.Supply:
    return queries.supply(engine, program=program, project=project)
