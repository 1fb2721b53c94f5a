"""The writer's internal route: single entries coalesced by the API workers that forward to it.

``POST /internal/v1/submissions`` takes ``[{"key": idempotency key or null, "body": base64 of
one canonical entry}, ...]`` and answers ``[{"status", "content_type", "body" (base64),
"replayed"}, ...]`` in the same order: for each, exactly the response ``POST /v1/entries``
would have given. All are queued at once, so they share group commits. It is served only by a
process that holds the writer, and is not part of the public API (nor of its OpenAPI document):
it grants nothing the public route does not, since entries carry their own signatures.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import MetricsDep, SettingsDep, WritesDep
from api.forwarding import INTERNAL_PATH, MAX_BATCH
from api.metrics import Metrics
from api.problems import status_for
from api.settings import Settings
from api.submissions import (
    ENTRY_PATH,
    IDEMPOTENCY_KEY_PATTERN,
    JSON,
    WritePath,
    problem_reply,
    read_body,
    render_single,
    require_media_type,
)
from ledger.errors import InvalidInput, LedgerError
from node.writer import Reply

router = APIRouter(tags=["internal"], include_in_schema=False)

_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


@router.post(INTERNAL_PATH)
async def submissions(
    request: Request, writes: WritesDep, settings: SettingsDep, metrics: MetricsDep
) -> Response:
    require_media_type(request, frozenset({JSON}))
    body = await read_body(request, max_body(settings))
    return await answer(body, writes, settings, metrics)


def max_body(settings: Settings) -> int:
    """Bytes of one request of forwarded submissions, at most."""
    return 2 * MAX_BATCH * settings.max_entry_bytes


async def answer(body: bytes, writes: WritePath, settings: Settings, metrics: Metrics) -> Response:
    """The reply to forwarded submissions ``body`` (also answered on ``api.fastpath``)."""
    items = _items(body, settings.max_entry_bytes)

    async def one(item: tuple[str | None, bytes] | LedgerError) -> Reply:
        try:
            if isinstance(item, LedgerError):
                raise item
            key, raw = item
            return await writes.apply(ENTRY_PATH, raw, key, lambda entry: [entry], render_single)
        except LedgerError as exc:
            metrics.problems.labels(exc.code, str(status_for(exc))).inc()
            return problem_reply(exc)

    replies = await asyncio.gather(*(one(item) for item in items))
    out = [
        {
            "status": r.status,
            "content_type": r.content_type,
            "body": base64.b64encode(r.body).decode(),
            "replayed": r.replayed,
        }
        for r in replies
    ]
    return Response(orjson.dumps(out), media_type=JSON)


def _items(body: bytes, max_entry_bytes: int) -> list[tuple[str | None, bytes] | LedgerError]:
    """Each submission's key and entry bytes, or the error that refuses that one."""
    try:
        decoded: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput("forwarded submissions are not JSON") from exc
    if not isinstance(decoded, list) or len(decoded) > MAX_BATCH:
        raise InvalidInput(f"forwarded submissions are a list of at most {MAX_BATCH}")
    items: list[tuple[str | None, bytes] | LedgerError] = []
    for value in decoded:
        key = value.get("key") if isinstance(value, dict) else None
        try:
            raw = base64.b64decode(value["body"], validate=True)
        except (TypeError, KeyError, binascii.Error):
            items.append(InvalidInput("a forwarded submission has no base64 body"))
            continue
        if key is not None and not (isinstance(key, str) and len(key) <= 255 and _KEY.match(key)):
            items.append(InvalidInput("a forwarded idempotency key is malformed"))
        elif len(raw) > max_entry_bytes:
            items.append(
                LedgerError(f"the entry is over {max_entry_bytes} bytes", code="payload_too_large")
            )
        else:
            items.append((key, raw))
    return items
