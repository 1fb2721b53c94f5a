"""Checking a sum-tree path: the leaf, folded with its siblings, must give the committed root.

``root_from_path`` computes the root and total a path leads to, checking at every step that
each sum is in ``[0, MAX_SUM]`` (a negative or oversized sum could hide a deficit elsewhere in
the tree); ``verify_path`` compares them with the committed root and total.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.errors import ProofError, RootMismatch, VerificationError
from ledger.sumtree.hashing import SALT_SIZE, Node, check_sum, combine, leaf_node
from ledger.sumtree.tree import Step

MAX_PATH = 64
"""A path never has more steps than a tree of 2**64 leaves has levels."""


def root_from_path(account: str, balance: int, salt: bytes, path: Sequence[Step]) -> Node:
    """The root (hash and total) that the leaf of ``account`` and ``path`` lead to.

    Raises ProofError if the path is malformed or a sum is outside ``[0, MAX_SUM]``.
    """
    if len(path) > MAX_PATH:
        raise ProofError(f"wrong path length {len(path)}, want at most {MAX_PATH}")
    if len(salt) != SALT_SIZE:
        raise ProofError(f"wrong salt size {len(salt)}, want {SALT_SIZE}")
    try:
        node = leaf_node(account, balance, salt)
        for depth, step in enumerate(path):
            if len(step.node.hash) != 32:
                raise ProofError(f"step {depth}: wrong hash size {len(step.node.hash)}, want 32")
            check_sum(step.node.sum, f"step {depth}: sibling sum")
            if step.side == "left":
                node = combine(step.node, node)
            elif step.side == "right":
                node = combine(node, step.node)
            else:
                raise ProofError(f"step {depth}: side {step.side!r}, want 'left' or 'right'")
    except ValueError as exc:
        raise ProofError(str(exc), code="sum_out_of_range") from exc
    return node


def verify_path(
    account: str, balance: int, salt: bytes, path: Sequence[Step], root: bytes, total: int
) -> None:
    """Raise unless the leaf and ``path`` lead to exactly ``root`` with sum ``total``."""
    got = root_from_path(account, balance, salt, path)
    if got.hash != root:
        raise RootMismatch(expected=root, calculated=got.hash)
    if got.sum != total:
        raise VerificationError(
            f"the path adds up to {got.sum} g, the committed total is {total} g",
            code="sum_mismatch",
            expected=total,
            calculated=got.sum,
        )


__all__ = ["MAX_PATH", "Node", "Step", "root_from_path", "verify_path"]
