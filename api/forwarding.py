"""Forwarding writes to the process that holds the writer, over loopback HTTP.

An API worker that does not hold the ledger's writer hands every write to the writer process
and returns its answer unchanged: the writer alone decides, groups and commits
(``docs/operations-network.md``). A bulk request is forwarded as it came (one request already
carries many entries). Single entries are coalesced: while a forwarding request is in flight,
the entries that arrive wait and go together in the next one, to the writer's internal route
``POST /internal/v1/submissions`` (``api.routes.internal``), which queues each as its own
submission, so they share one group commit and get their own replies. Without coalescing, the
HTTP round trip to the writer would cost each single entry more than applying it.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import orjson

from ledger.errors import RuleViolation
from node.writer import Reply

INTERNAL_PATH = "/internal/v1/submissions"
PASSED_ON = ("content-type", "idempotency-key")
"""Request headers a forwarded bulk request keeps (the writer needs nothing else)."""
MAX_BATCH = 1000
"""Single entries forwarded in one internal request, at most."""
MAX_IN_FLIGHT = 2
"""Internal requests under way at once: while one is committed, the next one fills."""


class Forwarder:
    """A pooled HTTP client to the writer process at ``base_url``."""

    def __init__(self, base_url: str, *, timeout: float = 120) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[Reply]]] = []
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def forward(self, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        """POST ``body`` to ``path`` on the writer as it came; its response as a Reply."""
        sent = {name: value for name, value in headers.items() if name.lower() in PASSED_ON}
        try:
            response = await self._client.post(path, content=body, headers=sent)
        except httpx.HTTPError as exc:
            raise _unreachable(self.base_url, exc) from exc
        return Reply(
            response.status_code,
            response.headers.get("content-type", "application/octet-stream"),
            response.content,
            replayed=response.headers.get("idempotent-replayed") == "true",
        )

    async def forward_entry(self, body: bytes, key: str | None) -> Reply:
        """Have the writer apply one entry (``POST /v1/entries``), coalesced with others."""
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._waiting.append(({"key": key, "body": base64.b64encode(body).decode()}, future))
        if self._in_flight < MAX_IN_FLIGHT:
            self._in_flight += 1
            task = asyncio.create_task(self._pump())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _pump(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                await self._send(batch)
        finally:
            self._in_flight -= 1

    async def _send(self, batch: list[tuple[dict[str, Any], asyncio.Future[Reply]]]) -> None:
        try:
            response = await self._client.post(
                INTERNAL_PATH,
                content=orjson.dumps([item for item, _ in batch]),
                headers={"content-type": "application/json"},
            )
            if response.status_code != 200:
                raise RuleViolation(
                    f"the writer answered {response.status_code} to forwarded entries",
                    code="writer_unavailable",
                )
            replies = [
                Reply(r["status"], r["content_type"], base64.b64decode(r["body"]), r["replayed"])
                for r in orjson.loads(response.content)
            ]
        except (httpx.HTTPError, RuleViolation, ValueError, KeyError, TypeError) as exc:
            error = exc if isinstance(exc, RuleViolation) else _unreachable(self.base_url, exc)
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), reply in zip(batch, replies, strict=True):
            if not future.done():
                future.set_result(reply)

    async def ready(self) -> bool:
        """Whether the writer process answers that it is ready."""
        try:
            response = await self._client.get("/readyz", timeout=5)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self._client.aclose()


def _unreachable(base_url: str, exc: Exception) -> RuleViolation:
    return RuleViolation(
        f"the writer at {base_url} did not answer: {type(exc).__name__}",
        code="writer_unavailable",
    )
