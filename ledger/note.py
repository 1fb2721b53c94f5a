"""Signed notes per C2SP signed-note v1.0.0 (c2sp.org/signed-note): text signed by named keys.

A note is UTF-8 text ending in a newline, a blank line, then one or more signature lines
``— <key name> base64(key hash || signature)`` (section "Format"). The key hash is
SHA-256(name || 0x0A || signature type || public key)[:4] (section "Signatures"); type 0x01 is
Ed25519 over the note text (section "Ed25519 signatures"). Keys travel as verifier keys,
``<name>+<hex key hash>+base64(type || public key)`` (section "Verifier keys"), and private keys
in the golang.org/x/mod/sumdb/note form ``PRIVATE+KEY+<name>+<hex key hash>+base64(0x01 || seed)``.

Verification follows the spec's rules: signatures from unknown keys are ignored, a known key's
signature that fails rejects the whole note, and at least one known key must have signed. This
module is stricter than the spec where honest notes never differ: base64 must be canonical and
key hashes lowercase hex.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from ledger.errors import (
    InsufficientSignatures,
    InvalidInput,
    MalformedNote,
    SignatureInvalid,
)
from ledger.keys import SEED_SIZE, SigningKey, VerifyingKey

ALG_ED25519 = 0x01
KEY_HASH_SIZE = 4
MAX_SIGNATURES = 100
"""Signature lines accepted per note; the spec asks for at least 16, golang.org/x/mod takes 100."""

SIGNATURE_PREFIX = "— "
PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_KEY_HASH_HEX = re.compile(r"[0-9a-f]{8}")


def is_valid_name(name: str) -> bool:
    """Whether ``name`` may name a key: non-empty UTF-8, no Unicode space, plus or control."""
    return (
        bool(name)
        and "+" not in name
        and not any(c.isspace() for c in name)
        and _CONTROL.search(name) is None
        and _is_utf8(name)
    )


def key_hash(name: str, alg: int, public_key: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || alg || public key)[:4]."""
    data = name.encode() + b"\n" + bytes([alg]) + public_key
    return hashlib.sha256(data).digest()[:KEY_HASH_SIZE]


def strict_b64decode(text: str, what: str) -> bytes:
    """Decode standard, padded, canonical base64 (RFC 4648 section 4); MalformedNote if not."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedNote(f"{what} is not valid base64: {text!r}") from exc
    if base64.b64encode(raw).decode() != text:
        raise MalformedNote(f"{what} is not canonical base64: {text!r}")
    return raw


def b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def encode_verifier_key(name: str, alg: int, public_key: bytes) -> str:
    """The vkey ``<name>+<hex key hash>+base64(alg || public key)``."""
    _check_key_name(name)
    return f"{name}+{key_hash(name, alg, public_key).hex()}+{b64encode(bytes([alg]) + public_key)}"


def decode_verifier_key(vkey: str) -> tuple[str, int, bytes]:
    """Split a vkey into (name, signature type, public key material), checking its key hash.

    Raises InvalidInput if the string is not a vkey or its key hash does not match.
    """
    name, hash_hex, key = _split_key_string(vkey, "verifier key")
    if hash_hex != key_hash(name, key[0], key[1:]).hex():
        raise InvalidInput(f"verifier key hash {hash_hex} does not match the key it carries")
    return name, key[0], key[1:]


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key hash, and the signature bytes that follow it."""

    name: str
    key_hash: bytes
    signature: bytes

    def __post_init__(self) -> None:
        if not is_valid_name(self.name):
            raise MalformedNote(f"invalid key name {self.name!r} in signature")
        if len(self.key_hash) != KEY_HASH_SIZE:
            raise MalformedNote(f"wrong key hash size {len(self.key_hash)}, want {KEY_HASH_SIZE}")
        if not self.signature:
            raise MalformedNote(f"empty signature from {self.key_label}")

    @property
    def key_label(self) -> str:
        """``name+hexhash``, how the Go implementation names a key in messages."""
        return f"{self.name}+{self.key_hash.hex()}"

    def format(self) -> str:
        """The signature line, newline included."""
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(self.key_hash + self.signature)}\n"

    @classmethod
    def parse(cls, line: str) -> NoteSignature:
        """Parse one signature line, which must end in its newline."""
        if not line.endswith("\n") or "\n" in line[:-1]:
            raise MalformedNote("a signature line must be one line ending in a newline")
        if not line.startswith(SIGNATURE_PREFIX):
            raise MalformedNote(f"signature line does not start with an em dash: {line!r}")
        name, space, encoded = line[len(SIGNATURE_PREFIX) : -1].partition(" ")
        if not space:
            raise MalformedNote(f"signature line has no space after the key name: {line!r}")
        if not is_valid_name(name):
            raise MalformedNote(f"invalid key name {name!r} in signature line")
        raw = strict_b64decode(encoded, f"signature of {name}")
        if len(raw) <= KEY_HASH_SIZE:
            raise MalformedNote(f"signature of {name} is {len(raw)} bytes, want more than 4")
        return cls(name, raw[:KEY_HASH_SIZE], raw[KEY_HASH_SIZE:])


