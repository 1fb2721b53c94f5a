"""Write requests: reading and checking their bodies, handing them to the writer (or to the
process that holds it), and rendering the replies the writer commits with the entries.

``POST /v1/entries`` takes one canonical entry (``application/json``): its bytes are the entry,
exactly as sent. ``POST /v1/entries/bulk`` takes NDJSON (``application/x-ndjson``): one
canonical entry per line, a final newline optional. Replies are rendered on the writer thread,
before the commit, because a request's idempotency record stores its reply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from api.forwarding import Forwarder
from api.metrics import Metrics
from api.problems import PROBLEM_TYPE, problem_dict, status_for
from ledger.errors import InvalidInput, LedgerError, RuleViolation
from ledger.log import Outcome, Rejected
from ledger.storage.idempotency import fingerprint
from node.writer import GroupWriter, Reply, Submission

JSON = "application/json"
ENTRY_TYPES = frozenset({JSON})
BULK_TYPES = frozenset({"application/x-ndjson", "application/jsonl"})
IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e][\x20-\x7e]*$"
"""1 to 255 printable ASCII characters, the first not a space."""
ENTRY_PATH = "/v1/entries"
REPLAYED = "Idempotent-Replayed"


def require_media_type(request: Request, allowed: frozenset[str]) -> None:
    """Raise ``unsupported_media_type`` unless the request's Content-Type is in ``allowed``."""
    given = request.headers.get("content-type", "")
    media = given.split(";", 1)[0].strip().lower()
    if media not in allowed:
        want = " or ".join(sorted(allowed))
        raise LedgerError(
            f"content type {given or '(none)'!r} is not accepted here, want {want}",
            code="unsupported_media_type",
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body; ``payload_too_large`` past ``limit`` bytes (read no further)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> LedgerError:
    return LedgerError(f"the request body is over {limit} bytes", code="payload_too_large")


def split_lines(body: bytes, *, max_entries: int, max_entry_bytes: int) -> list[bytes]:
    """The entries of an NDJSON body, one per line (an empty line is refused on its own)."""
    if not body:
        raise InvalidInput("the request body is empty: want one canonical entry per line")
    lines = body.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    if len(lines) > max_entries:
        raise LedgerError(
            f"{len(lines)} lines in one request, at most {max_entries}", code="payload_too_large"
        )
    for number, line in enumerate(lines):
        if len(line) > max_entry_bytes:
            raise LedgerError(
                f"line {number} has {len(line)} bytes, at most {max_entry_bytes}",
                code="payload_too_large",
            )
    return lines


def render_single(outcomes: Sequence[Outcome]) -> Reply:
    """201 and the entry's place in the log; 200 for a duplicate; the problem if refused."""
    (outcome,) = outcomes
    if isinstance(outcome, Rejected):
        return problem_reply(outcome.error)
    event = outcome.event
    body = {
        "index": outcome.index,
        "entry_hash": outcome.entry_hash.hex(),
        "duplicate": outcome.duplicate,
        "event": None if event is None else {"op": event.op, "data": event.data},
    }
    return Reply(200 if outcome.duplicate else 201, JSON, _dumps(body))


def render_bulk(outcomes: Sequence[Outcome]) -> Reply:
    """200 and one result per line: its log index, or the problem that refused it."""
    results: list[dict[str, Any]] = []
    appended = duplicates = rejected = 0
    for line, outcome in enumerate(outcomes):
        if isinstance(outcome, Rejected):
            rejected += 1
            results.append({"line": line, "problem": problem_dict(outcome.error)})
        else:
            if outcome.duplicate:
                duplicates += 1
            else:
                appended += 1
            results.append({"line": line, "index": outcome.index, "duplicate": outcome.duplicate})
    body = {
        "accepted": appended,
        "duplicates": duplicates,
        "rejected": rejected,
        "results": results,
    }
    return Reply(200, JSON, _dumps(body))


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=str)


def to_response(reply: Reply) -> Response:
    headers = {REPLAYED: "true"} if reply.replayed else None
    return Response(reply.body, reply.status, headers, media_type=reply.content_type)


class WritePath:
    """Where this process sends writes: its own writer, or the process that holds it."""

    def __init__(
        self, writer: GroupWriter | None, forwarder: Forwarder | None, metrics: Metrics
    ) -> None:
        self.writer = writer
        self.forwarder = forwarder
        self.metrics = metrics

    async def submit(
        self,
        request: Request,
        body: bytes,
        parse: Callable[[bytes], list[bytes]],
        render: Callable[[Sequence[Outcome]], Reply],
    ) -> Reply:
        """Apply the entries ``parse`` finds in ``body`` (or forward the request); the reply."""
        path, key = request.url.path, request.headers.get(IDEMPOTENCY_KEY)
        if self.forwarder is None:
            reply = await self.apply(path, body, key, parse, render)
        elif path == ENTRY_PATH:
            reply = await self.forwarder.forward_entry(body, key)
        else:
            reply = await self.forwarder.forward(path, body, dict(request.headers))
        if reply.replayed:
            self.metrics.idempotent_replays.inc()
        return reply

    async def submit_entry(self, body: bytes, key: str | None) -> Reply:
        """``POST /v1/entries`` of ``body`` (one entry) with idempotency key ``key``: ``submit``
        without the request (the route and ``api.fastpath`` both call it)."""
        if self.forwarder is None:
            reply = await self.apply(ENTRY_PATH, body, key, _one, render_single)
        else:
            reply = await self.forwarder.forward_entry(body, key)
        if reply.replayed:
            self.metrics.idempotent_replays.inc()
        return reply

    async def apply(
        self,
        path: str,
        body: bytes,
        key: str | None,
        parse: Callable[[bytes], list[bytes]],
        render: Callable[[Sequence[Outcome]], Reply],
    ) -> Reply:
        """Have this process's writer apply the entries of a request to ``path``."""
        if self.writer is None:
            raise RuleViolation("this process serves reads only", code="writer_unavailable")
        raws = parse(body)
        stamp = fingerprint("POST", path, body) if key is not None else b""
        return await self.writer.submit(Submission(raws, render, key, stamp))

    async def ready(self) -> bool:
        if self.forwarder is not None:
            return await self.forwarder.ready()
        return self.writer is not None and self.writer.alive


def _one(body: bytes) -> list[bytes]:
    return [body]


def problem_reply(error: LedgerError) -> Reply:
    """``error`` as a reply, for a request answered inside a batch."""
    return Reply(status_for(error), PROBLEM_TYPE, _dumps(problem_dict(error)))
