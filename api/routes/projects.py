"""Projects registered under a program's methodology."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api import schemas
from api.deps import EngineDep, IdPath, IdQuery, LimitQuery, OffsetQuery
from api.problems import problem_responses
from ledger import queries

router = APIRouter(prefix="/v1/projects", tags=["projects"])


@router.get(
    "",
    response_model=schemas.Page[schemas.ProjectOut],
    summary="Projects in order of registration",
    responses=problem_responses(400, 503),
)
def list_projects(
    engine: EngineDep,
    program: IdQuery = None,
    owner: IdQuery = None,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    found = queries.projects(engine, program=program, owner=owner, limit=limit, offset=offset)
    return schemas.page(found, limit, offset)


@router.get(
    "/{project_id}",
    response_model=schemas.ProjectOut,
    summary="One project",
    responses=problem_responses(400, 404, 503),
)
def get_project(engine: EngineDep, project_id: IdPath) -> queries.ProjectView:
    return queries.project(engine, project_id)
