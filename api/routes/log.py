"""The log replication contract, which followers and witnesses depend on exactly.

``GET /v1/log/checkpoint`` and ``/v1/log/checkpoints/{size}``: the signed checkpoint note as
``text/plain; charset=utf-8``, with any witness cosignature lines after the log's signature.
``GET /v1/log/entries?start=N&limit=M``: records ``{"index", "record": base64}``, M <= 1000.
``GET /v1/log/proofs/inclusion?index=I&size=S`` and ``/proofs/consistency?from=A&to=B``:
base64 proof hashes (RFC 9162 section 2.1). ``GET /v1/log/info``: origin, key, sizes.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from api import schemas
from api.deps import MAX_POSITION, EngineDep, PositionQuery, SettingsDep
from api.problems import problem_responses
from api.submissions import read_body, require_media_type
from ledger import queries
from ledger.errors import InvalidInput
from ledger.queries.records import records_from
from ledger.storage import cosignatures

router = APIRouter(prefix="/v1/log", tags=["log"])

NOTE_TYPE = "text/plain; charset=utf-8"
MAX_RECORDS = 1000
_NOTE_RESPONSE = {
    "description": "The signed checkpoint note (C2SP tlog-checkpoint), cosignatures after it",
    "content": {NOTE_TYPE: {"schema": {"type": "string"}}},
}
SizePath = Annotated[int, Path(ge=0, le=MAX_POSITION, description="a tree size")]


@router.get(
    "/info",
    response_model=schemas.LogInfo,
    summary="The log's origin, checkpoint key, size and sealed size",
    responses=problem_responses(503),
)
def info(engine: EngineDep) -> queries.LedgerInfo:
    return queries.ledger_info(engine)


@router.get(
    "/checkpoint",
    response_class=Response,
    summary="The latest signed checkpoint",
    responses={200: _NOTE_RESPONSE, **problem_responses(404, 503)},
)
def latest_checkpoint(engine: EngineDep) -> Response:
    return Response(cosignatures.cosigned_note(engine), media_type=NOTE_TYPE)


@router.get(
    "/checkpoints/{size}",
    response_class=Response,
    summary="The signed checkpoint sealed at a tree size",
    responses={200: _NOTE_RESPONSE, **problem_responses(400, 404, 503)},
)
def checkpoint_at(engine: EngineDep, size: SizePath) -> Response:
    return Response(cosignatures.cosigned_note(engine, size), media_type=NOTE_TYPE)


@router.post(
    "/checkpoints/{size}/cosignatures",
    response_model=schemas.CosignaturesAdded,
    summary="Add witness cosignature lines to a sealed checkpoint",
    responses=problem_responses(400, 401, 403, 404, 413, 415, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/plain": {
                    "schema": {
                        "type": "string",
                        "description": "Cosignature lines ('— <name> <base64>'), one per line",
                    }
                }
            },
        }
    },
)
async def add_cosignatures(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    size: SizePath,
) -> schemas.CosignaturesAdded:
    """Keep each line that verifies over that checkpoint under a trusted witness's key."""
    require_media_type(request, frozenset({"text/plain"}))
    body = await read_body(request, 64 * 1024)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("cosignature lines must be UTF-8") from exc
    witnesses = [witness.verifier() for witness in settings.witnesses]
    added = cosignatures.add_cosignatures(engine, size, text, witnesses)
    return schemas.CosignaturesAdded(size=size, added=added)


@router.get(
    "/entries",
    response_model=schemas.LogRecords,
    summary="Raw records from index start on, for replication",
    responses=problem_responses(400, 503),
)
def records(
    engine: EngineDep,
    start: PositionQuery = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_RECORDS)] = MAX_RECORDS,
) -> dict[str, Any]:
    found = records_from(engine, start, limit)
    return {"records": [{"index": index, "record": record} for index, record in found]}


@router.get(
    "/proofs/inclusion",
    response_model=schemas.InclusionProofOut,
    summary="Inclusion proof of entry index in the tree of size",
    responses=problem_responses(400, 404, 503),
)
def inclusion(
    engine: EngineDep,
    index: PositionQuery,
    size: Annotated[int, Query(ge=1, le=MAX_POSITION)],
) -> dict[str, Any]:
    proof = queries.inclusion_proof(engine, index, size)
    return {"index": proof.index, "size": proof.size, "proof": proof.proof, "root": proof.root}


@router.get(
    "/proofs/consistency",
    response_model=schemas.ConsistencyProofOut,
    summary="Consistency proof from tree size from to tree size to",
    responses=problem_responses(400, 404, 503),
)
def consistency(
    engine: EngineDep,
    from_: Annotated[int, Query(alias="from", ge=1, le=MAX_POSITION)],
    to: Annotated[int, Query(ge=1, le=MAX_POSITION)],
) -> dict[str, Any]:
    proof = queries.consistency_proof(engine, from_, to)
    return {"from": proof.size1, "to": proof.size2, "proof": proof.proof}
