"""The fast path of the hottest requests: a single entry, an inclusion proof, a holding.

In this FastAPI, a request is matched against every route of every included router in turn,
then its dependencies are solved, a sync handler is hopped onto anyio's thread pool and a
result is validated through the response model: more CPU than the database work of a read
(about 1 ms a request in all, ``scripts/bench_api.py``). This middleware answers three routes
itself, when it can check the request completely with the route's own constraints:

- ``POST /v1/entries``: a JSON content type, a Content-Length within ``max_entry_bytes``, at
  most one well-formed Idempotency-Key; the entry goes to the same ``WritePath`` as the route's
  (the writer, or the forwarder to it), and its reply or problem is sent as the route sends it;
  the same for the writer's internal route of coalesced entries (``api.routes.internal``);
- ``GET /v1/log/proofs/inclusion`` and ``GET /v1/accounts/{account_id}/holdings``: every
  parameter present at most once, known and in range, the four signature headers present once
  each and well formed; answered with ``api.reads`` (a connection per thread, statements
  compiled once) and orjson.

Anything else (a parameter missing, repeated, unknown or out of range, an unsigned request, a
signature that does not verify, an account the caller may not read, a tree size beyond the
log, a database error on a read, another content type, a chunked body) goes on to the FastAPI
route, which answers it, errors included, exactly as without this path. The routes stay
declared there, so the OpenAPI document is unchanged, and what this path sends is what the
route would (``tests/api/test_fastpath.py``).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from api import auth, reads
from api.deps import ID_PATTERN, MAX_POSITION, TEXT_PATTERN
from api.forwarding import INTERNAL_PATH
from api.problems import problem_response, status_for
from api.reads import Connection, Declined, HotReads
from api.routes import internal
from api.schemas import page
from api.settings import Settings
from api.submissions import (
    ENTRY_PATH,
    ENTRY_TYPES,
    IDEMPOTENCY_KEY,
    IDEMPOTENCY_KEY_PATTERN,
    WritePath,
    to_response,
)
from ledger.errors import LedgerError
from ledger.queries import DEFAULT_LIMIT, MAX_LIMIT

PROOF_PATH = "/v1/log/proofs/inclusion"
ACCOUNTS = "/v1/accounts/"
HOLDINGS = "/holdings"
_ID = re.compile(ID_PATTERN)
_TEXT = re.compile(TEXT_PATTERN)
_INT = re.compile(r"[0-9]{1,19}")
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
_KEY_HEADER = IDEMPOTENCY_KEY.lower().encode("latin-1")
_SIGNATURE_HEADERS = {name.lower().encode("latin-1"): name for name in auth.HEADERS}
_JSON_HEADERS = [(b"content-type", b"application/json")]
MAX_HEADER = 200
"""The signature headers' ``max_length`` in ``api.deps``."""


