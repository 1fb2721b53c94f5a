"""pymerkle as an independent oracle for roots and proofs.

pymerkle's ``InmemoryTree(algorithm="sha256")`` with its default security mode prefixes leaves
with 0x00 and nodes with 0x01 over SHA-256, and splits ranges at the largest power of two below
their size: RFC 9162 hashing. (``disable_security=True`` would drop the prefixes; it stays off.)

What is compared:
- roots (pymerkle "states") for every size: equal to ``CompactRange`` roots;
- inclusion proofs: pymerkle's path is the leaf hash followed by the RFC 9162 ``PATH``, so its
  tail must equal our proof, our verifier must accept it, and pymerkle's verifier must accept
  its proof against our root;
- consistency proofs: pymerkle decomposes them differently (it also carries hashes of the new
  tree's leaves and a mask of which hashes rebuild the old root), so they are not compared
  hash for hash. Instead pymerkle's proof must rebuild our old and new roots, and pymerkle's
  verifier must accept it against our roots.
"""

from __future__ import annotations

from typing import Any

import pymerkle
import pytest

from ledger.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

from .nodestore import MemoryNodeStore

SIZE = 130


@pytest.fixture
def trees() -> tuple[MemoryNodeStore, Any]:
    data = [f"oracle-{i}".encode() for i in range(SIZE)]
    theirs = pymerkle.InmemoryTree(algorithm="sha256")
    for entry in data:
        theirs.append_entry(entry)
    return MemoryNodeStore(data), theirs


class TestPymerkleSettings:
    def test_hashing_is_rfc9162(self) -> None:
        tree = pymerkle.InmemoryTree(algorithm="sha256")
        assert tree.security is True
        assert (tree.leaf_prefix, tree.node_prefix) == (b"\x00", b"\x01")
        tree.append_entry(b"x")
        assert tree.get_leaf(1) == leaf_hash(b"x")


class TestPymerkleRoots:
    def test_roots_agree_for_every_size(self, trees: tuple[MemoryNodeStore, Any]) -> None:
        ours, theirs = trees
        for size in range(SIZE + 1):
            assert theirs.get_root(size) == ours.roots[size], size


class TestPymerkleInclusion:
    def test_paths_agree_and_cross_verify(self, trees: tuple[MemoryNodeStore, Any]) -> None:
        ours, theirs = trees
        for size in range(1, 65):
            root = ours.roots[size]
            for index in range(size):
                proof = theirs.prove_inclusion(index + 1, size)
                leaf = ours.nodes[0, index]
                assert proof.path[0] == leaf
                assert proof.path[1:] == inclusion_proof(index, size, ours.fetch)
                verify_inclusion(leaf, index, size, proof.path[1:], root)
                pymerkle.verify_inclusion(leaf, root, proof, index=index + 1, size=size)


class TestPymerkleConsistency:
    def test_proofs_rebuild_our_roots(self, trees: tuple[MemoryNodeStore, Any]) -> None:
        ours, theirs = trees
        for size2 in range(1, 65):
            for size1 in range(1, size2 + 1):
                root1, root2 = ours.roots[size1], ours.roots[size2]
                proof = theirs.prove_consistency(size1, size2)
                assert proof.retrieve_prior_state() == root1
                assert proof.compute_root() == root2
                pymerkle.verify_consistency(root1, root2, proof, prior_size=size1, later_size=size2)
                verify_consistency(
                    size1, size2, consistency_proof(size1, size2, ours.fetch), root1, root2
                )
