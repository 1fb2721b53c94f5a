"""Participants' public information: names, kinds, roles, registered keys (with revocations),
and the sequence number a participant's next entry must carry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api import schemas
from api.deps import EngineDep, IdPath, IdQuery, LimitQuery, OffsetQuery
from api.problems import problem_responses
from ledger import queries

router = APIRouter(prefix="/v1/participants", tags=["participants"])


@router.get(
    "",
    response_model=schemas.Page[schemas.ParticipantOut],
    summary="Participants in order of registration",
    responses=problem_responses(400, 503),
)
def list_participants(
    engine: EngineDep,
    role: IdQuery = None,
    kind: IdQuery = None,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    found = queries.participants(engine, role=role, kind=kind, limit=limit, offset=offset)
    return schemas.page(found, limit, offset)


@router.get(
    "/{participant_id}",
    response_model=schemas.ParticipantOut,
    summary="One participant",
    responses=problem_responses(400, 404, 503),
)
def get_participant(engine: EngineDep, participant_id: IdPath) -> queries.ParticipantView:
    return queries.participant(engine, participant_id)


@router.get(
    "/{participant_id}/next-seq",
    response_model=schemas.NextSeq,
    summary="The sequence number the participant's next entry must carry",
    responses=problem_responses(400, 404, 503),
)
def next_seq(engine: EngineDep, participant_id: IdPath) -> schemas.NextSeq:
    queries.participant(engine, participant_id)
    return schemas.NextSeq(
        participant=participant_id, next_seq=queries.next_seq(engine, participant_id)
    )
