"""Signed requests: reads that only some participants may see are signed with their Ed25519 keys.

A request carries four headers: ``X-Carbonledger-Participant`` (who signs),
``X-Carbonledger-Key`` (the key id, as registered in the ledger), ``X-Carbonledger-Timestamp``
(Unix seconds) and ``X-Carbonledger-Signature`` (base64 Ed25519 signature) over::

    carbonledger/request/v1\\n<METHOD>\\n<path?query as sent>\\n<timestamp>\\n<hex SHA-256 of body>

A timestamp more than ``max_age_s`` away from the server's clock is refused (``stale_request``),
as is a key that is unknown, belongs to someone else or is revoked (``key_revoked``). A signed
request may be repeated within its window; only reads accept them, and a read changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, select

from ledger.client import Identity
from ledger.errors import InvalidInput, LedgerError, RuleViolation, SignatureInvalid
from ledger.keys import verify_one
from ledger.storage import schema

REQUEST_DOMAIN = b"carbonledger/request/v1\n"
PARTICIPANT = "X-Carbonledger-Participant"
KEY = "X-Carbonledger-Key"
TIMESTAMP = "X-Carbonledger-Timestamp"
SIGNATURE = "X-Carbonledger-Signature"
HEADERS = (PARTICIPANT, KEY, TIMESTAMP, SIGNATURE)


@dataclass(frozen=True, slots=True)
class Caller:
    """A participant whose request signature verified under one of its live keys."""

    participant: str
    key_id: str


@dataclass(frozen=True, slots=True)
class KeyRow:
    """A registered signing key as the request check needs it."""

    participant: str
    public_key: bytes
    revoked_at: int | None


def engine_key_lookup(engine: Engine) -> Callable[[str], KeyRow | None]:
    """Look keys up in ``engine``'s ledger, a connection per lookup."""

    def lookup(key_id: str) -> KeyRow | None:
        k = schema.keys
        with engine.connect() as conn:
            row = conn.execute(
                select(k.c.participant, k.c.public_key, k.c.revoked_at).where(k.c.key_id == key_id)
            ).first()
        return (
            None if row is None else KeyRow(row.participant, bytes(row.public_key), row.revoked_at)
        )

    return lookup


def signing_message(method: str, target: str, timestamp: int, body: bytes) -> bytes:
    """The bytes a request signature covers; ``target`` is the path and query as sent."""
    lines = (method.upper(), target, str(timestamp), hashlib.sha256(body).hexdigest())
    return REQUEST_DOMAIN + "\n".join(lines).encode()


def sign_request(
    identity: Identity, method: str, target: str, body: bytes = b"", *, now: int | None = None
) -> dict[str, str]:
    """The headers that sign a request for ``identity`` (the client's side)."""
    timestamp = int(time.time()) if now is None else now
    sig = identity.key.sign(signing_message(method, target, timestamp, body))
    return {
        PARTICIPANT: identity.participant,
        KEY: identity.key_id,
        TIMESTAMP: str(timestamp),
        SIGNATURE: base64.b64encode(sig).decode(),
    }


def authenticate(
    engine: Engine,
    method: str,
    target: str,
    body: bytes,
    headers: Mapping[str, str | None],
    *,
    max_age_s: int,
    now: float | None = None,
) -> Caller | None:
    """The caller whose signature ``headers`` carry, or None when the request is unsigned.

    Raises ``authentication_required`` (headers incomplete), ``invalid_input`` (malformed
    values), ``stale_request``, ``unknown_key``, ``bad_signature`` or ``key_revoked``.
    """
    return check_request(
        engine_key_lookup(engine), method, target, body, headers, max_age_s=max_age_s, now=now
    )


def check_request(
    lookup: Callable[[str], KeyRow | None],
    method: str,
    target: str,
    body: bytes,
    headers: Mapping[str, str | None],
    *,
    max_age_s: int,
    now: float | None = None,
) -> Caller | None:
    """``authenticate``, finding keys with ``lookup`` (key id to its row, or None)."""
    given = {name: headers.get(name) for name in HEADERS}
    if all(value is None for value in given.values()):
        return None
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise LedgerError(
            f"a signed request carries all of {', '.join(HEADERS)}; missing {', '.join(missing)}",
            code="authentication_required",
        )
    participant, key_id = str(given[PARTICIPANT]), str(given[KEY])
    timestamp = _timestamp(str(given[TIMESTAMP]))
    clock = time.time() if now is None else now
    if abs(clock - timestamp) > max_age_s:
        raise LedgerError(
            f"request timestamp {timestamp} is more than {max_age_s} s from the server's "
            f"{int(clock)}",
            code="stale_request",
        )
    try:
        sig = base64.b64decode(str(given[SIGNATURE]), validate=True)
    except binascii.Error as exc:
        raise SignatureInvalid("the request signature is not base64") from exc
    row = lookup(key_id)
    if row is None:
        raise LedgerError(f"key {key_id!r} is not registered", code="unknown_key")
    if row.participant != participant:
        raise SignatureInvalid(f"key {key_id} belongs to {row.participant!r}, not {participant!r}")
    if row.revoked_at is not None:
        raise RuleViolation(
            f"key {key_id} was revoked at entry {row.revoked_at}", code="key_revoked"
        )
    if not verify_one(row.public_key, sig, signing_message(method, target, timestamp, body)):
        raise SignatureInvalid(f"the request signature does not verify under key {key_id}")
    return Caller(participant, key_id)


def _timestamp(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise InvalidInput(f"{TIMESTAMP} must be Unix seconds, got {text[:20]!r}")
    return int(text)
