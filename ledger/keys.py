"""Ed25519 keys (RFC 8032) for every signature the ledger makes or checks.

Signing and key generation use ``cryptography`` (OpenSSL). Verification uses libsodium through
PyNaCl, measured by ``scripts/bench_signatures.py`` at about twice the throughput of OpenSSL on
the same signatures. Both follow RFC 8032 for honestly made signatures; libsodium is stricter on
degenerate ones (it refuses small-order public keys and non-canonical points), which only makes
verification refuse more.

``key_id`` names a participant's key inside the ledger. It is not the 4-byte key hash of a signed
note (``ledger.note``), which also commits to a key name and a signature type.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import nacl.bindings
import nacl.exceptions
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.errors import InvalidInput, SignatureInvalid
from ledger.types import KeyId

PUBLIC_KEY_SIZE = 32
SEED_SIZE = 32
SIGNATURE_SIZE = 64
KEY_ID_BYTES = 8

PARALLEL_MIN_BATCH = 256
"""Below this many signatures, a thread pool costs more than it saves."""


def key_id(pub: bytes) -> KeyId:
    """The ledger's identifier for a raw Ed25519 public key: hex of SHA-256(pub)[:8].

    Requires ``len(pub) == 32``.
    """
    _check_size("public key", pub, PUBLIC_KEY_SIZE)
    return KeyId(hashlib.sha256(pub).digest()[:KEY_ID_BYTES].hex())


@dataclass(frozen=True)
class VerifyingKey:
    """An Ed25519 public key, 32 raw bytes."""

    raw: bytes

    def __post_init__(self) -> None:
        _check_size("public key", self.raw, PUBLIC_KEY_SIZE)

    @classmethod
    def from_bytes(cls, raw: bytes) -> VerifyingKey:
        """The key whose RFC 8032 encoding is ``raw``. Requires ``len(raw) == 32``."""
        return cls(bytes(raw))

    def to_bytes(self) -> bytes:
        return self.raw

    @property
    def key_id(self) -> KeyId:
        return key_id(self.raw)

    def verify(self, sig: bytes, msg: bytes) -> None:
        """Return if ``sig`` is this key's signature of ``msg``; raise SignatureInvalid if not."""
        if not verify_one(self.raw, sig, msg):
            raise SignatureInvalid(
                f"signature does not verify under key {self.key_id}", key_id=self.key_id
            )


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key, kept as its 32-byte seed."""

    seed: bytes = field(repr=False)
    _key: Ed25519PrivateKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_size("private key seed", self.seed, SEED_SIZE)
        object.__setattr__(self, "_key", Ed25519PrivateKey.from_private_bytes(self.seed))

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh key from the operating system's random source."""
        return cls(os.urandom(SEED_SIZE))

    @classmethod
    def from_bytes(cls, seed: bytes) -> SigningKey:
        """The key with RFC 8032 seed ``seed``. Requires ``len(seed) == 32``."""
        return cls(bytes(seed))

    def to_bytes(self) -> bytes:
        """The 32-byte seed. Secret."""
        return self.seed

    @property
    def verifying_key(self) -> VerifyingKey:
        raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return VerifyingKey(raw)

    def sign(self, msg: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``msg``."""
        return self._key.sign(msg)


def verify_many(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """Check many (public key, signature, message) triples; True where the signature verifies.

    Large batches are spread over a thread pool: libsodium releases the GIL while it works.
    Malformed keys or signatures give False rather than an error.
    """
    workers = min(os.cpu_count() or 1, len(items) // PARALLEL_MIN_BATCH)
    if workers < 2:
        return [verify_one(pub, sig, msg) for pub, sig, msg in items]
    chunk = -(-len(items) // workers)
    parts = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = pool.map(lambda part: [verify_one(*item) for item in part], parts)
        return [ok for part in done for ok in part]


def verify_one(pub: bytes, sig: bytes, msg: bytes) -> bool:
    """Whether ``sig`` is the Ed25519 signature of ``msg`` by raw public key ``pub``.

    Malformed keys or signatures give False rather than an error.
    """
    if len(pub) != PUBLIC_KEY_SIZE or len(sig) != SIGNATURE_SIZE:
        return False
    try:
        # crypto_sign_open takes the signature and message as one "signed message".
        nacl.bindings.crypto_sign_open(sig + msg, pub)
    except nacl.exceptions.BadSignatureError:
        return False
    return True


_verify_one = verify_one  # the old private name, still imported by ledger.apply


def _check_size(what: str, value: bytes, want: int) -> None:
    if not isinstance(value, bytes):
        raise InvalidInput(f"{what} must be bytes, got {type(value).__name__}")
    if len(value) != want:
        raise InvalidInput(f"wrong {what} size {len(value)}, want {want}")