class FastPath:
    """ASGI middleware in front of the routes; ``hot_reads()`` is None until the app started."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        hot_reads: Callable[[], HotReads | None],
        routes: Mapping[str, BaseRoute],
    ) -> None:
        self.app = app
        self._settings = settings
        self._hot_reads = hot_reads
        self._entry_route = routes[ENTRY_PATH]
        self._internal_route = routes[INTERNAL_PATH]
        self._proof_route = routes[PROOF_PATH]
        self._holdings_route = routes[ACCOUNTS + "{account_id}" + HOLDINGS]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and scope["path"] in (ENTRY_PATH, INTERNAL_PATH):
            if not await self._write(scope, receive, send):
                await self.app(scope, receive, send)
            return
        hot = self._hot_reads()
        if hot is not None and scope["method"] == "GET":
            path: str = scope["path"]
            body: bytes | None = None
            if path == PROOF_PATH:
                body = await self._proof(hot, scope)
                route = self._proof_route
            elif path.startswith(ACCOUNTS) and path.endswith(HOLDINGS):
                body = await self._holdings(hot, scope, path[len(ACCOUNTS) : -len(HOLDINGS)])
                route = self._holdings_route
            if body is not None:
                scope["route"] = route  # the template, for the latency metric
                headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Whether the write was answered here (if not, nothing was read of the request)."""
        writes: WritePath | None = getattr(scope["app"].state, "writes", None)
        if writes is None:
            return False
        length: int | None = None
        key: str | None = None
        media: str | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                if length is not None or not value.isdigit():
                    return False
                length = int(value)
            elif name == b"content-type":
                if media is not None:
                    return False
                media = value.decode("latin-1").split(";", 1)[0].strip().lower()
            elif name == _KEY_HEADER:
                text = value.decode("latin-1")
                if key is not None or not 0 < len(text) <= 255 or not _KEY.fullmatch(text):
                    return False
                key = text
            elif name == b"transfer-encoding":
                return False
        entry = scope["path"] == ENTRY_PATH
        limit = self._settings.max_entry_bytes if entry else internal.max_body(self._settings)
        if media not in ENTRY_TYPES or length is None or length > limit:
            return False
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return True  # nobody to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        state = scope["app"].state
        try:
            if entry:
                response = to_response(await writes.submit_entry(body, key))
            else:
                response = await internal.answer(body, writes, self._settings, state.metrics)
        except LedgerError as exc:
            # What the app's handler of LedgerError does (``api.problems``).
            state.on_problem(exc.code, status_for(exc))
            response = problem_response(exc)
        scope["route"] = self._entry_route if entry else self._internal_route
        await response(scope, receive, send)
        return True

    async def _proof(self, hot: HotReads, scope: Scope) -> bytes | None:
        query = _query(scope, frozenset({"index", "size"}))
        if query is None:
            return None
        index = _integer(query.get("index"), 0)
        size = _integer(query.get("size"), 1)
        if index is None or size is None:
            return None
        found = await _answer(hot, lambda conn: reads.inclusion_proof(conn, index, size))
        if found is None:
            return None
        found["proof"] = [_b64(digest) for digest in found["proof"]]
        found["root"] = _b64(found["root"])
        return orjson.dumps(found)

    async def _holdings(self, hot: HotReads, scope: Scope, account_id: str) -> bytes | None:
        if not _ID.fullmatch(account_id):
            return None
        query = _query(scope, frozenset({"status", "batch", "limit", "offset"}))
        if query is None:
            return None
        limit = _integer(query.get("limit", str(DEFAULT_LIMIT)), 1, MAX_LIMIT)
        offset = _integer(query.get("offset", "0"), 0)
        status, batch = query.get("status"), query.get("batch")
        if limit is None or offset is None:
            return None
        if any(value is not None and not _ID.fullmatch(value) for value in (status, batch)):
            return None
        headers = _signature(scope)
        if headers is None:
            return None
        raw_path = scope.get("raw_path")
        target = raw_path.decode("latin-1") if raw_path else scope["path"]
        query_string = scope.get("query_string", b"").decode("latin-1")
        if query_string:
            target = f"{target}?{query_string}"
        max_age_s = self._settings.request_max_age_s

        def work(conn: Connection) -> dict[str, Any]:
            caller = auth.check_request(
                lambda key_id: reads.key(conn, key_id),
                "GET",
                target,
                b"",
                headers,
                max_age_s=max_age_s,
            )
            assert caller is not None  # every signature header is there
            # The order of ``api.deps.readable_account``: who asks, the account, may they.
            parties = reads.account_parties(conn, account_id)
            if caller.participant not in parties and not reads.administers_a_program(
                conn, caller.participant
            ):
                raise Declined
            items = reads.holdings(
                conn, account_id, status=status, batch=batch, limit=limit, offset=offset
            )
            return page(items, limit, offset)

        found = await _answer(hot, work)
        return None if found is None else orjson.dumps(found)


async def _answer(
    hot: HotReads, work: Callable[[Connection], dict[str, Any]]
) -> dict[str, Any] | None:
    """``work``'s result, or None when the full route must answer."""
    declined: tuple[type[Exception], ...] = (Declined, LedgerError, *hot.errors)
    try:
        return await hot.run(work)
    except declined:
        return None


def _query(scope: Scope, known: frozenset[str]) -> dict[str, str] | None:
    """The query's parameters, as Starlette decodes them; None if one is unknown or repeated."""
    text = scope.get("query_string", b"").decode("latin-1")
    found: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        if name not in known or name in found:
            return None
        found[name] = value
    return found


def _integer(text: str | None, least: int, most: int = MAX_POSITION) -> int | None:
    if text is None or not _INT.fullmatch(text):
        return None
    value = int(text)
    return value if least <= value <= most else None


def _signature(scope: Scope) -> dict[str, str | None] | None:
    """The four signature headers, each once and as ``api.deps`` constrains them; or None."""
    found: dict[str, str | None] = {}
    for name, value in scope["headers"]:
        header = _SIGNATURE_HEADERS.get(name)
        if header is None:
            continue
        text = value.decode("latin-1")
        if header in found or len(text) > MAX_HEADER or not _TEXT.fullmatch(text):
            return None
        found[header] = text
    return found if len(found) == len(auth.HEADERS) else None


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()
