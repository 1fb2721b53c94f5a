"""Errors as RFC 9457 problem details: every ``LedgerError`` becomes ``application/problem+json``.

A problem carries ``type`` (``urn:carbonledger:problem:<code>``), ``title``, ``status``,
``detail`` (the error's message) and the ledger's stable ``code`` unchanged, plus the error's
details as extension members (``errors`` lists each invalid field). The HTTP status follows
from the code (``status_for``; the table is in ``docs/api.md``): malformed input 400, failed
request authentication 401, a refused permission 403, something missing 404, a conflict with
the ledger's current state 409, a request body too large 413 or of the wrong type 415, an entry
this ledger can never accept as signed 422, the writer unavailable 503.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ledger.errors import InvalidInput, LedgerError, NotFound, SignatureInvalid, VerificationError

PROBLEM_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:carbonledger:problem:"
AUTH_CHALLENGE = 'Carbonledger-Signature realm="carbonledger"'

STATUS_BY_CODE: dict[str, int] = {
    # the request or entry is malformed
    "invalid_input": 400,
    "non_canonical_encoding": 400,
    "unknown_operation": 400,
    "malformed_note": 400,
    # the request's own signature does not authenticate it
    "authentication_required": 401,
    "bad_signature": 401,
    "unknown_key": 401,
    "stale_request": 401,
    "insufficient_signatures": 401,
    # authenticated, but not allowed
    "key_revoked": 403,
    "not_authorised": 403,
    "missing_cosignature": 403,
    "unknown_witness": 403,
    # nothing there
    "not_found": 404,
    "bad_size": 404,
    "bad_index": 404,
    "method_not_allowed": 405,
    # in conflict with the ledger's current state
    "replayed_sequence": 409,
    "insufficient_credits": 409,
    "serials_not_held": 409,
    "pledge_closed": 409,
    "invalid_correction": 409,
    "witness_conflict": 409,
    "ledger_exists": 409,
    # the body is too large or of the wrong type
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    # never acceptable by this ledger as signed
    "wrong_ledger": 422,
    "invalid_genesis": 422,
    "verifier_conflict": 422,
    "methodology_inactive": 422,
    "methodology_withdrawn": 422,
    "idempotency_key_reused": 422,
    "rule_violation": 422,
    # the service cannot take writes or has no ledger
    "writer_unavailable": 503,
    "writer_busy": 503,
    "writer_failed": 503,
    "writer_locked": 503,
    "read_only": 503,
    "no_ledger": 503,
    "missing_nodes": 500,
    "internal_error": 500,
}

DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request or entry (`invalid_input`, `non_canonical_encoding`, ...)",
    401: "The request's signature does not authenticate it (`authentication_required`, "
    "`bad_signature`, `unknown_key`, `stale_request`)",
    403: "Not allowed (`not_authorised`, `key_revoked`, `missing_cosignature`)",
    404: "No such record (`unknown_*`, `bad_size`, `bad_index`, `not_found`)",
    409: "In conflict with the ledger's state (`duplicate_*`, `replayed_sequence`, "
    "`insufficient_credits`, ...)",
    413: "Request body too large (`payload_too_large`)",
    415: "Wrong content type (`unsupported_media_type`)",
    422: "An entry this ledger cannot accept as signed, or an idempotency key reused for "
    "another request",
    503: "The writer is unavailable (`writer_unavailable`)",
}


class Problem(BaseModel):
    """RFC 9457 problem details with the ledger's stable ``code``; more members may follow."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str


def status_for(error: LedgerError) -> int:
    """The HTTP status of ``error``: by its code, then by its family, then by its class."""
    found = STATUS_BY_CODE.get(error.code)
    if found is not None:
        return found
    if error.code.startswith("duplicate_"):
        return 409
    if error.code.startswith("unknown_") or isinstance(error, NotFound):
        return 404
    if isinstance(error, SignatureInvalid):
        return 401
    if isinstance(error, InvalidInput):
        return 400
    if isinstance(error, VerificationError):
        return 422
    return 422


def title_for(code: str) -> str:
    return code.replace("_", " ").capitalize()


def problem_dict(error: LedgerError) -> dict[str, Any]:
    """``error`` as a problem object (its details become extension members)."""
    status = status_for(error)
    body: dict[str, Any] = {
        key: value
        for key, value in error.details.items()
        if key not in ("type", "title", "status", "detail", "code")
    }
    body.update(
        type=TYPE_PREFIX + error.code,
        title=title_for(error.code),
        status=status,
        detail=error.message,
        code=error.code,
    )
    return body


def encode(value: Any) -> bytes:
    """JSON bytes of a problem (a detail that is not JSON is written as its text)."""
    return orjson.dumps(value, default=str)


def problem_response(error: LedgerError) -> Response:
    status = status_for(error)
    headers = {"WWW-Authenticate": AUTH_CHALLENGE} if status == 401 else None
    return Response(encode(problem_dict(error)), status, headers, media_type=PROBLEM_TYPE)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problems a route can answer with."""
    return {status: {"model": Problem, "description": DESCRIPTIONS[status]} for status in statuses}


async def _ledger_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LedgerError)
    on_problem = getattr(request.app.state, "on_problem", None)
    if on_problem is not None:
        on_problem(exc.code, status_for(exc))
    return problem_response(exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in err.get("loc", ())), "problem": str(err.get("msg"))}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"field": "request", "problem": "invalid"}
    return await _ledger_error(
        request, InvalidInput(f"{first['field']}: {first['problem']}", errors=errors)
    )


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    body = {
        "type": TYPE_PREFIX + code,
        "title": title_for(code),
        "status": exc.status_code,
        "detail": str(exc.detail),
        "code": code,
    }
    return Response(encode(body), exc.status_code, exc.headers, media_type=PROBLEM_TYPE)


async def _unexpected(_request: Request, exc: Exception) -> Response:
    error = LedgerError(f"internal error: {type(exc).__name__}", code="internal_error")
    return problem_response(error)


def install(app: FastAPI) -> None:
    """Answer every error the app raises with a problem (``app.state.on_problem(code, status)``
    is told of each ledger error, if set)."""
    app.add_exception_handler(LedgerError, _ledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
