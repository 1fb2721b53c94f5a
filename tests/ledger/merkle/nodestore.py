"""An in-memory node store for tests: what the ledger's database keeps, as a dict.

It records every perfect node that ``CompactRange.append`` completes, and counts how proof
construction reads it, so tests can check that a proof costs one fetch of O(log n) nodes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ledger.merkle import CompactRange, NodeId, leaf_hash


class MemoryNodeStore:
    """Perfect-subtree nodes keyed by ``(level, index)``, filled by appending entries."""

    def __init__(self, entries: Iterable[bytes] = ()) -> None:
        self.tree = CompactRange()
        self.nodes: dict[NodeId, bytes] = {}
        self.roots: list[bytes] = [self.tree.root()]
        self.fetch_calls: list[list[NodeId]] = []
        for entry in entries:
            self.append(entry)

    def append(self, entry: bytes) -> None:
        for level, index, digest in self.tree.append(leaf_hash(entry)):
            self.nodes[level, index] = digest
        self.roots.append(self.tree.root())

    def fetch(self, ids: Sequence[NodeId]) -> list[bytes]:
        self.fetch_calls.append(list(ids))
        return [self.nodes[node] for node in ids]
