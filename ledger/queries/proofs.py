"""Inclusion and consistency proofs read from the stored Merkle nodes (RFC 9162 section 2.1),
with the signed checkpoint that vouches for the root when the tree size was sealed.

Each proof can ``check`` itself the way a third party would: hash the record to its leaf, run
the proof with ``ledger.merkle.verify`` and check the checkpoint's signature and contents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    or_,
    select,
)

from ledger.checkpoint import open_checkpoint
from ledger.errors import NotFound, VerificationError
from ledger.merkle import proofs
from ledger.merkle.compact import range_nodes
from ledger.merkle.hashing import EMPTY_ROOT, leaf_hash, node_hash
from ledger.merkle.proofs import NodeId
from ledger.merkle.verify import verify_consistency, verify_inclusion
from ledger.note import NoteVerifier
from ledger.queries.log import LedgerInfo, ledger_info
from ledger.storage import schema


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Everything a third party needs to check that entry ``index`` is in the tree of ``size``.

    ``checkpoint`` is the log's signed note for that size when one was sealed; otherwise
    ``root`` was computed from stored hashes and is vouched for by nobody.
    """

    origin: str
    index: int
    size: int
    record: bytes
    leaf_hash: bytes
    proof: list[bytes]
    root: bytes
    checkpoint: str | None

    def check(self, log_vkey: str) -> None:
        """Raise unless the record hashes to the leaf, the proof leads to the root and (when
        present) the checkpoint is signed by ``log_vkey`` for this origin, size and root."""
        if leaf_hash(self.record) != self.leaf_hash:
            raise VerificationError("the record does not hash to the leaf hash given")
        verify_inclusion(self.leaf_hash, self.index, self.size, self.proof, self.root)
        if self.checkpoint is not None:
            _check_checkpoint(self.checkpoint, log_vkey, self.origin, self.size, self.root)


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """Proof that the tree of ``size2`` entries extends the tree of ``size1`` entries."""

    origin: str
    size1: int
    size2: int
    proof: list[bytes]
    root1: bytes
    root2: bytes
    checkpoint1: str | None
    checkpoint2: str | None

    def check(self, log_vkey: str) -> None:
        """Raise unless the proof links the roots and the present checkpoints are signed."""
        verify_consistency(self.size1, self.size2, self.proof, self.root1, self.root2)
        for note, size, root in (
            (self.checkpoint1, self.size1, self.root1),
            (self.checkpoint2, self.size2, self.root2),
        ):
            if note is not None:
                _check_checkpoint(note, log_vkey, self.origin, size, root)


def _check_checkpoint(note: str, log_vkey: str, origin: str, size: int, root: bytes) -> None:
    cp = open_checkpoint(note.encode(), NoteVerifier.from_vkey(log_vkey), origin=origin)
    if cp.size != size or cp.root != root:
        raise VerificationError(
            f"checkpoint says size {cp.size} root {cp.root.hex()}, want {size} {root.hex()}"
        )


@cache
def _nodes_query(count: int) -> Select[Any]:
    """Nodes by primary key, ``count`` of them: an OR of key equalities, answered from the index
    (SQLite scans the whole table for a row-value IN list), built once per count."""
    n = schema.merkle_nodes
    wanted = or_(
        *(
            and_(n.c.level == bindparam(f"l{i}"), n.c.idx == bindparam(f"i{i}"))
            for i in range(count)
        )
    )
    return select(n.c.level, n.c.idx, n.c.hash).where(wanted)


def _nodes(conn: Connection, ids: Sequence[NodeId]) -> list[bytes]:
    if not ids:
        return []
    params = {}
    for i, (level, idx) in enumerate(ids):
        params[f"l{i}"], params[f"i{i}"] = level, idx
    rows = conn.execute(_nodes_query(len(ids)), params).all()
    found = {(r.level, r.idx): bytes(r.hash) for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"Merkle nodes {missing[:3]} are not stored", code="missing_nodes")
    return [found[i] for i in ids]


def _root_and_note(conn: Connection, size: int) -> tuple[bytes, str | None]:
    """The root of the first ``size`` entries and the checkpoint sealed at that size, if any."""
    c = schema.checkpoints
    row = conn.execute(select(c.c.root, c.c.note).where(c.c.size == size)).first()
    if row is not None:
        return bytes(row.root), bytes(row.note).decode()
    if size == 0:
        return EMPTY_ROOT, None
    hashes = _nodes(conn, range_nodes(0, size))
    root = hashes[-1]
    for digest in reversed(hashes[:-1]):
        root = node_hash(digest, root)
    return root, None


def _tree_size(engine: Engine, size: int | None) -> tuple[LedgerInfo, int]:
    """The log's identity and ``size``, defaulting to the latest sealed checkpoint."""
    info = ledger_info(engine)
    size = info.sealed_size if size is None else size
    if not 0 <= size <= info.size:
        raise NotFound(f"tree size {size} is beyond the log's {info.size}", code="bad_size")
    return info, size


def inclusion_proof(engine: Engine, index: int, size: int | None = None) -> InclusionProof:
    """Proof that entry ``index`` is in the tree of ``size`` (default: the latest checkpoint).

    Requires 0 <= index < size <= the log's size.
    """
    info, size = _tree_size(engine, size)
    if not 0 <= index < size:
        raise NotFound(f"entry {index} is not in the tree of size {size}", code="bad_index")
    with engine.connect() as conn:
        record = bytes(
            conn.execute(
                select(schema.entries.c.record).where(schema.entries.c.idx == index)
            ).scalar_one()
        )
        path = proofs.inclusion_proof(index, size, lambda ids: _nodes(conn, ids))
        root, note = _root_and_note(conn, size)
    return InclusionProof(info.origin, index, size, record, leaf_hash(record), path, root, note)


def consistency_proof(engine: Engine, size1: int, size2: int | None = None) -> ConsistencyProof:
    """Proof that the tree of ``size2`` (default: latest checkpoint) extends that of ``size1``.

    Requires 0 < size1 <= size2 <= the log's size.
    """
    info, size2 = _tree_size(engine, size2)
    if not 0 < size1 <= size2:
        raise NotFound(f"tree sizes {size1} -> {size2}, want 0 < size1 <= size2", code="bad_size")
    with engine.connect() as conn:
        path = proofs.consistency_proof(size1, size2, lambda ids: _nodes(conn, ids))
        root1, note1 = _root_and_note(conn, size1)
        root2, note2 = _root_and_note(conn, size2)
    return ConsistencyProof(info.origin, size1, size2, path, root1, root2, note1, note2)
