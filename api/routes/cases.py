"""Ecological-damage compensation cases: required versus cancelled, and their cancellations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api import schemas
from api.deps import TEXT_PATTERN, EngineDep, IdQuery, LimitQuery, OffsetQuery
from api.problems import problem_responses
from api.report_schemas import CaseOut
from ledger import queries
from ledger.queries import cases

router = APIRouter(prefix="/v1/cases", tags=["cases"])

CaseNumber = Annotated[
    str, Path(max_length=500, pattern=TEXT_PATTERN, description="the authority's case number")
]


@router.get(
    "",
    response_model=schemas.Page[CaseOut],
    summary="Cases in order of registration, by status (open, closed) or liable party",
    responses=problem_responses(400, 503),
)
def list_cases(
    engine: EngineDep,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    liable_party: IdQuery = None,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    found = cases.cases(
        engine, status=status, liable_party=liable_party, limit=limit, offset=offset
    )
    return schemas.page(found, limit, offset)


@router.get(
    "/{case_number}",
    response_model=CaseOut,
    summary="One case with the cancellations counted toward it",
    responses=problem_responses(400, 404, 503),
)
def get_case(engine: EngineDep, case_number: CaseNumber) -> cases.CaseView:
    return cases.case(engine, case_number)
