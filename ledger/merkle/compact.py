"""The right frontier of a growing Merkle tree (RFC 9162 section 2.1.1), in O(log n) memory.

A tree of ``size`` leaves is covered by one perfect subtree per set bit of ``size``, largest
first; their roots are the *frontier*. Appending a leaf merges equal-sized subtrees from the
right, like a binary counter carrying, and the RFC 9162 root is the right-to-left fold of the
frontier. So the sequencer keeps only the frontier in memory and writes out every perfect node as
it is completed; proofs (see ``proofs``) are later assembled from those stored nodes.

Nodes are named ``(level, index)``: level 0 are the leaves, and node ``(level, index)`` covers
leaves ``[index * 2**level, (index + 1) * 2**level)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from ledger.errors import InvalidInput
from ledger.merkle.hashing import EMPTY_ROOT, HASH_SIZE, node_hash

__all__ = ["CompactRange", "NodeId", "range_nodes"]

NodeId: TypeAlias = tuple[int, int]
"""``(level, index)`` of a perfect subtree, over leaves [index * 2**level, (index+1) * 2**level)."""


def range_nodes(begin: int, end: int) -> list[NodeId]:
    """The fewest perfect subtrees covering leaves ``[begin, end)``, left to right.

    Requires ``0 <= begin <= end``. ``range_nodes(0, size)`` names the frontier of a tree of
    ``size`` leaves, in the order ``CompactRange`` stores it.
    """
    if not 0 <= begin <= end:
        raise InvalidInput(f"bad leaf range [{begin}, {end}), want 0 <= begin <= end")
    nodes: list[NodeId] = []
    while begin < end:
        # Largest subtree that starts at `begin`, is aligned there, and does not pass `end`.
        level = (end - begin).bit_length() - 1
        if begin:
            level = min(level, (begin & -begin).bit_length() - 1)
        nodes.append((level, begin >> level))
        begin += 1 << level
    return nodes


class CompactRange:
    """The frontier of a tree over leaves ``[0, size)``, to which leaves are appended.

    ``CompactRange(size, frontier)`` restores a stored state: ``frontier`` holds the roots of
    ``range_nodes(0, size)``, largest subtree first (one hash per set bit of ``size``).
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, frontier: Sequence[bytes] = ()) -> None:
        if size < 0:
            raise InvalidInput(f"negative tree size {size}")
        if len(frontier) != size.bit_count():
            raise InvalidInput(
                f"wrong frontier size {len(frontier)} for tree size {size}, want {size.bit_count()}"
            )
        for position, digest in enumerate(frontier):
            if len(digest) != HASH_SIZE:
                raise InvalidInput(
                    f"frontier hash {position} has {len(digest)} bytes, want {HASH_SIZE}"
                )
        self._size = size
        self._hashes: list[bytes] = [bytes(digest) for digest in frontier]

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def frontier(self) -> tuple[bytes, ...]:
        """Roots of the perfect subtrees covering ``[0, size)``, largest first."""
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Append one leaf hash and return the perfect nodes this completes.

        The result lists ``(level, index, hash)`` from the leaf itself,
        ``(0, position, leaf_hash)``, up to the largest subtree that the new leaf closes. Storing
        every returned node is what lets ``proofs`` build any later proof without the leaves.
        """
        if len(leaf_hash) != HASH_SIZE:
            raise InvalidInput(f"leaf hash has {len(leaf_hash)} bytes, want {HASH_SIZE}")
        index = self._size
        hashes = self._hashes
        completed = [(0, index, leaf_hash)]
        digest = leaf_hash
        level = 0
        # Each trailing one bit of the old size is a same-sized subtree to merge with.
        while index & 1:
            digest = node_hash(hashes.pop(), digest)
            index >>= 1
            level += 1
            completed.append((level, index, digest))
        hashes.append(digest)
        self._size += 1
        return completed

    def root(self) -> bytes:
        """The RFC 9162 Merkle Tree Hash of ``[0, size)``; ``EMPTY_ROOT`` when empty."""
        hashes = self._hashes
        if not hashes:
            return EMPTY_ROOT
        digest = hashes[-1]
        for left in reversed(hashes[:-1]):
            digest = node_hash(left, digest)
        return digest

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, frontier=<{len(self._hashes)} hashes>)"
