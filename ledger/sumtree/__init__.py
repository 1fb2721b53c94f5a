"""Merkle sum trees over personal balances: one platform's balances committed under one root.

``hashing`` holds the leaf and node hashes and the per-account salts, ``tree`` builds a tree
(in memory, or streamed leaf by leaf for millions of accounts) and the path of one leaf, and
``verify`` checks a path against a committed root and total. The construction and its caveats
are documented in ``docs/personal.md``.
"""

from __future__ import annotations

from ledger.sumtree.hashing import MAX_SUM, SALT_SIZE, Node, combine, leaf_node, salt_for
from ledger.sumtree.tree import (
    STORED_FROM,
    Step,
    TreeBuilder,
    build_levels,
    level_sizes,
    path_from_levels,
    path_ids,
)
from ledger.sumtree.verify import root_from_path, verify_path

__all__ = [
    "MAX_SUM",
    "SALT_SIZE",
    "STORED_FROM",
    "Node",
    "Step",
    "TreeBuilder",
    "build_levels",
    "combine",
    "leaf_node",
    "level_sizes",
    "path_from_levels",
    "path_ids",
    "root_from_path",
    "salt_for",
    "verify_path",
]
