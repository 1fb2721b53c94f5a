"""Forwarding writes to the process that holds the writer, over loopback HTTP.

An API worker that does not hold the ledger's writer sends each write request, body and
``Idempotency-Key`` unchanged, to the writer process and returns its response unchanged: the
writer alone decides, groups and commits (``docs/operations-network.md``).
"""

from __future__ import annotations

import httpx

from ledger.errors import RuleViolation
from node.writer import Reply

PASSED_ON = ("content-type", "idempotency-key")
"""Request headers a forwarded write keeps (the writer needs nothing else)."""


class Forwarder:
    """A pooled HTTP client to the writer process at ``base_url``."""

    def __init__(self, base_url: str, *, timeout: float = 120) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )

    async def forward(self, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        """POST ``body`` to ``path`` on the writer; its response as a Reply."""
        sent = {name: value for name, value in headers.items() if name.lower() in PASSED_ON}
        try:
            response = await self._client.post(path, content=body, headers=sent)
        except httpx.HTTPError as exc:
            raise RuleViolation(
                f"the writer at {self.base_url} did not answer: {type(exc).__name__}",
                code="writer_unavailable",
            ) from exc
        return Reply(
            response.status_code,
            response.headers.get("content-type", "application/octet-stream"),
            response.content,
            replayed=response.headers.get("idempotent-replayed") == "true",
        )

    async def ready(self) -> bool:
        """Whether the writer process answers that it is ready."""
        try:
            response = await self._client.get("/readyz", timeout=5)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self._client.aclose()
