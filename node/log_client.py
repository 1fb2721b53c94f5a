"""The client side of the log-replication API that followers and monitors read.

Routes (served by the sequencer's HTTP API): ``GET /v1/log/checkpoint`` (latest signed note,
with witness cosignatures), ``GET /v1/log/checkpoints/{size}``, ``GET /v1/log/entries?start=N&
limit=M`` (``{"records": [{"index", "record": base64}]}``, at most 1000), ``GET
/v1/log/proofs/consistency?from=A&to=B`` (``{"from", "to", "proof": [base64]}``) and ``GET
/v1/log/info``. Nothing here is trusted: the client only decodes, and the follower verifies.
A transport failure, an error status or a body that is not the protocol raises LogUnavailable.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import httpx

from node.errors import LogUnavailable

MAX_PAGE = 1000


class LogClient:
    """Reads one log's replication API at ``url``."""

    def __init__(self, url: str, *, http: httpx.Client | None = None, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self._http = http if http is not None else httpx.Client(timeout=timeout)
        self._owns_http = http is None

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def info(self) -> dict[str, Any]:
        data = self._json("/v1/log/info", {})
        if not isinstance(data, dict):
            raise LogUnavailable("log info is not a JSON object")
        return data

    def checkpoint(self, size: int | None = None) -> bytes:
        """The latest signed checkpoint note, or the one of ``size``."""
        path = "/v1/log/checkpoint" if size is None else f"/v1/log/checkpoints/{size}"
        return self._get(path, {}).content

    def records(self, start: int, limit: int) -> list[bytes]:
        """Up to ``limit`` records from index ``start``, in order (fewer at the log's end)."""
        if not 0 < limit <= MAX_PAGE:
            raise ValueError(f"page limit {limit}, want 1 to {MAX_PAGE}")
        data = self._json("/v1/log/entries", {"start": start, "limit": limit})
        items = data.get("records") if isinstance(data, dict) else None
        if not isinstance(items, list) or len(items) > limit:
            raise LogUnavailable(f"entries from {start}: want a list of at most {limit} records")
        records = []
        for position, item in enumerate(items):
            if not isinstance(item, dict) or item.get("index") != start + position:
                raise LogUnavailable(
                    f"entries from {start}: item {position} is not index {start + position}"
                )
            records.append(_b64(item.get("record"), f"record {start + position}"))
        return records

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        data = self._json("/v1/log/proofs/consistency", {"from": size1, "to": size2})
        proof = data.get("proof") if isinstance(data, dict) else None
        if not isinstance(proof, list):
            raise LogUnavailable(f"consistency proof {size1} -> {size2} has no proof list")
        return [_b64(node, "proof hash") for node in proof]

    def _json(self, path: str, params: dict[str, Any]) -> Any:
        response = self._get(path, params)
        try:
            return response.json()
        except ValueError as exc:
            raise LogUnavailable(f"{path}: the body is not JSON") from exc

    def _get(self, path: str, params: dict[str, Any]) -> httpx.Response:
        try:
            response = self._http.get(f"{self.url}{path}", params=params)
        except httpx.HTTPError as exc:
            raise LogUnavailable(f"{self.url}{path}: {exc}") from exc
        if response.status_code != 200:
            raise LogUnavailable(
                f"{path}: HTTP {response.status_code}: {response.text.strip()[:300]}",
                status=response.status_code,
            )
        return response


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise LogUnavailable(f"{what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise LogUnavailable(f"{what} is not base64") from exc
