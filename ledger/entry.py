"""Signed entries: the envelope every state change travels in, and the log record around it.

An entry is ``{"payload": P, "sigs": [S, ...]}`` in canonical encoding (``ledger.canonical``).
The payload names the ledger (its origin, so a signature cannot be replayed on another log),
the operation, the signing participant, that participant's sequence number (strictly
increasing: a replay is refused) and the operation's body. Each signature covers
``ENTRY_DOMAIN || canonical(P)`` and names the signing participant and key id; the first
signature is the payload signer's, further ones are co-signers' (a verifier, an authority, a
bank).

The sequencer wraps each accepted entry in a record ``{"entry": E, "index": i, "prev": h,
"time": t}``: ``prev`` is the hex SHA-256 of the previous record (a hash chain), ``time`` the
sequencing time in Unix milliseconds. The record bytes are the Merkle leaf.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger import canonical
from ledger.errors import EncodingError, InvalidInput
from ledger.keys import SigningKey

ENTRY_DOMAIN = b"carbonledger/entry/v1\n"
MAX_SIGNATURES = 4
GENESIS_PREV = "0" * 64
_PAYLOAD_KEYS = frozenset({"body", "ledger", "op", "seq", "signer"})
_SIG_KEYS = frozenset({"key", "sig", "signer"})


@dataclass(frozen=True, slots=True)
class Signature:
    signer: str
    key: str
    sig: bytes

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "sig": base64.b64encode(self.sig).decode(), "signer": self.signer}


@dataclass(frozen=True, slots=True)
class Entry:
    """A decoded, well-formed (not yet authenticated) entry and its canonical bytes."""

    ledger: str
    op: str
    signer: str
    seq: int
    body: dict[str, Any]
    signatures: tuple[Signature, ...]
    raw: bytes
    message: bytes
    """What every signature covers: ENTRY_DOMAIN followed by the canonical payload."""

    @property
    def hash(self) -> bytes:
        return hashlib.sha256(self.raw).digest()


def signing_message(payload: dict[str, Any]) -> bytes:
    return ENTRY_DOMAIN + canonical.encode(payload)


def build_entry(
    ledger: str,
    op: str,
    signer: str,
    seq: int,
    body: dict[str, Any],
    keys: Sequence[tuple[str, str, SigningKey]],
) -> bytes:
    """Canonical bytes of a signed entry; ``keys`` are (participant, key id, key) in order."""
    payload = {"body": body, "ledger": ledger, "op": op, "seq": seq, "signer": signer}
    message = signing_message(payload)
    sigs = [Signature(pid, kid, key.sign(message)).to_json() for pid, kid, key in keys]
    return canonical.encode({"payload": payload, "sigs": sigs})


def add_signature(entry_raw: bytes, participant: str, key_id: str, key: SigningKey) -> bytes:
    """``entry_raw`` with a co-signature by ``participant`` appended, over the same payload.

    This is the offline co-signing step of a verifier, authority or bank. It checks the entry's
    shape, not its existing signatures (the co-signer may not know those keys). Raises
    InvalidInput if ``participant`` already signed or the entry has MAX_SIGNATURES already.
    """
    entry = parse_entry(entry_raw)
    if any(s.signer == participant for s in entry.signatures):
        raise InvalidInput(f"{participant!r} has already signed this entry", code="already_signed")
    if len(entry.signatures) >= MAX_SIGNATURES:
        raise InvalidInput(f"an entry carries at most {MAX_SIGNATURES} signatures")
    sigs = [s.to_json() for s in entry.signatures]
    sigs.append(Signature(participant, key_id, key.sign(entry.message)).to_json())
    payload = canonical.decode(entry_raw)["payload"]
    return canonical.encode({"payload": payload, "sigs": sigs})


def parse_entry(raw: bytes) -> Entry:
    """Decode and shape-check an entry. Raises InvalidInput or EncodingError."""
    value = canonical.decode(raw)
    if not isinstance(value, dict) or set(value) != {"payload", "sigs"}:
        raise InvalidInput("an entry is an object with exactly 'payload' and 'sigs'")
    payload, sigs = value["payload"], value["sigs"]
    if not isinstance(payload, dict) or set(payload) != _PAYLOAD_KEYS:
        raise InvalidInput(f"a payload has exactly the fields {sorted(_PAYLOAD_KEYS)}")
    ledger, op, signer, seq, body = (
        payload["ledger"],
        payload["op"],
        payload["signer"],
        payload["seq"],
        payload["body"],
    )
    if not (isinstance(ledger, str) and isinstance(op, str) and isinstance(signer, str)):
        raise InvalidInput("payload ledger, op and signer must be strings")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise InvalidInput(f"payload seq must be a positive integer, got {seq!r}")
    if not isinstance(body, dict):
        raise InvalidInput("payload body must be an object")
    if not isinstance(sigs, list) or not 1 <= len(sigs) <= MAX_SIGNATURES:
        raise InvalidInput(f"an entry carries 1 to {MAX_SIGNATURES} signatures")
    signatures = tuple(_parse_signature(s) for s in sigs)
    if signatures[0].signer != signer:
        raise InvalidInput("the first signature must be the payload signer's")
    if len({s.signer for s in signatures}) != len(signatures):
        raise InvalidInput("a participant signs an entry at most once")
    return Entry(ledger, op, signer, seq, body, signatures, raw, _message(raw, sigs))


_ENTRY_HEAD = b'{"payload":'
_SIGS_KEY = b',"sigs":'


def _message(raw: bytes, sigs: list[Any]) -> bytes:
    """What the signatures of the canonical entry ``raw`` cover, without encoding its payload
    again: ``raw`` is ``{"payload":P,"sigs":S}`` byte for byte, so P is ``raw`` less its head
    and the (small) encoding of S with its key and closing brace."""
    tail = b"".join((_SIGS_KEY, canonical.encode_decoded(sigs), b"}"))
    if not (raw.startswith(_ENTRY_HEAD) and raw.endswith(tail)):
        raise EncodingError("entry bytes are not {payload, sigs} in canonical form")
    return b"".join((ENTRY_DOMAIN, memoryview(raw)[len(_ENTRY_HEAD) : len(raw) - len(tail)]))


def _parse_signature(value: Any) -> Signature:
    if not isinstance(value, dict) or value.keys() != _SIG_KEYS:
        raise InvalidInput(f"a signature has exactly the fields {sorted(_SIG_KEYS)}")
    signer, key, encoded = value["signer"], value["key"], value["sig"]
    if not (type(signer) is str and type(key) is str and type(encoded) is str):
        raise InvalidInput("signature fields are strings")
    try:
        sig = binascii.a2b_base64(encoded, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("signature is not base64") from exc
    # One text per signature: padding past the last byte, or bits set in the padding, would
    # give the same signature another entry hash.
    if binascii.b2a_base64(sig, newline=False) != encoded.encode():
        raise InvalidInput("signature is not in canonical base64 (padded, no stray bits)")
    return Signature(signer, key, sig)


def record_bytes(entry_raw: bytes, index: int, prev_hash: bytes, time_ms: int) -> bytes:
    """Canonical bytes of the log record wrapping ``entry_raw`` (keys already in order)."""
    return b"".join(
        (
            b'{"entry":',
            entry_raw,
            b',"index":',
            str(index).encode(),
            b',"prev":"',
            prev_hash.hex().encode(),
            b'","time":',
            str(time_ms).encode(),
            b"}",
        )
    )


@dataclass(frozen=True, slots=True)
class Record:
    """A log record: an entry at its index, chained to the previous record."""

    index: int
    prev_hash: bytes
    time_ms: int
    entry_raw: bytes

    @property
    def raw(self) -> bytes:
        return record_bytes(self.entry_raw, self.index, self.prev_hash, self.time_ms)


def parse_record(raw: bytes) -> Record:
    """Decode a log record, checking it is canonical. Raises EncodingError or InvalidInput."""
    value = canonical.decode(raw)
    if not isinstance(value, dict) or set(value) != {"entry", "index", "prev", "time"}:
        raise InvalidInput("a record has exactly 'entry', 'index', 'prev' and 'time'")
    try:
        prev = bytes.fromhex(value["prev"])
    except (TypeError, ValueError) as exc:
        raise EncodingError("record prev is not hex") from exc
    index, time_ms = value["index"], value["time"]
    if not (type(index) is int and type(time_ms) is int):
        raise EncodingError("record bytes are not canonical")
    # ``raw`` is canonical, so the entry is the bytes between the record's head and its tail.
    tail = record_bytes(b"", index, prev, time_ms)[len(_RECORD_HEAD) :]
    if not (raw.startswith(_RECORD_HEAD) and raw.endswith(tail)):
        raise EncodingError("record bytes are not canonical")
    return Record(index, prev, time_ms, raw[len(_RECORD_HEAD) : len(raw) - len(tail)])


_RECORD_HEAD = b'{"entry":'
