"""The standalone verifier: checks bundles, entries, proofs and checkpoints with no database.

Anyone (a regulator, an auditor, a buyer) can run it on their own machine. It needs only what
it is given and the log's checkpoint verifier key, which must come from somewhere the user
trusts (the program administrator's publication, the witnesses, the chain anchor): a bundle's
own copy of the key proves only that the bundle is self-consistent.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.bundle import Bundle
from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.entry import Entry, parse_entry, parse_record
from ledger.errors import InvalidInput, VerificationError
from ledger.merkle.hashing import leaf_hash
from ledger.merkle.verify import verify_inclusion
from ledger.note import NoteVerifier
from ledger.replay import ReplayReport, replay
from ledger.state import MemoryBackend, State


def verify_bundle(path: str | Path, *, log_vkey: str | None = None) -> ReplayReport:
    """Replay a whole exported bundle in memory; raise TamperDetected at the first bad record.

    ``log_vkey`` is the checkpoint key the caller trusts; without it the bundle's own is used.
    """
    bundle = Bundle(path)
    trusted = log_vkey or bundle.header.log_vkey
    if log_vkey is not None and bundle.header.log_vkey != log_vkey:
        raise VerificationError(
            f"bundle is signed by {bundle.header.log_vkey}, the trusted key is {log_vkey}",
            code="wrong_log_key",
        )
    verifier = NoteVerifier.from_vkey(trusted)
    checkpoints: dict[int, bytes] = {}
    for note in bundle.checkpoints:
        checkpoints[open_checkpoint(note, verifier).size] = note
    state = State(MemoryBackend(), cache_limit=sys.maxsize)

    def forget_journal(_nodes: Sequence[Any]) -> None:
        state.commit()

    return replay(
        bundle.records(),
        checkpoints,
        origin=bundle.header.origin,
        log_verifier=verifier,
        state=state,
        after_chunk=forget_journal,
        lookahead=True,
    )


@dataclass(frozen=True, slots=True)
class ProvenEntry:
    """An entry shown to be in the log under a checkpoint signed by the trusted key."""

    index: int
    entry: Entry
    time_ms: int
    checkpoint: Checkpoint


def make_inclusion_proof(
    record: bytes, index: int, proof: Sequence[bytes], checkpoint_note: bytes
) -> dict[str, Any]:
    """The portable JSON document that ``verify_inclusion_proof`` checks."""
    return {
        "format": "carbonledger-inclusion/1",
        "index": index,
        "record": base64.b64encode(record).decode(),
        "proof": [base64.b64encode(h).decode() for h in proof],
        "checkpoint": checkpoint_note.decode(),
    }


def verify_inclusion_proof(document: dict[str, Any], log_vkey: str) -> ProvenEntry:
    """Check an entry's inclusion proof against a checkpoint signed by ``log_vkey``."""
    try:
        if document.get("format") != "carbonledger-inclusion/1":
            raise InvalidInput("not a carbonledger-inclusion/1 document", code="bad_proof")
        index = int(document["index"])
        record_raw = base64.b64decode(document["record"], validate=True)
        proof = [base64.b64decode(h, validate=True) for h in document["proof"]]
        note = str(document["checkpoint"]).encode()
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"malformed inclusion proof: {exc}", code="bad_proof") from exc
    checkpoint = open_checkpoint(note, NoteVerifier.from_vkey(log_vkey))
    record = parse_record(record_raw)
    if record.index != index:
        raise VerificationError(
            f"record is entry {record.index}, the proof says {index}", code="bad_proof"
        )
    verify_inclusion(leaf_hash(record_raw), index, checkpoint.size, proof, checkpoint.root)
    return ProvenEntry(index, parse_entry(record.entry_raw), record.time_ms, checkpoint)
