"""Anchor receipts: the checkpoints this ledger anchored on an EVM chain (``node.anchorer``).

``GET /v1/anchors`` pages through receipts, largest tree size first; ``GET /v1/anchors/{size}``
is the receipt for one size (the anchored one, if a split view was also recorded for it).
Hashes are hex. Anyone can check a receipt against the chain itself: ``checkpointAt(logId,
size)`` on the contract, or ``carbonledger prove entry``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api import schemas
from api.deps import MAX_POSITION, EngineDep, LimitQuery, OffsetQuery
from api.problems import problem_responses
from ledger import queries
from ledger.queries.anchors import STATUSES, AnchorView, anchor, anchors

router = APIRouter(prefix="/v1/anchors", tags=["anchors"])

StatusQuery = Annotated[
    str | None, Query(pattern="^(" + "|".join(STATUSES) + ")$", description="only this status")
]


@router.get(
    "",
    response_model=schemas.Page[schemas.AnchorOut],
    summary="Anchor receipts, largest tree size first",
    responses=problem_responses(400, 503),
)
def list_anchors(
    engine: EngineDep,
    status: StatusQuery = None,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    return schemas.page(anchors(engine, status=status, limit=limit, offset=offset), limit, offset)


@router.get(
    "/{size}",
    response_model=schemas.AnchorOut,
    summary="The anchor receipt of a tree size",
    responses=problem_responses(400, 404, 503),
)
def get_anchor(
    engine: EngineDep,
    size: Annotated[int, Path(ge=1, le=MAX_POSITION, description="a tree size")],
) -> AnchorView:
    return anchor(engine, size)
