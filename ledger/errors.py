"""One hierarchy for every error the ledger raises.

Each error carries a stable, machine-readable ``code`` that the command line and the HTTP API
return unchanged. Verification errors say what was expected and what was found.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base of every error raised on purpose by the ledger."""

    code: str = "ledger_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        """The error as plain data, for ``--json`` output and problem details."""
        return {"code": self.code, "message": self.message, **self.details}


class InvalidInput(LedgerError):
    """A request or entry is malformed: wrong type, missing field, out-of-range value."""

    code = "invalid_input"


class EncodingError(InvalidInput):
    """Bytes are not the canonical encoding of an entry."""

    code = "non_canonical_encoding"


class RuleViolation(LedgerError):
    """A well-formed entry that the ledger's rules refuse (permission, balance, duplicate...)."""

    code = "rule_violation"


class NotFound(LedgerError):
    """A referenced record does not exist."""

    code = "not_found"


class VerificationError(LedgerError):
    """Something presented as proof does not check out."""

    code = "verification_failed"


class SignatureInvalid(VerificationError):
    """A signature does not verify under the key it names."""

    code = "bad_signature"


class ProofError(VerificationError):
    """An inclusion or consistency proof is malformed (wrong length, bad indices)."""

    code = "bad_proof"


class RootMismatch(VerificationError):
    """A proof led to a root other than the one it was checked against."""

    code = "root_mismatch"

    def __init__(self, expected: bytes, calculated: bytes) -> None:
        super().__init__(
            f"root mismatch: expected {expected.hex()}, calculated {calculated.hex()}",
            expected=expected.hex(),
            calculated=calculated.hex(),
        )
        self.expected = expected
        self.calculated = calculated


class TamperDetected(VerificationError):
    """A stored ledger differs from what its own hashes, signatures or rules allow."""

    code = "tamper_detected"


class SplitView(VerificationError):
    """Two signed checkpoints that cannot both be honest (same size, different roots)."""

    code = "split_view"


class MalformedNote(InvalidInput):
    """Bytes are not a well-formed C2SP signed note, checkpoint or witness request."""

    code = "malformed_note"


class InsufficientSignatures(SignatureInvalid):
    """Fewer trusted keys signed a note than required (no bad signature, just too few good)."""

    code = "insufficient_signatures"

    def __init__(self, got: int, want: int) -> None:
        super().__init__(
            f"note has {got} verified signatures from trusted keys, want at least {want}",
            got=got,
            want=want,
        )
        self.got = got
        self.want = want


class WitnessConflict(RuleViolation):
    """A witness request's old size is not the size the witness last cosigned (HTTP 409)."""

    code = "witness_conflict"

    def __init__(self, witness_size: int, old_size: int) -> None:
        super().__init__(
            f"old size {old_size} does not match the witness's latest size {witness_size}",
            witness_size=witness_size,
            old_size=old_size,
        )
        self.witness_size = witness_size
        self.old_size = old_size
