"""Evidence files: what a witness or follower keeps when a log is caught misbehaving.

Evidence is a JSON document written once, atomically (a temporary file in the same directory,
fsync'd, renamed into place, then the directory fsync'd), so a crash leaves either the whole
file or none. Three kinds, each carrying the log's own signed notes so that anyone holding the
log's verifier key can check them without trusting whoever found them:

- ``split_view`` (``ledger.witness_state.SplitViewEvidence``): two checkpoints signed by the
  log for the same origin and size with different roots. A proof on its own.
- ``inconsistent_checkpoints``: an earlier and a later signed checkpoint, and the consistency
  proof the log served between them, which does not verify. An honest log can always prove
  that its later tree extends the earlier one; ask it to.
- ``tampered_record``: a record the log served, its index and what is wrong with it, with the
  signed checkpoint it was served under.

``check_evidence`` re-verifies any of them from the log's key.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.errors import InvalidInput, LedgerError, MalformedNote, VerificationError
from ledger.merkle.verify import verify_consistency
from ledger.note import Note, Verifier, b64encode, strict_b64decode
from ledger.witness_state import SplitViewEvidence, check_split_view

SPLIT_VIEW = "split_view"
INCONSISTENT = "inconsistent_checkpoints"
TAMPERED_RECORD = "tampered_record"
KINDS = (SPLIT_VIEW, INCONSISTENT, TAMPERED_RECORD)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one, whole."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def inconsistent_evidence(
    earlier: bytes, later: bytes, proof: list[bytes], reason: str
) -> dict[str, Any]:
    """An ``inconsistent_checkpoints`` document: two signed notes and the failing proof."""
    return {
        "type": INCONSISTENT,
        "a_note": earlier.decode(),
        "b_note": later.decode(),
        "proof": [b64encode(node) for node in proof],
        "reason": reason,
    }


def tampered_record_evidence(
    index: int, record: bytes, reason: str, checkpoint: bytes
) -> dict[str, Any]:
    """A ``tampered_record`` document: the record served at ``index`` and why it is wrong."""
    return {
        "type": TAMPERED_RECORD,
        "index": index,
        "record": b64encode(record),
        "reason": reason,
        "checkpoint": checkpoint.decode(),
    }


def save_evidence(directory: Path, origin: str, document: dict[str, Any]) -> Path:
    """Write ``document`` to a new file in ``directory``; return its path."""
    kind = document.get("type")
    if kind not in KINDS:
        raise InvalidInput(f"evidence type {kind!r}, want one of {', '.join(KINDS)}")
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    name = f"{kind}-{_UNSAFE.sub('_', origin)}-{stamp}-{time.time_ns() % 10**9:09d}.json"
    path = directory / name
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    write_atomically(path, text.encode())
    return path


@dataclass(frozen=True)
class EvidenceFinding:
    """What re-checking an evidence document established."""

    kind: str
    origin: str
    sizes: tuple[int, ...]
    summary: str


def check_evidence(document: dict[str, Any], log_verifier: Verifier) -> EvidenceFinding:
    """Re-verify evidence from the log's verifier key alone.

    Raises VerificationError (or a subclass) if the document does not show what it claims,
    InvalidInput if it is not an evidence document.
    """
    kind = document.get("type")
    if kind == SPLIT_VIEW:
        a, b = check_split_view(SplitViewEvidence.from_dict(document), log_verifier)
        return EvidenceFinding(
            kind,
            a.origin,
            (a.size,),
            f"the log signed two roots for size {a.size}: "
            f"{b64encode(a.root)} and {b64encode(b.root)}",
        )
    if kind == INCONSISTENT:
        a = open_checkpoint(_note(document, "a_note"), log_verifier)
        b = open_checkpoint(_note(document, "b_note"), log_verifier, origin=a.origin)
        if a.size > b.size:
            a, b = b, a
        if a.size == 0:
            raise VerificationError("every tree extends the empty tree: no inconsistency")
        proof = [strict_b64decode(_text(n, "proof hash"), "proof hash") for n in _proof(document)]
        try:
            verify_consistency(a.size, b.size, proof, a.root, b.root)
        except LedgerError:
            return EvidenceFinding(
                kind,
                a.origin,
                (a.size, b.size),
                f"the log's proof does not show that its tree of {b.size} extends its tree of "
                f"{a.size}; an honest log can produce one: ask for it",
            )
        raise VerificationError("the consistency proof in this evidence verifies")
    if kind == TAMPERED_RECORD:
        cp = open_checkpoint(_note(document, "checkpoint"), log_verifier)
        index = document.get("index")
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise InvalidInput("tampered_record evidence needs a non-negative integer index")
        strict_b64decode(_text(document.get("record"), "record"), "record")
        return EvidenceFinding(
            kind,
            cp.origin,
            (cp.size,),
            f"record {index} served with checkpoint {cp.size}: {document.get('reason')}",
        )
    raise InvalidInput(f"evidence type {kind!r}, want one of {', '.join(KINDS)}")


def load_evidence(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read evidence {path}: {exc}", code="bad_evidence") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} is not a JSON object", code="bad_evidence")
    return data


def checkpoint_of(note: bytes) -> Checkpoint:
    """The checkpoint in a note, unverified (for naming it in messages)."""
    return Checkpoint.from_text(Note.parse(note).text)


def _note(document: dict[str, Any], field: str) -> bytes:
    return _text(document.get(field), field).encode()


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise MalformedNote(f"evidence {what} must be a string")
    return value


def _proof(document: dict[str, Any]) -> list[Any]:
    proof = document.get("proof")
    if not isinstance(proof, list):
        raise InvalidInput("inconsistent_checkpoints evidence needs a proof list")
    return proof
