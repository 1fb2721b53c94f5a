"""Stored responses to write requests that carried an ``Idempotency-Key``.

The writer inserts a key's row in the same transaction as the entries of its request, so a
key is stored exactly when its entries are durable: a retry finds either nothing (and the
request is processed, its entries acknowledged as duplicates if they were appended after all)
or the original response, returned unchanged. A key is bound to its request by a fingerprint,
the SHA-256 of method, path and body, so it cannot be reused for another request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from ledger.storage import schema


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The response first given to a request, and the fingerprint of that request."""

    fingerprint: bytes
    status: int
    content_type: str
    body: bytes


def fingerprint(method: str, path: str, body: bytes) -> bytes:
    """SHA-256 binding an idempotency key to one request: method, path and body bytes."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), hashlib.sha256(body).digest()):
        digest.update(len(part).to_bytes(4, "big") + part)
    return digest.digest()


def find(conn: Connection, keys: Collection[str]) -> dict[str, StoredResponse]:
    """The stored responses of those of ``keys`` that were committed."""
    if not keys:
        return {}
    k = schema.idempotency_keys
    query = select(k.c.key, k.c.fingerprint, k.c.status, k.c.content_type, k.c.body).where(
        k.c.key.in_(list(keys))
    )
    return {
        row.key: StoredResponse(
            bytes(row.fingerprint), row.status, row.content_type, bytes(row.body)
        )
        for row in conn.execute(query)
    }


def store(conn: Connection, rows: Sequence[tuple[str, StoredResponse]], now_ms: int) -> None:
    """Insert ``(key, response)`` rows on ``conn``, in its open transaction."""
    if not rows:
        return
    conn.execute(
        insert(schema.idempotency_keys),
        [
            {
                "key": key,
                "fingerprint": response.fingerprint,
                "status": response.status,
                "content_type": response.content_type,
                "body": response.body,
                "created_ms": now_ms,
            }
            for key, response in rows
        ],
    )
