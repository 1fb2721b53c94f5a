"""Carbon-neutral events: inventory by stage and source, coverage, neutrality."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from api import schemas
from api.deps import EngineDep, IdPath, IdQuery, LimitQuery, OffsetQuery
from api.problems import problem_responses
from api.report_schemas import EventOut
from ledger import queries
from ledger.queries import events

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.get(
    "",
    response_model=schemas.Page[EventOut],
    summary="Events in order of registration, by organiser or neutrality",
    responses=problem_responses(400, 503),
)
def list_events(
    engine: EngineDep,
    organiser: IdQuery = None,
    neutral: bool | None = Query(default=None),
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    found = events.events(engine, organiser=organiser, neutral=neutral, limit=limit, offset=offset)
    return schemas.page(found, limit, offset)


@router.get(
    "/{event_id}",
    response_model=EventOut,
    summary="One event: emitted versus covered, its lines and the retirements counted",
    responses=problem_responses(400, 404, 503),
)
def get_event(engine: EngineDep, event_id: IdPath) -> events.EventView:
    return events.event(engine, event_id)
