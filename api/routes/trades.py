"""Trade announcements: priced transfers with venue and settlement reference."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api import schemas
from api.deps import EngineDep, IdQuery, LimitQuery, OffsetQuery, PositionQuery
from api.problems import problem_responses
from ledger import queries

router = APIRouter(prefix="/v1/trades", tags=["trades"])


@router.get(
    "",
    response_model=schemas.Page[schemas.TradeOut],
    summary="Priced transfers sequenced in [since_ms, until_ms), oldest first",
    responses=problem_responses(400, 503),
)
def list_trades(
    engine: EngineDep,
    since_ms: PositionQuery | None = None,
    until_ms: PositionQuery | None = None,
    venue: IdQuery = None,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    found = queries.trades(
        engine, since_ms=since_ms, until_ms=until_ms, venue=venue, limit=limit, offset=offset
    )
    return schemas.page(found, limit, offset)
