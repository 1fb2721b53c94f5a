"""A stand-in for the sequencer's log-replication API, served from a ``Ledger`` in memory.

``FakeLog.client()`` is a ``node.log_client.LogClient`` whose transport is an
``httpx.MockTransport`` calling ``handle``: no sockets, no threads. A test makes the log
misbehave by setting ``checkpoint_note`` (served as the latest checkpoint), ``notes`` (by size),
``records`` (a record served instead of the stored one) or ``proofs`` (a consistency proof), or
makes it unreachable with ``down``.
"""

from __future__ import annotations

import base64
import re

import httpx

from ledger.errors import LedgerError
from ledger.log import Ledger
from ledger.queries.records import records_from
from node.log_client import LogClient

BASE_URL = "http://log.test"
_CHECKPOINT_AT = re.compile(r"/v1/log/checkpoints/(\d+)")


class FakeLog:
    """Serves ``ledger`` the way the sequencer's API does, with knobs for misbehaving."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.checkpoint_note: bytes | None = None
        self.notes: dict[int, bytes] = {}
        self.records: dict[int, bytes] = {}
        self.proofs: dict[tuple[int, int], list[bytes]] = {}
        self.down = False
        self.requests: list[str] = []

    def client(self) -> LogClient:
        return LogClient(BASE_URL, http=httpx.Client(transport=httpx.MockTransport(self.handle)))

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, query = request.url.path, request.url.params
        self.requests.append(path)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        try:
            if path == "/v1/log/checkpoint":
                note = self.checkpoint_note or self.ledger.checkpoint()
                return httpx.Response(200, content=note)
            if (match := _CHECKPOINT_AT.fullmatch(path)) is not None:
                size = int(match.group(1))
                return httpx.Response(
                    200, content=self.notes.get(size) or self.ledger.checkpoint(size)
                )
            if path == "/v1/log/entries":
                found = records_from(self.ledger.engine, int(query["start"]), int(query["limit"]))
                items = [
                    {"index": i, "record": _b64(self.records.get(i) or record)}
                    for i, record in found
                ]
                return httpx.Response(200, json={"records": items})
            if path == "/v1/log/proofs/consistency":
                a, b = int(query["from"]), int(query["to"])
                proof = self.proofs.get((a, b)) or self.ledger.consistency_proof(a, b)
                return httpx.Response(
                    200, json={"from": a, "to": b, "proof": [_b64(n) for n in proof]}
                )
        except LedgerError as exc:
            return httpx.Response(404, json={"error": exc.to_dict()})
        return httpx.Response(404, json={"error": {"code": "not_found"}})


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
