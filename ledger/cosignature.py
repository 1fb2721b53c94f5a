"""Ed25519 checkpoint cosignatures per C2SP tlog-cosignature (c2sp.org/tlog-cosignature), v1.

A cosignature is a note signature line on a checkpoint (section "Format") with signature type
0x04: its key hash is SHA-256(name || 0x0A || 0x04 || Ed25519 public key)[:4], and the bytes after
the key hash are a ``timestamped_signature``: the POSIX timestamp as 8 bytes big-endian, then the
64-byte Ed25519 signature. What is signed (section "Ed25519 signed message") is
``cosignature/v1\\ntime <timestamp>\\n`` followed by the whole checkpoint note text.

A cosignature states that, at that time, this was the largest consistent tree the cosigner had
seen for the origin. The ML-DSA-44 (type 0x06) variant is not implemented.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ledger.checkpoint import Checkpoint
from ledger.errors import InsufficientSignatures, InvalidInput, SignatureInvalid
from ledger.keys import SIGNATURE_SIZE, SigningKey, VerifyingKey
from ledger.note import (
    Note,
    NoteSignature,
    decode_verifier_key,
    encode_verifier_key,
    is_valid_name,
    key_hash,
    verify_note,
)

ALG_COSIGNATURE_V1 = 0x04
TIMESTAMP_SIZE = 8
MAX_TIMESTAMP = 2**63 - 1
COSIGNATURE_SIZE = TIMESTAMP_SIZE + SIGNATURE_SIZE
"""Bytes after the key hash in a v1 cosignature line: timestamp then Ed25519 signature."""


def cosigned_message(body: bytes, timestamp: int) -> bytes:
    """What a v1 cosigner signs: header line, time line, then the checkpoint note text ``body``.

    Requires ``0 <= timestamp <= 2^63 - 1``.
    """
    _check_timestamp(timestamp)
    return b"cosignature/v1\ntime %d\n" % timestamp + body


def split_cosignature(signature: bytes) -> tuple[int, bytes]:
    """Split the bytes after a cosignature's key hash into (timestamp, Ed25519 signature)."""
    if len(signature) != COSIGNATURE_SIZE:
        raise SignatureInvalid(f"wrong cosignature size {len(signature)}, want {COSIGNATURE_SIZE}")
    timestamp = int.from_bytes(signature[:TIMESTAMP_SIZE], "big")
    if timestamp > MAX_TIMESTAMP:
        raise SignatureInvalid(f"cosignature timestamp {timestamp} exceeds 2^63-1")
    return timestamp, signature[TIMESTAMP_SIZE:]


@dataclass(frozen=True)
class CosignatureVerifier:
    """A cosigner's Ed25519 key under signature type 0x04: name, 4-byte key hash, public key.

    Satisfies ``ledger.note.Verifier``, so notes can be checked against cosigners directly.
    """

    name: str
    key_hash: bytes
    public_key: VerifyingKey

    def __post_init__(self) -> None:
        if not is_valid_name(self.name):
            raise InvalidInput(f"invalid cosigner name {self.name!r}")
        want = key_hash(self.name, ALG_COSIGNATURE_V1, self.public_key.raw)
        if self.key_hash != want:
            raise InvalidInput(
                f"key hash {self.key_hash.hex()} does not match name and key, want {want.hex()}"
            )

    @classmethod
    def for_key(cls, name: str, public_key: VerifyingKey) -> CosignatureVerifier:
        return cls(name, key_hash(name, ALG_COSIGNATURE_V1, public_key.raw), public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        """Parse ``<name>+<hex key hash>+base64(0x04 || public key)``."""
        name, alg, key = decode_verifier_key(vkey)
        if alg != ALG_COSIGNATURE_V1:
            raise InvalidInput(f"verifier key has signature type {alg:#04x}, want 0x04")
        return cls.for_key(name, VerifyingKey(key))

    def vkey(self) -> str:
        return encode_verifier_key(self.name, ALG_COSIGNATURE_V1, self.public_key.raw)

    def verify(self, text: bytes, signature: bytes) -> None:
        """Check a cosignature (timestamp || signature) over note text ``text``."""
        timestamp, sig = split_cosignature(signature)
        try:
            self.public_key.verify(sig, cosigned_message(text, timestamp))
        except SignatureInvalid as exc:
            raise SignatureInvalid(
                f"invalid cosignature for key {self.name}+{self.key_hash.hex()}", key=self.name
            ) from exc


@dataclass(frozen=True)
class CosignatureSigner:
    """A cosigner (witness) Ed25519 signing key and the name it cosigns under."""

    name: str
    key: SigningKey
    key_hash: bytes = field(init=False)

    def __post_init__(self) -> None:
        if not is_valid_name(self.name):
            raise InvalidInput(f"invalid cosigner name {self.name!r}")
        pub = self.key.verifying_key.raw
        object.__setattr__(self, "key_hash", key_hash(self.name, ALG_COSIGNATURE_V1, pub))

    @classmethod
    def generate(cls, name: str) -> CosignatureSigner:
        return cls(name, SigningKey.generate())

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.key_hash, self.key.verifying_key)


