"""Witness decisions per C2SP tlog-witness (c2sp.org/tlog-witness), section "add-checkpoint".

Pure logic, no I/O: given what a witness last cosigned for a log and an add-checkpoint request,
decide whether to cosign. The HTTP layer maps the errors raised here to the spec's statuses with
``http_status``: 400 malformed request (InvalidInput, MalformedNote), 403 log signature missing
or bad (SignatureInvalid), 404 unknown origin (NotFound, raised by the caller's key lookup),
409 old size is not the witness's size (WitnessConflict; body ``conflict_body``), 422
consistency failure (ProofError, RootMismatch, SplitView). Checking the old size and storing the
new state must happen atomically in the caller, or two requests can roll the log back.

Also split-view evidence: two checkpoints validly signed by one log, same origin and size,
different roots. Such a pair cannot both be honest, and anyone holding the log's key can check.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from ledger.checkpoint import HASH_SIZE, MAX_TREE_SIZE, Checkpoint, open_checkpoint
from ledger.cosignature import CosignatureSigner, cosign
from ledger.errors import (
    InvalidInput,
    LedgerError,
    MalformedNote,
    NotFound,
    ProofError,
    RootMismatch,
    SignatureInvalid,
    SplitView,
    VerificationError,
    WitnessConflict,
)
from ledger.note import Note, NoteSignature, Verifier, b64encode, strict_b64decode

ConsistencyVerifier = Callable[[int, int, list[bytes], bytes, bytes], None]
"""``verify_consistency(size1, size2, proof, root1, root2)``: returns, or raises on failure."""

EMPTY_TREE_ROOT = hashlib.sha256(b"").digest()
"""RFC 6962 section 2.1: the root of the empty tree is the hash of the empty string."""

MAX_PROOF_LINES = 63
CONFLICT_CONTENT_TYPE = "text/x.tlog.size"

_OLD_SIZE = re.compile(r"old (0|[1-9][0-9]*)")


@dataclass(frozen=True)
class LogState:
    """What a witness remembers about one log: the latest checkpoint it cosigned.

    ``note`` is that signed checkpoint, kept as evidence; empty if never cosigned.
    """

    origin: str
    size: int
    root: bytes
    note: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise InvalidInput(f"tree size {self.size} out of range 0..2^64-1")
        if len(self.root) != HASH_SIZE:
            raise InvalidInput(f"wrong root hash size {len(self.root)}, want {HASH_SIZE}")

    @classmethod
    def unseen(cls, origin: str) -> LogState:
        """The state of a log the witness has never cosigned: the empty tree."""
        return cls(origin, 0, EMPTY_TREE_ROOT)


@dataclass(frozen=True)
class AddCheckpointRequest:
    """An add-checkpoint body: old size, consistency proof, then the signed checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint_note: bytes

    def __post_init__(self) -> None:
        if not 0 <= self.old_size <= MAX_TREE_SIZE:
            raise InvalidInput(f"old size {self.old_size} out of range 0..2^64-1")
        if len(self.proof) > MAX_PROOF_LINES:
            raise MalformedNote(
                f"consistency proof has {len(self.proof)} hashes, want at most {MAX_PROOF_LINES}"
            )
        for node in self.proof:
            if len(node) != HASH_SIZE:
                raise MalformedNote(f"wrong proof hash size {len(node)}, want {HASH_SIZE}")

    @classmethod
    def parse(cls, body: bytes) -> AddCheckpointRequest:
        """Parse a request body; MalformedNote (HTTP 400) unless exactly well formed."""
        # Header lines are never empty, so the first blank line ends the header.
        split = body.find(b"\n\n")
        if split < 0:
            raise MalformedNote("request has no blank line before the checkpoint")
        try:
            header = body[:split].decode("ascii").split("\n")
        except UnicodeDecodeError as exc:
            raise MalformedNote("request header is not ASCII") from exc
        match = _OLD_SIZE.fullmatch(header[0])
        if match is None:
            raise MalformedNote(f"first line {header[0]!r} is not 'old <size>'")
        if len(header) - 1 > MAX_PROOF_LINES:
            raise MalformedNote(
                f"consistency proof has {len(header) - 1} lines, want at most {MAX_PROOF_LINES}"
            )
        proof = tuple(strict_b64decode(line, "consistency proof line") for line in header[1:])
        return cls(int(match.group(1)), proof, body[split + 2 :])

    def to_bytes(self) -> bytes:
        lines = [f"old {self.old_size}", *(b64encode(node) for node in self.proof)]
        return "".join(line + "\n" for line in lines).encode() + b"\n" + self.checkpoint_note

    def claimed_origin(self) -> str:
        """The checkpoint's origin line, unverified: only for finding the log's key (else 404)."""
        return Checkpoint.from_text(Note.parse(self.checkpoint_note).text).origin


@dataclass(frozen=True)
class Accepted:
    """The witness cosigned: its new state for the log and the cosignature to return."""

    state: LogState
    checkpoint: Checkpoint
    cosignature: NoteSignature

    def response_body(self) -> bytes:
        """The 200 response: the witness's signature lines."""
        return self.cosignature.format().encode()


