"""Inclusion and consistency proof verification per RFC 9162 sections 2.1.3.2 and 2.1.4.2.

Pure functions of plain integers and bytes. Each ``root_from_*`` function computes the root a
proof leads to; each ``verify_*`` function checks it against a trusted root. A malformed proof
(sizes out of range, wrong number of hashes, hashes of the wrong length) raises ``ProofError``
before any hashing; a well-formed proof that leads elsewhere raises ``RootMismatch``.

A proof binds a leaf (or an old root) to a root, not to a tree size: where two sizes give paths
of the same shape, the same hashes verify for both. Take sizes from the signed checkpoint that
carries the root, never from the proof's sender alone.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from ledger.errors import ProofError, RootMismatch
from ledger.merkle.hashing import HASH_SIZE, node_hash

__all__ = [
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that ``proof`` yields for leaf ``index`` with hash ``leaf_hash``.

    Requires ``0 <= index < size`` and exactly as many proof hashes as RFC 9162 ``PATH`` has for
    that index and size; raises ``ProofError`` otherwise.
    """
    if not 0 <= index < size:
        raise ProofError(
            f"leaf index {index} out of range for tree size {size}, want 0 <= index < size"
        )
    _check_hash("leaf hash", leaf_hash)
    _check_proof(proof, _inclusion_proof_size(index, size))

    # RFC 9162 section 2.1.3.2, steps 2 to 5.
    fn, sn = index, size - 1
    result = leaf_hash
    for sibling in proof:
        if sn == 0:
            raise ProofError("inclusion proof continues past the root")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof stops below the root")
    return result


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that leaf ``index`` of the ``size``-leaf tree with root ``root`` is ``leaf_hash``.

    Raises ``ProofError`` for a malformed proof and ``RootMismatch`` for a wrong one.
    """
    calculated = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if not hmac.compare_digest(calculated, root):
        raise RootMismatch(expected=root, calculated=calculated)


def root_from_consistency_proof(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> bytes:
    """The root of the ``size2``-leaf tree that ``proof`` shows to extend the tree ``root1``.

    Requires ``0 < size1 <= size2`` and exactly as many proof hashes as RFC 9162 ``PROOF`` has
    for those sizes; raises ``ProofError`` otherwise. Raises ``RootMismatch`` if the proof does
    not lead back to ``root1``. When ``size1 == size2`` the proof must be empty and the result is
    ``root1``: RFC 9162 step 1 rejects an empty proof, which only arises for equal sizes, where
    consistency means equal roots.
    """
    if not 0 < size1 <= size2:
        raise ProofError(f"tree sizes {size1} -> {size2}, want 0 < size1 <= size2")
    _check_proof(proof, _consistency_proof_size(size1, size2))
    if size1 == size2:
        return root1

    # RFC 9162 section 2.1.4.2, steps 2 to 7.
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else proof
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = path[0]
    for sibling in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof continues past the root")
        if fn & 1 or fn == sn:
            first = node_hash(sibling, first)
            second = node_hash(sibling, second)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            second = node_hash(second, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof stops below the root")
    if not hmac.compare_digest(first, root1):
        raise RootMismatch(expected=root1, calculated=first)
    return second


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree ``root2`` of ``size2`` leaves extends the tree ``root1`` of ``size1``.

    Raises ``ProofError`` for a malformed proof and ``RootMismatch`` for a wrong one.
    """
    calculated = root_from_consistency_proof(size1, size2, proof, root1)
    if not hmac.compare_digest(calculated, root2):
        raise RootMismatch(expected=root2, calculated=calculated)


def _inclusion_proof_size(index: int, size: int) -> int:
    """Length of ``PATH(index, D[size])``: siblings below the fork, then left-border subtrees."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def _consistency_proof_size(size1: int, size2: int) -> int:
    """Length of ``PROOF(size1, D[size2])`` for ``0 < size1 <= size2``."""
    if size1 == size2:
        return 0
    # The path of the old tree's rightmost perfect subtree, plus that subtree's own hash unless
    # it is the whole old tree.
    level = (size1 & -size1).bit_length() - 1
    index = (size1 - 1) >> level
    inner = (index ^ ((size2 - 1) >> level)).bit_length()
    seed = 0 if size1 & (size1 - 1) == 0 else 1
    return seed + inner + (index >> inner).bit_count()


def _check_hash(name: str, digest: bytes) -> None:
    if len(digest) != HASH_SIZE:
        raise ProofError(f"{name} has {len(digest)} bytes, want {HASH_SIZE}")


def _check_proof(proof: Sequence[bytes], want: int) -> None:
    if len(proof) != want:
        raise ProofError(f"wrong proof size {len(proof)}, want {want}")
    for position, digest in enumerate(proof):
        _check_hash(f"proof[{position}]", digest)
