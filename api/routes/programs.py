"""Programs (credit types such as PHCER or CDCER), their administrators and granted roles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api import schemas
from api.deps import EngineDep, IdPath, LimitQuery, OffsetQuery
from api.problems import problem_responses
from ledger import queries

router = APIRouter(prefix="/v1/programs", tags=["programs"])


@router.get(
    "",
    response_model=schemas.Page[schemas.ProgramOut],
    summary="Programs in order of registration",
    responses=problem_responses(400, 503),
)
def list_programs(
    engine: EngineDep, limit: LimitQuery = queries.DEFAULT_LIMIT, offset: OffsetQuery = 0
) -> dict[str, Any]:
    return schemas.page(queries.programs(engine, limit=limit, offset=offset), limit, offset)


@router.get(
    "/{code}",
    response_model=schemas.ProgramOut,
    summary="One program",
    responses=problem_responses(400, 404, 503),
)
def get_program(engine: EngineDep, code: IdPath) -> queries.ProgramView:
    return queries.program(engine, code)