def cosign(
    checkpoint: Checkpoint, witness_signer: CosignatureSigner, timestamp: int
) -> NoteSignature:
    """The witness's v1 cosignature line on ``checkpoint`` at POSIX time ``timestamp``."""
    sig = witness_signer.key.sign(cosigned_message(checkpoint.body(), timestamp))
    payload = timestamp.to_bytes(TIMESTAMP_SIZE, "big") + sig
    return NoteSignature(witness_signer.name, witness_signer.key_hash, payload)


def verify_cosignature(
    checkpoint: Checkpoint, signature: NoteSignature, witness_verifier: CosignatureVerifier
) -> int:
    """Check one cosignature line on ``checkpoint``; return its timestamp.

    Raises SignatureInvalid if the line is not from this witness's key or does not verify.
    """
    if (signature.name, signature.key_hash) != (witness_verifier.name, witness_verifier.key_hash):
        raise SignatureInvalid(
            f"cosignature is from key {signature.key_label}, "
            f"want {witness_verifier.name}+{witness_verifier.key_hash.hex()}"
        )
    witness_verifier.verify(checkpoint.body(), signature.signature)
    return split_cosignature(signature.signature)[0]


def require_cosignatures(
    note_bytes: bytes, witness_verifiers: Iterable[CosignatureVerifier], k: int
) -> list[tuple[str, int]]:
    """Enforce a k-of-n witness policy on a signed checkpoint; return (witness, timestamp) pairs.

    Every cosignature from a listed witness must verify, and at least ``k`` distinct witnesses
    (counted by name) must have cosigned. Other signature lines (the log's own, unknown
    witnesses) are ignored, so check the log's signature with ``open_checkpoint``. A witness
    that cosigned more than once is reported once, with its latest timestamp. Requires
    ``1 <= k <= number of witnesses``; raises MalformedNote, SignatureInvalid, or
    InsufficientSignatures.
    """
    verifiers = list(witness_verifiers)
    witnesses = {v.name for v in verifiers}
    if not 1 <= k <= len(witnesses):
        raise InvalidInput(f"required cosignatures {k}, want 1 to {len(witnesses)} witnesses")
    note = Note.parse(note_bytes)
    Checkpoint.from_text(note.text)
    try:
        verified = verify_note(note, verifiers)
    except InsufficientSignatures:
        verified = []
    # Count witnesses by name, so that a witness listed with two keys still counts once.
    latest: dict[str, int] = {}
    for sig in verified:
        timestamp = split_cosignature(sig.signature)[0]
        latest[sig.name] = max(timestamp, latest.get(sig.name, timestamp))
    if len(latest) < k:
        raise InsufficientSignatures(got=len(latest), want=k)
    return list(latest.items())


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise InvalidInput(f"timestamp must be an int, got {type(timestamp).__name__}")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise InvalidInput(f"timestamp {timestamp} out of range 0..2^63-1")