def check_text(text: str) -> None:
    """Raise MalformedNote unless ``text`` can be a note's text.

    Requires: ends with a newline, no ASCII control characters but newline, encodable as UTF-8.
    """
    if not text.endswith("\n"):
        raise MalformedNote("note text must end with a newline")
    if (found := _CONTROL.search(text)) is not None:
        raise MalformedNote(f"note text has control character {found.group()!r}")
    if not _is_utf8(text):
        raise MalformedNote("note text is not valid UTF-8 (lone surrogate)")


@dataclass(frozen=True)
class Note:
    """A note's text and its signature lines, verified or not."""

    text: str
    signatures: tuple[NoteSignature, ...] = ()

    def __post_init__(self) -> None:
        check_text(self.text)
        if len(self.signatures) > MAX_SIGNATURES:
            raise MalformedNote(
                f"note has {len(self.signatures)} signatures, want at most {MAX_SIGNATURES}"
            )

    @classmethod
    def parse(cls, data: bytes) -> Note:
        """Parse a signed note without checking any signature."""
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedNote("note is not valid UTF-8") from exc
        if (found := _CONTROL.search(decoded)) is not None:
            raise MalformedNote(f"note has control character {found.group()!r}")
        # The text may hold blank lines itself: the signatures start after the last one.
        split = decoded.rfind("\n\n")
        if split < 0:
            raise MalformedNote("note has no blank line before its signatures")
        text, block = decoded[: split + 1], decoded[split + 2 :]
        if not block.endswith("\n"):
            raise MalformedNote("note must end with a signature line and its newline")
        count = block.count("\n")
        if count > MAX_SIGNATURES:
            raise MalformedNote(f"note has {count} signatures, want at most {MAX_SIGNATURES}")
        lines = block[:-1].split("\n")
        return cls(text, tuple(NoteSignature.parse(line + "\n") for line in lines))

    def to_bytes(self) -> bytes:
        """The encoded signed note. Requires at least one signature."""
        if not self.signatures:
            raise MalformedNote("a signed note needs at least one signature")
        lines = "".join(sig.format() for sig in self.signatures)
        return f"{self.text}\n{lines}".encode()


class Verifier(Protocol):
    """A trusted key that checks signature lines carrying its name and key hash."""

    @property
    def name(self) -> str: ...

    @property
    def key_hash(self) -> bytes: ...

    def verify(self, text: bytes, signature: bytes) -> None:
        """Return if ``signature`` (after the key hash) signs ``text``; else SignatureInvalid."""
        ...


