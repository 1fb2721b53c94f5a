"""Inclusion and consistency proof construction per RFC 9162 sections 2.1.3.1 and 2.1.4.1.

Proofs are built from stored perfect-subtree nodes (those ``CompactRange.append`` returns),
never from the whole tree. Every hash in an RFC 9162 proof is the root of either a perfect
subtree, which is stored, or of the one non-perfect ("ephemeral") subtree on the right edge of
the tree, which is folded here from the perfect subtrees that cover it. Construction is two steps:

1. plan: ``inclusion_nodes`` / ``consistency_nodes`` name the O(log n) stored nodes a proof
   needs, from the sizes alone;
2. fetch and assemble: ``inclusion_proof`` / ``consistency_proof`` call ``fetch`` once with those
   ids (one query for the store) and fold the ephemeral node.

Proof hashes are ordered as in the RFC: from the leaf (or the old tree's subtree) up to the root.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from ledger.errors import ProofError, TamperDetected
from ledger.merkle.compact import NodeId, range_nodes
from ledger.merkle.hashing import HASH_SIZE, node_hash

__all__ = [
    "NodeFetcher",
    "NodeId",
    "ProofNodes",
    "consistency_nodes",
    "consistency_proof",
    "inclusion_nodes",
    "inclusion_proof",
]

NodeFetcher: TypeAlias = Callable[[Sequence[NodeId]], Sequence[bytes]]
"""Returns the stored hashes of the given perfect-subtree nodes, in the same order."""


@dataclass(frozen=True, slots=True)
class ProofNodes:
    """The stored nodes a proof is built from, and where its ephemeral node lies among them.

    ``ids[ephemeral[0]:ephemeral[1]]`` are the perfect subtrees, largest first, that cover the
    ephemeral node; they fold into a single proof hash. Every other id is one proof hash as is.
    """

    ids: tuple[NodeId, ...]
    ephemeral: tuple[int, int] = (0, 0)

    def assemble(self, hashes: Sequence[bytes]) -> list[bytes]:
        """The proof, from the hashes of ``ids`` in the same order."""
        if len(hashes) != len(self.ids):
            raise TamperDetected(f"node store returned {len(hashes)} hashes, want {len(self.ids)}")
        for node, digest in zip(self.ids, hashes, strict=True):
            if len(digest) != HASH_SIZE:
                raise TamperDetected(
                    f"stored node {node} has a {len(digest)}-byte hash, want {HASH_SIZE}"
                )
        begin, end = self.ephemeral
        if end - begin < 2:
            return list(hashes)
        # RFC 9162 splits a non-perfect range at its largest power of two, so its hash is the
        # right-to-left fold of the perfect subtrees covering it.
        digest = hashes[end - 1]
        for position in range(end - 2, begin - 1, -1):
            digest = node_hash(hashes[position], digest)
        return [*hashes[:begin], digest, *hashes[end:]]

    def fetch_and_assemble(self, fetch: NodeFetcher) -> list[bytes]:
        """Fetch the nodes with one call to ``fetch`` (none if no node is needed); assemble."""
        if not self.ids:
            return []
        return self.assemble(fetch(list(self.ids)))


def inclusion_nodes(index: int, size: int) -> ProofNodes:
    """Plan the inclusion proof of leaf ``index`` in the tree of ``size`` leaves.

    Requires ``0 <= index < size``; raises ``ProofError`` otherwise.
    """
    if not 0 <= index < size:
        raise ProofError(
            f"leaf index {index} out of range for tree size {size}, want 0 <= index < size"
        )
    return _path_nodes(0, index, size)


def consistency_nodes(size1: int, size2: int) -> ProofNodes:
    """Plan the consistency proof from the tree of ``size1`` leaves to that of ``size2``.

    Requires ``0 < size1 <= size2``; raises ``ProofError`` otherwise. RFC 9162 defines no proof
    from the empty tree, so ``size1 == 0`` is refused. For ``size1 == size2`` the proof is empty
    (``SUBPROOF(m, D[m], true) = {}``): the two roots must simply be equal.
    """
    if not 0 < size1 <= size2:
        raise ProofError(f"tree sizes {size1} -> {size2}, want 0 < size1 <= size2")
    if size1 == size2:
        return ProofNodes(ids=())
    # The old tree's rightmost perfect subtree: where SUBPROOF stops recursing. The rest of the
    # proof is that subtree's inclusion path in the new tree.
    level = (size1 & -size1).bit_length() - 1
    index = (size1 - 1) >> level
    path = _path_nodes(level, index, size2)
    if size1 & (size1 - 1) == 0:
        # That subtree is the whole old tree, whose root the verifier already holds.
        return path
    begin, end = path.ephemeral
    return ProofNodes(ids=((level, index), *path.ids), ephemeral=(begin + 1, end + 1))


def inclusion_proof(index: int, size: int, fetch: NodeFetcher) -> list[bytes]:
    """``PATH(index, D[size])``: the inclusion proof of leaf ``index``, leaf to root.

    Requires ``0 <= index < size``; raises ``ProofError`` otherwise. ``fetch`` is called at most
    once, with at most ``2 * ceil(log2(size))`` node ids.
    """
    return inclusion_nodes(index, size).fetch_and_assemble(fetch)


def consistency_proof(size1: int, size2: int, fetch: NodeFetcher) -> list[bytes]:
    """``PROOF(size1, D[size2])``: proof that the first ``size1`` leaves are unchanged.

    Requires ``0 < size1 <= size2``; raises ``ProofError`` otherwise. The proof is empty when
    ``size1 == size2``. ``fetch`` is called at most once, with at most
    ``2 * ceil(log2(size2))`` node ids.
    """
    return consistency_nodes(size1, size2).fetch_and_assemble(fetch)


def _path_nodes(level: int, index: int, size: int) -> ProofNodes:
    """Plan the path from perfect node ``(level, index)`` to the root of a ``size``-leaf tree.

    Requires the node to lie inside ``[0, size)``. Going up from the node, the siblings are
    perfect until the level where its path forks from the path to the last leaf; the sibling
    there may be the ephemeral node; above the fork every sibling is a perfect left subtree.
    """
    last = (size - 1) >> level
    depth = (index ^ last).bit_length()  # levels from the node up to the fork
    ids = [(level + step, (index >> step) ^ 1) for step in range(depth - 1)]
    begin = end = 0
    if depth:
        # The fork's right child covers [start, size); it is perfect only if size reaches its end.
        child_level = level + depth - 1
        start = ((index >> (depth - 1)) | 1) << child_level
        begin = len(ids)
        ids.extend(range_nodes(start, size))
        end = len(ids)
    fork_start = (index >> depth) << (level + depth)
    ids.extend(reversed(range_nodes(0, fork_start)))
    return ProofNodes(ids=tuple(ids), ephemeral=(begin, end))