def add_checkpoint(
    state: LogState,
    request: AddCheckpointRequest,
    log_verifier: Verifier,
    witness_signer: CosignatureSigner,
    timestamp: int,
    verify_consistency: ConsistencyVerifier,
) -> Accepted:
    """Decide an add-checkpoint request against ``state``, the witness's record for the log.

    Requires ``state.origin`` to be the log ``log_verifier`` signs for and ``timestamp > 0``.
    Checks in the spec's order: the log's signature (403), old size not above the new size
    (400), old size equal to the witness's size (409), the empty tree's root (422), then the
    consistency proof, or equal roots when the sizes are equal (422).
    """
    if timestamp <= 0:
        raise InvalidInput(f"cosignature timestamp {timestamp} must be positive")
    cp = open_checkpoint(request.checkpoint_note, log_verifier, origin=state.origin)
    if request.old_size > cp.size:
        raise InvalidInput(f"old size {request.old_size} is above checkpoint size {cp.size}")
    if request.old_size != state.size:
        raise WitnessConflict(witness_size=state.size, old_size=request.old_size)
    if cp.size == 0 and cp.root != EMPTY_TREE_ROOT:
        raise RootMismatch(expected=EMPTY_TREE_ROOT, calculated=cp.root)

    if request.old_size == 0 or request.old_size == cp.size:
        if request.proof:
            raise ProofError(
                f"wrong proof size {len(request.proof)}, want 0 from size {request.old_size}"
            )
        if request.old_size == cp.size and cp.root != state.root:
            _raise_same_size_mismatch(state, request.checkpoint_note, cp, log_verifier)
    else:
        _check_consistency(verify_consistency, state, cp, list(request.proof))

    new_state = LogState(cp.origin, cp.size, cp.root, request.checkpoint_note)
    return Accepted(new_state, cp, cosign(cp, witness_signer, timestamp))


def conflict_body(error: WitnessConflict) -> bytes:
    """The 409 response body: the witness's latest size and a newline."""
    return f"{error.witness_size}\n".encode()


def http_status(error: LedgerError) -> int:
    """The tlog-witness HTTP status for an error raised while handling add-checkpoint."""
    if isinstance(error, WitnessConflict):
        return 409
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, SignatureInvalid):
        return 403
    if isinstance(error, InvalidInput):
        return 400
    if isinstance(error, VerificationError):
        return 422
    return 500


@dataclass(frozen=True)
class SplitViewEvidence:
    """Two signed checkpoints from one log with the same origin and size but different roots."""

    a_note: bytes
    b_note: bytes

    def to_dict(self) -> dict[str, str]:
        return {
            "type": "split_view",
            "a_note": _note_text(self.a_note),
            "b_note": _note_text(self.b_note),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SplitViewEvidence:
        if data.get("type") != "split_view":
            raise InvalidInput(f"evidence type {data.get('type')!r}, want 'split_view'")
        a_note, b_note = data.get("a_note"), data.get("b_note")
        if not isinstance(a_note, str) or not isinstance(b_note, str):
            raise InvalidInput("split-view evidence needs a_note and b_note strings")
        return cls(a_note.encode(), b_note.encode())

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SplitViewEvidence:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"split-view evidence is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise InvalidInput("split-view evidence must be a JSON object")
        return cls.from_dict(data)


def find_split_view(
    a_note: bytes, b_note: bytes, log_verifier: Verifier
) -> SplitViewEvidence | None:
    """Evidence if two checkpoints signed by the log conflict, None if they do not.

    Raises (MalformedNote, SignatureInvalid) if either note is not a checkpoint the log signed.
    """
    a = open_checkpoint(a_note, log_verifier)
    b = open_checkpoint(b_note, log_verifier)
    if (a.origin, a.size) == (b.origin, b.size) and a.root != b.root:
        return SplitViewEvidence(a_note, b_note)
    return None


def check_split_view(
    evidence: SplitViewEvidence, log_verifier: Verifier
) -> tuple[Checkpoint, Checkpoint]:
    """Re-verify evidence from the log's key; return the two conflicting checkpoints.

    Raises VerificationError (or a subclass) if the evidence does not prove a split view.
    """
    a = open_checkpoint(evidence.a_note, log_verifier)
    b = open_checkpoint(evidence.b_note, log_verifier)
    if a.origin != b.origin:
        raise VerificationError(f"origins differ: {a.origin!r} and {b.origin!r}")
    if a.size != b.size:
        raise VerificationError(f"sizes differ: {a.size} and {b.size}")
    if a.root == b.root:
        raise VerificationError(f"both checkpoints have root {b64encode(a.root)}")
    return a, b


def _check_consistency(
    verify_consistency: ConsistencyVerifier, state: LogState, cp: Checkpoint, proof: list[bytes]
) -> None:
    try:
        verify_consistency(state.size, cp.size, proof, state.root, cp.root)
    except LedgerError:
        raise
    except ValueError as exc:
        # A verifier outside the error hierarchy still means the proof failed: 422, not 500.
        raise ProofError(f"consistency proof rejected: {exc}") from exc


def _raise_same_size_mismatch(
    state: LogState, note: bytes, cp: Checkpoint, log_verifier: Verifier
) -> NoReturn:
    """Same size, different root: a split view if the witness kept the note it cosigned."""
    if state.note:
        try:
            evidence = find_split_view(state.note, note, log_verifier)
        except LedgerError:
            evidence = None  # the stored note no longer opens (say, a rotated key): no evidence
        if evidence is not None:
            raise SplitView(
                f"log {cp.origin!r} signed two roots for size {cp.size}",
                evidence=evidence.to_dict(),
            )
    raise RootMismatch(expected=state.root, calculated=cp.root)


def _note_text(note: bytes) -> str:
    try:
        return note.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("a signed note must be UTF-8") from exc
