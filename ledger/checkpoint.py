"""Checkpoints per C2SP tlog-checkpoint v1.0.0 (c2sp.org/tlog-checkpoint): a log's signed tree head.

The note text (section "Note text") is the origin line, the tree size in decimal without leading
zeroes, the base64 RFC 6962 root hash, then optional non-empty extension lines, each ending in a
newline. The text is signed as a C2SP signed note (``ledger.note``); the log's key name should
be the origin. Parsing is strict: roots are 32 bytes (SHA-256) in canonical base64, sizes fit in
64 bits, and no line is empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.errors import InvalidInput, MalformedNote, VerificationError
from ledger.note import (
    Note,
    NoteSigner,
    Verifier,
    b64encode,
    check_text,
    sign_note,
    strict_b64decode,
    verify_note,
)

HASH_SIZE = 32
MAX_TREE_SIZE = 2**64 - 1

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    """A log's claim that its tree of ``size`` leaves has root ``root``."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line("origin", self.origin)
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise InvalidInput(f"tree size must be an int, got {type(self.size).__name__}")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise InvalidInput(f"tree size {self.size} out of range 0..2^64-1")
        if not isinstance(self.root, bytes):
            raise InvalidInput(f"root hash must be bytes, got {type(self.root).__name__}")
        if len(self.root) != HASH_SIZE:
            raise InvalidInput(f"wrong root hash size {len(self.root)}, want {HASH_SIZE}")
        for line in self.extensions:
            _check_line("extension line", line)

    def text(self) -> str:
        """The note text: origin, size, base64 root and extension lines, each newline-ended."""
        lines = (self.origin, str(self.size), b64encode(self.root), *self.extensions)
        return "".join(line + "\n" for line in lines)

    def body(self) -> bytes:
        """The note text as the bytes that signatures and cosignatures cover."""
        return self.text().encode()

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint's note text; MalformedNote unless it is exactly well formed."""
        check_text(text)
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedNote(f"checkpoint has {len(lines)} lines, want at least 3")
        if "" in lines:
            raise MalformedNote(f"checkpoint line {lines.index('') + 1} is empty")
        origin, size_text, root_text, *extensions = lines
        if _DECIMAL.fullmatch(size_text) is None:
            raise MalformedNote(f"tree size {size_text!r} is not a decimal without leading zeroes")
        root = strict_b64decode(root_text, "checkpoint root hash")
        try:
            return cls(origin, int(size_text), root, tuple(extensions))
        except InvalidInput as exc:
            raise MalformedNote(f"invalid checkpoint: {exc.message}") from exc


def sign_checkpoint(cp: Checkpoint, signer: NoteSigner) -> bytes:
    """The checkpoint as a signed note carrying ``signer``'s signature."""
    return sign_note(Note(cp.text()), signer).to_bytes()


def open_checkpoint(
    note_bytes: bytes, log_verifier: Verifier, *, origin: str | None = None
) -> Checkpoint:
    """The checkpoint in a signed note, once the log's signature on it has verified.

    Other signatures (witnesses, rotated keys) are ignored. If ``origin`` is given, the
    checkpoint must be for that origin. Raises MalformedNote, SignatureInvalid (including
    InsufficientSignatures when the log did not sign) or VerificationError.
    """
    note = Note.parse(note_bytes)
    verify_note(note, [log_verifier])
    cp = Checkpoint.from_text(note.text)
    if origin is not None and cp.origin != origin:
        raise VerificationError(f"checkpoint origin {cp.origin!r}, want {origin!r}")
    return cp


def _check_line(what: str, line: str) -> None:
    if not isinstance(line, str) or not line:
        raise InvalidInput(f"checkpoint {what} must be a non-empty string")
    if "\n" in line:
        raise InvalidInput(f"checkpoint {what} must be one line: {line!r}")
    try:
        check_text(line + "\n")
    except MalformedNote as exc:
        raise InvalidInput(f"checkpoint {what}: {exc.message}") from exc
