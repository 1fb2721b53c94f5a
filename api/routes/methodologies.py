"""Methodologies filed under programs, with their status and calculation parameters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api import schemas
from api.deps import EngineDep, IdPath, IdQuery, LimitQuery, OffsetQuery
from api.problems import problem_responses
from ledger import queries

router = APIRouter(prefix="/v1/methodologies", tags=["methodologies"])


@router.get(
    "",
    response_model=schemas.Page[schemas.MethodologyOut],
    summary="Methodologies in order of registration",
    responses=problem_responses(400, 503),
)
def list_methodologies(
    engine: EngineDep,
    program: IdQuery = None,
    status: IdQuery = None,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    found = queries.methodologies(
        engine, program=program, status=status, limit=limit, offset=offset
    )
    return schemas.page(found, limit, offset)


@router.get(
    "/{methodology_id}",
    response_model=schemas.MethodologyOut,
    summary="One methodology, by code:version",
    responses=problem_responses(400, 404, 503),
)
def get_methodology(engine: EngineDep, methodology_id: IdPath) -> queries.MethodologyView:
    return queries.methodology(engine, methodology_id)
