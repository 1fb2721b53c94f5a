"""Proof construction from stored nodes, against the recursive RFC 9162 reference."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import ProofError, TamperDetected
from ledger.merkle import (
    CompactRange,
    NodeId,
    consistency_nodes,
    consistency_proof,
    inclusion_nodes,
    inclusion_proof,
    leaf_hash,
    range_nodes,
    verify_consistency,
    verify_inclusion,
)

from . import reference as ref
from .nodestore import MemoryNodeStore

MAX_EXHAUSTIVE = 70


def entries(count: int) -> list[bytes]:
    return [f"entry-{i}".encode() for i in range(count)]


def is_stored_node(node: NodeId, size: int) -> bool:
    """Whether ``node`` is a perfect subtree inside a tree of ``size`` leaves."""
    level, index = node
    return level >= 0 and index >= 0 and (index + 1) << level <= size


class RecordingFetch:
    """A fetch that only records what it is asked for, returning placeholder hashes."""

    def __init__(self) -> None:
        self.calls: list[list[NodeId]] = []

    def __call__(self, ids: Sequence[NodeId]) -> list[bytes]:
        self.calls.append(list(ids))
        return [bytes(32)] * len(ids)


class TestInclusionProofMatchesReference:
    def test_every_index_of_every_size_up_to_70(self) -> None:
        data = entries(MAX_EXHAUSTIVE)
        store = MemoryNodeStore(data)
        for size in range(1, MAX_EXHAUSTIVE + 1):
            for index in range(size):
                want = ref.path(index, data[:size])
                assert inclusion_proof(index, size, store.fetch) == want, (index, size)

    @settings(max_examples=40, deadline=None)
    @given(st.data())
    def test_random_index_in_larger_trees(self, data: st.DataObject) -> None:
        size = data.draw(st.integers(MAX_EXHAUSTIVE, 1200), label="size")
        index = data.draw(st.integers(0, size - 1), label="index")
        leaves = entries(size)
        store = MemoryNodeStore(leaves)
        proof = inclusion_proof(index, size, store.fetch)
        assert proof == ref.path(index, leaves)
        verify_inclusion(leaf_hash(leaves[index]), index, size, proof, store.roots[size])

    def test_proof_for_a_past_tree_size_reads_only_nodes_of_that_tree(self) -> None:
        data = entries(50)
        store = MemoryNodeStore(data)
        for size in (2, 7, 16, 33):
            for index in range(size):
                proof = inclusion_proof(index, size, store.fetch)
                assert all(is_stored_node(node, size) for node in store.fetch_calls[-1])
                assert proof == ref.path(index, data[:size])


class TestConsistencyProofMatchesReference:
    def test_every_size_pair_up_to_70(self) -> None:
        data = entries(MAX_EXHAUSTIVE)
        store = MemoryNodeStore(data)
        for size2 in range(1, MAX_EXHAUSTIVE + 1):
            for size1 in range(1, size2 + 1):
                want = ref.proof(size1, data[:size2])
                assert consistency_proof(size1, size2, store.fetch) == want, (size1, size2)

    @settings(max_examples=40, deadline=None)
    @given(st.data())
    def test_random_sizes_in_larger_trees(self, data: st.DataObject) -> None:
        size2 = data.draw(st.integers(MAX_EXHAUSTIVE, 1200), label="size2")
        size1 = data.draw(st.integers(1, size2), label="size1")
        leaves = entries(size2)
        store = MemoryNodeStore(leaves)
        proof = consistency_proof(size1, size2, store.fetch)
        assert proof == ref.proof(size1, leaves)
        verify_consistency(size1, size2, proof, store.roots[size1], store.roots[size2])

    def test_equal_sizes_give_an_empty_proof(self) -> None:
        store = MemoryNodeStore(entries(9))
        for size in range(1, 10):
            assert consistency_proof(size, size, store.fetch) == []


class TestPreconditions:
    @pytest.mark.parametrize(("index", "size"), [(0, 0), (-1, 5), (5, 5), (6, 5), (0, -1)])
    def test_inclusion_index_outside_tree_is_rejected(self, index: int, size: int) -> None:
        fetch = RecordingFetch()
        with pytest.raises(ProofError, match=f"leaf index {index} out of range"):
            inclusion_proof(index, size, fetch)
        assert fetch.calls == []

    @pytest.mark.parametrize(("size1", "size2"), [(0, 0), (0, 8), (-1, 8), (9, 8), (2, 1)])
    def test_consistency_sizes_out_of_order_or_from_empty_are_rejected(
        self, size1: int, size2: int
    ) -> None:
        fetch = RecordingFetch()
        with pytest.raises(ProofError, match=f"tree sizes {size1} -> {size2}, want 0 < size1"):
            consistency_proof(size1, size2, fetch)
        assert fetch.calls == []

    def test_plans_check_the_same_preconditions(self) -> None:
        with pytest.raises(ProofError):
            inclusion_nodes(3, 3)
        with pytest.raises(ProofError):
            consistency_nodes(0, 3)


class TestFetching:
    def test_each_proof_fetches_once_and_only_stored_nodes(self) -> None:
        data = entries(40)
        for size in range(1, 41):
            for index in range(size):
                store = MemoryNodeStore(data)
                inclusion_proof(index, size, store.fetch)
                assert len(store.fetch_calls) == (0 if size == 1 else 1)
                assert all(is_stored_node(n, size) for c in store.fetch_calls for n in c)
            for size1 in range(1, size + 1):
                store = MemoryNodeStore(data)
                consistency_proof(size1, size, store.fetch)
                assert len(store.fetch_calls) == (0 if size1 == size else 1)
                assert all(is_stored_node(n, size) for c in store.fetch_calls for n in c)

    def test_a_million_leaf_tree_needs_at_most_2_log_n_nodes_per_proof(self) -> None:
        # Plans depend on the sizes alone, so counting needs no hashes.
        size = 1_000_000
        bound = 2 * math.ceil(math.log2(size))
        rng = random.Random(9162)
        for _ in range(2000):
            fetch = RecordingFetch()
            index = rng.randrange(size)
            inclusion_proof(index, size, fetch)
            assert len(fetch.calls) == 1
            assert len(fetch.calls[0]) <= bound, index
            assert all(is_stored_node(node, size) for node in fetch.calls[0])

            fetch = RecordingFetch()
            size1 = rng.randrange(1, size)
            consistency_proof(size1, size, fetch)
            assert len(fetch.calls) == 1
            assert len(fetch.calls[0]) <= bound, size1
            assert all(is_stored_node(node, size) for node in fetch.calls[0])

    def test_proofs_from_a_synthetic_store_of_65k_leaves_verify(self) -> None:
        size = (1 << 16) + 12345
        tree = CompactRange()
        levels: list[list[bytes]] = [[] for _ in range(size.bit_length())]
        for position in range(size):
            for level, _, digest in tree.append(leaf_hash(position.to_bytes(4, "big"))):
                levels[level].append(digest)
        fetched: list[int] = []

        def fetch(ids: Sequence[NodeId]) -> list[bytes]:
            fetched.append(len(ids))
            return [levels[level][index] for level, index in ids]

        root = tree.root()
        bound = 2 * math.ceil(math.log2(size))
        rng = random.Random(6962)
        for _ in range(300):
            index = rng.randrange(size)
            proof = inclusion_proof(index, size, fetch)
            verify_inclusion(leaf_hash(index.to_bytes(4, "big")), index, size, proof, root)
        for _ in range(300):
            size1 = rng.randrange(1, size)
            # The old tree's root, restored from its stored frontier.
            frontier = [levels[level][index] for level, index in range_nodes(0, size1)]
            root1 = CompactRange(size1, frontier).root()
            proof = consistency_proof(size1, size, fetch)
            verify_consistency(size1, size, proof, root1, root)
        assert len(fetched) == 600
        assert max(fetched) <= bound

    def test_store_returning_too_few_hashes_is_reported(self) -> None:
        with pytest.raises(TamperDetected, match="node store returned 0 hashes, want 3"):
            inclusion_proof(0, 8, lambda ids: [])

    def test_store_returning_a_malformed_hash_is_reported(self) -> None:
        with pytest.raises(TamperDetected, match=r"stored node \(0, 1\) has a 3-byte hash"):
            inclusion_proof(0, 8, lambda ids: [b"abc"] * len(ids))
