"""Entries: submitting signed entries (one, or thousands as NDJSON) and reading them back."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from starlette.responses import Response

from api import schemas
from api.deps import (
    MAX_POSITION,
    EngineDep,
    IdQuery,
    LimitQuery,
    OffsetQuery,
    PositionQuery,
    SettingsDep,
    WritesDep,
)
from api.problems import problem_responses
from api.submissions import (
    BULK_TYPES,
    ENTRY_TYPES,
    IDEMPOTENCY_KEY,
    IDEMPOTENCY_KEY_PATTERN,
    read_body,
    render_bulk,
    require_media_type,
    split_lines,
    to_response,
)
from ledger import queries

router = APIRouter(prefix="/v1/entries", tags=["entries"])

_SIGNATURE = {
    "type": "object",
    "required": ["key", "sig", "signer"],
    "properties": {
        "key": {"type": "string"},
        "sig": {"type": "string"},
        "signer": {"type": "string"},
    },
}
ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A signed entry in canonical JSON (docs/formats.md); its bytes are the entry.",
    "required": ["payload", "sigs"],
    "properties": {
        "payload": {
            "type": "object",
            "required": ["body", "ledger", "op", "seq", "signer"],
            "properties": {
                "body": {"type": "object"},
                "ledger": {"type": "string"},
                "op": {"type": "string"},
                "seq": {"type": "integer", "minimum": 1},
                "signer": {"type": "string"},
            },
        },
        "sigs": {"type": "array", "items": _SIGNATURE, "minItems": 1, "maxItems": 4},
    },
}
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_KEY,
        min_length=1,
        max_length=255,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="A retry with the same key returns the original response, applying "
        "nothing twice; the same key with another body is refused (idempotency_key_reused).",
    ),
]
_WRITE_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 503)


@router.post(
    "",
    status_code=201,
    response_model=schemas.EntryAccepted,
    summary="Submit one signed entry",
    responses={
        200: {"model": schemas.EntryAccepted, "description": "Already in the log"},
        **_WRITE_PROBLEMS,
    },
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": ENTRY_SCHEMA}}}
    },
)
async def submit_entry(
    request: Request,
    writes: WritesDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Apply one entry; answered once its group is durable (201, or 200 if already logged)."""
    require_media_type(request, ENTRY_TYPES)
    body = await read_body(request, settings.max_entry_bytes)
    reply = await writes.submit_entry(body, request.headers.get(IDEMPOTENCY_KEY))
    return to_response(reply)


@router.post(
    "/bulk",
    response_model=schemas.BulkResult,
    summary="Submit many signed entries as NDJSON",
    responses=_WRITE_PROBLEMS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media: {
                    # Free-form bytes: every line is checked on its own, per-line outcomes say.
                    "schema": {"description": "One canonical entry per line, '\\n'-separated."}
                }
                for media in sorted(BULK_TYPES)
            },
        }
    },
)
async def submit_bulk(
    request: Request,
    writes: WritesDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Apply the entries in order, each accepted or refused on its own, in one group commit."""
    require_media_type(request, BULK_TYPES)
    body = await read_body(request, settings.max_bulk_bytes)
    parse = partial(
        split_lines,
        max_entries=settings.max_bulk_entries,
        max_entry_bytes=settings.max_entry_bytes,
    )
    reply = await writes.submit(request, body, parse, render_bulk)
    return to_response(reply)


@router.get(
    "",
    response_model=schemas.Page[schemas.EntryOut],
    summary="Log entries, oldest first",
    responses=problem_responses(400, 503),
)
def list_entries(
    engine: EngineDep,
    start: PositionQuery = 0,
    op: IdQuery = None,
    signer: IdQuery = None,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    found = queries.entries(engine, start=start, op=op, signer=signer, limit=limit, offset=offset)
    return schemas.page(found, limit, offset)


@router.get(
    "/{index}",
    response_model=schemas.EntryRecordOut,
    summary="One entry, decoded, with its record bytes",
    responses=problem_responses(400, 404, 503),
)
def get_entry(
    engine: EngineDep, index: Annotated[int, Path(ge=0, le=MAX_POSITION)]
) -> queries.EntryRecord:
    return queries.entry(engine, index)