@dataclass(frozen=True)
class NoteVerifier:
    """An Ed25519 (type 0x01) note key: name, 4-byte key hash, public key."""

    name: str
    key_hash: bytes
    public_key: VerifyingKey

    def __post_init__(self) -> None:
        _check_key_name(self.name)
        want = key_hash(self.name, ALG_ED25519, self.public_key.raw)
        if self.key_hash != want:
            raise InvalidInput(
                f"key hash {self.key_hash.hex()} does not match name and key, want {want.hex()}"
            )

    @classmethod
    def for_key(cls, name: str, public_key: VerifyingKey) -> NoteVerifier:
        return cls(name, key_hash(name, ALG_ED25519, public_key.raw), public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse ``<name>+<hex key hash>+base64(0x01 || public key)``."""
        name, alg, key = decode_verifier_key(vkey)
        if alg != ALG_ED25519:
            raise InvalidInput(f"verifier key has signature type {alg:#04x}, want 0x01")
        return cls.for_key(name, VerifyingKey(key))

    def vkey(self) -> str:
        return encode_verifier_key(self.name, ALG_ED25519, self.public_key.raw)

    def verify(self, text: bytes, signature: bytes) -> None:
        try:
            self.public_key.verify(signature, text)
        except SignatureInvalid as exc:
            raise SignatureInvalid(
                f"invalid signature for key {self.name}+{self.key_hash.hex()}", key=self.name
            ) from exc


@dataclass(frozen=True)
class NoteSigner:
    """An Ed25519 (type 0x01) note signing key and the name it signs under."""

    name: str
    key: SigningKey
    key_hash: bytes = field(init=False)

    def __post_init__(self) -> None:
        _check_key_name(self.name)
        pub = self.key.verifying_key.raw
        object.__setattr__(self, "key_hash", key_hash(self.name, ALG_ED25519, pub))

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        return cls(name, SigningKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        """Parse ``PRIVATE+KEY+<name>+<hex key hash>+base64(0x01 || seed)``."""
        if not skey.startswith(PRIVATE_KEY_PREFIX):
            raise InvalidInput(f"signer key does not start with {PRIVATE_KEY_PREFIX!r}")
        name, hash_hex, key = _split_key_string(skey[len(PRIVATE_KEY_PREFIX) :], "signer key")
        if key[0] != ALG_ED25519:
            raise InvalidInput(f"signer key has signature type {key[0]:#04x}, want 0x01")
        if len(key) != 1 + SEED_SIZE:
            raise InvalidInput(f"wrong signer key size {len(key) - 1}, want {SEED_SIZE}")
        signer = cls(name, SigningKey(key[1:]))
        # The hash is over the public key, so it can only be checked after deriving it.
        if signer.key_hash.hex() != hash_hex:
            raise InvalidInput(f"signer key hash {hash_hex} does not match the key it carries")
        return signer

    def skey(self) -> str:
        """The private key string. Secret."""
        encoded = b64encode(bytes([ALG_ED25519]) + self.key.to_bytes())
        return f"{PRIVATE_KEY_PREFIX}{self.name}+{self.key_hash.hex()}+{encoded}"

    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.key_hash, self.key.verifying_key)

    def sign(self, text: bytes) -> bytes:
        return self.key.sign(text)


def sign_note(note: Note, *signers: NoteSigner) -> Note:
    """``note`` with a signature from each signer added after its existing ones.

    An existing signature from the same key (name and key hash) as a signer is replaced.
    """
    if not signers:
        raise InvalidInput("sign_note needs at least one signer")
    text = note.text.encode()
    new: dict[tuple[str, bytes], NoteSignature] = {}
    for signer in signers:
        new.setdefault(
            (signer.name, signer.key_hash),
            NoteSignature(signer.name, signer.key_hash, signer.sign(text)),
        )
    kept = tuple(s for s in note.signatures if (s.name, s.key_hash) not in new)
    return Note(note.text, kept + tuple(new.values()))


def verify_note(
    note: Note, verifiers: Iterable[Verifier], required: int = 1
) -> list[NoteSignature]:
    """The note's signatures from trusted keys, each checked; identical lines appear once.

    Signatures from unknown keys are ignored. Raises SignatureInvalid if a trusted key's
    signature fails, and InsufficientSignatures if fewer than ``required`` distinct trusted keys
    signed. Requires ``required >= 1`` and no two different verifiers with one name and key hash.
    """
    trusted: dict[tuple[str, bytes], Verifier] = {}
    for verifier in verifiers:
        ident = (verifier.name, verifier.key_hash)
        if trusted.setdefault(ident, verifier) != verifier:
            raise InvalidInput(f"ambiguous key {verifier.name}+{verifier.key_hash.hex()}")
    if not 1 <= required <= len(trusted):
        raise InvalidInput(f"required signatures {required}, want 1 to {len(trusted)} keys")

    text = note.text.encode()
    verified: list[NoteSignature] = []
    signed_by: set[tuple[str, bytes]] = set()
    for sig in note.signatures:
        ident = (sig.name, sig.key_hash)
        known = trusted.get(ident)
        if known is None:
            continue
        known.verify(text, sig.signature)
        if sig not in verified:
            verified.append(sig)
        signed_by.add(ident)
    if len(signed_by) < required:
        raise InsufficientSignatures(got=len(signed_by), want=required)
    return verified


def open_note(data: bytes, verifiers: Iterable[Verifier], required: int = 1) -> list[NoteSignature]:
    """Parse a signed note and return its verified signatures (see ``verify_note``)."""
    return verify_note(Note.parse(data), verifiers, required)


def _check_key_name(name: str) -> None:
    if not is_valid_name(name):
        raise InvalidInput(f"invalid key name {name!r}: want non-empty, no spaces, no '+'")


def _split_key_string(value: str, what: str) -> tuple[str, str, bytes]:
    """Split ``<name>+<hex hash>+<base64 key>`` into name, hash hex and key bytes (type first)."""
    parts = value.split("+", 2)
    if len(parts) != 3:
        raise InvalidInput(f"{what} must have three '+'-separated parts")
    name, hash_hex, encoded = parts
    _check_key_name(name)
    if _KEY_HASH_HEX.fullmatch(hash_hex) is None:
        raise InvalidInput(f"{what} hash {hash_hex!r} is not 8 lowercase hex digits")
    try:
        key = strict_b64decode(encoded, what)
    except MalformedNote as exc:
        raise InvalidInput(exc.message) from exc
    if not key:
        raise InvalidInput(f"{what} has no key material")
    return name, hash_hex, key


def _is_utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
