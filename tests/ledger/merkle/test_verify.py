"""Proof verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2) on reference proofs and mutants."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import ProofError, RootMismatch, VerificationError
from ledger.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

from . import reference as ref

MAX_EXHAUSTIVE = 70
DATA = [f"entry-{i}".encode() for i in range(MAX_EXHAUSTIVE)]
ROOTS = [ref.mth(DATA[:size]) for size in range(MAX_EXHAUSTIVE + 1)]


def flip_bit(proof: list[bytes], position: int, bit: int) -> list[bytes]:
    changed = bytearray(proof[position])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:position], bytes(changed), *proof[position + 1 :]]


class TestVerifyInclusion:
    def test_accepts_reference_proofs_for_every_index_of_every_size_up_to_70(self) -> None:
        for size in range(1, MAX_EXHAUSTIVE + 1):
            for index in range(size):
                proof = ref.path(index, DATA[:size])
                leaf = leaf_hash(DATA[index])
                assert root_from_inclusion_proof(leaf, index, size, proof) == ROOTS[size]
                verify_inclusion(leaf, index, size, proof, ROOTS[size])

    def test_single_leaf_tree_root_is_the_leaf_hash(self) -> None:
        leaf = leaf_hash(b"only")
        verify_inclusion(leaf, 0, 1, [], leaf)
        with pytest.raises(RootMismatch):
            verify_inclusion(leaf, 0, 1, [], EMPTY_ROOT)

    @settings(max_examples=200, deadline=None)
    @given(st.data())
    def test_any_flipped_bit_in_the_proof_is_a_root_mismatch(self, data: st.DataObject) -> None:
        size = data.draw(st.integers(2, MAX_EXHAUSTIVE), label="size")
        index = data.draw(st.integers(0, size - 1), label="index")
        proof = ref.path(index, DATA[:size])
        position = data.draw(st.integers(0, len(proof) - 1), label="position")
        bit = data.draw(st.integers(0, 255), label="bit")
        with pytest.raises(RootMismatch) as caught:
            verify_inclusion(
                leaf_hash(DATA[index]), index, size, flip_bit(proof, position, bit), ROOTS[size]
            )
        assert caught.value.expected == ROOTS[size]
        assert caught.value.calculated != ROOTS[size]

    @settings(max_examples=100, deadline=None)
    @given(st.data())
    def test_other_leaf_index_never_verifies(self, data: st.DataObject) -> None:
        size = data.draw(st.integers(2, MAX_EXHAUSTIVE), label="size")
        index = data.draw(st.integers(0, size - 1), label="index")
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index), label="other")
        proof = ref.path(index, DATA[:size])
        with pytest.raises(VerificationError):
            verify_inclusion(leaf_hash(DATA[index]), other, size, proof, ROOTS[size])

    def test_truncated_or_extended_proof_is_malformed(self) -> None:
        proof = ref.path(5, DATA[:8])
        leaf = leaf_hash(DATA[5])
        with pytest.raises(ProofError, match="wrong proof size 2, want 3"):
            verify_inclusion(leaf, 5, 8, proof[:-1], ROOTS[8])
        with pytest.raises(ProofError, match="wrong proof size 4, want 3"):
            verify_inclusion(leaf, 5, 8, [*proof, ROOTS[8]], ROOTS[8])

    def test_proof_hash_of_wrong_size_is_malformed(self) -> None:
        proof = ref.path(5, DATA[:8])
        with pytest.raises(ProofError, match=r"proof\[1\] has 31 bytes, want 32"):
            verify_inclusion(leaf_hash(DATA[5]), 5, 8, [proof[0], proof[1][:31], proof[2]], b"")

    def test_leaf_hash_of_wrong_size_is_malformed(self) -> None:
        with pytest.raises(ProofError, match="leaf hash has 5 bytes, want 32"):
            verify_inclusion(b"entry", 0, 1, [], ROOTS[1])

    @pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 1), (-1, 4), (8, 8)])
    def test_index_outside_tree_is_malformed(self, index: int, size: int) -> None:
        with pytest.raises(ProofError, match=f"leaf index {index} out of range"):
            root_from_inclusion_proof(leaf_hash(b""), index, size, [])


class TestVerifyConsistency:
    def test_accepts_reference_proofs_for_every_size_pair_up_to_70(self) -> None:
        for size2 in range(1, MAX_EXHAUSTIVE + 1):
            for size1 in range(1, size2 + 1):
                proof = ref.proof(size1, DATA[:size2])
                calculated = root_from_consistency_proof(size1, size2, proof, ROOTS[size1])
                assert calculated == ROOTS[size2]
                verify_consistency(size1, size2, proof, ROOTS[size1], ROOTS[size2])

    def test_equal_sizes_need_an_empty_proof_and_equal_roots(self) -> None:
        verify_consistency(5, 5, [], ROOTS[5], ROOTS[5])
        with pytest.raises(RootMismatch):
            verify_consistency(5, 5, [], ROOTS[5], ROOTS[4])
        with pytest.raises(ProofError, match="wrong proof size 1, want 0"):
            verify_consistency(5, 5, [ROOTS[5]], ROOTS[5], ROOTS[5])

    @pytest.mark.parametrize(("size1", "size2"), [(0, 0), (0, 5), (6, 5), (-1, 5)])
    def test_sizes_out_of_order_or_from_empty_are_malformed(self, size1: int, size2: int) -> None:
        with pytest.raises(ProofError, match=f"tree sizes {size1} -> {size2}"):
            verify_consistency(size1, size2, [], EMPTY_ROOT, ROOTS[5])

    @settings(max_examples=200, deadline=None)
    @given(st.data())
    def test_any_flipped_bit_in_the_proof_is_a_root_mismatch(self, data: st.DataObject) -> None:
        size2 = data.draw(st.integers(2, MAX_EXHAUSTIVE), label="size2")
        size1 = data.draw(st.integers(1, size2 - 1), label="size1")
        proof = ref.proof(size1, DATA[:size2])
        position = data.draw(st.integers(0, len(proof) - 1), label="position")
        bit = data.draw(st.integers(0, 255), label="bit")
        with pytest.raises(RootMismatch):
            verify_consistency(
                size1, size2, flip_bit(proof, position, bit), ROOTS[size1], ROOTS[size2]
            )

    @settings(max_examples=100, deadline=None)
    @given(st.data())
    def test_proof_against_another_old_size_never_verifies(self, data: st.DataObject) -> None:
        size2 = data.draw(st.integers(2, MAX_EXHAUSTIVE), label="size2")
        size1 = data.draw(st.integers(1, size2 - 1), label="size1")
        other = data.draw(st.integers(1, size2 - 1).filter(lambda s: s != size1), label="other")
        proof = ref.proof(size1, DATA[:size2])
        with pytest.raises(VerificationError):
            verify_consistency(other, size2, proof, ROOTS[other], ROOTS[size2])

    def test_swapped_roots_do_not_verify(self) -> None:
        proof = ref.proof(3, DATA[:7])
        with pytest.raises(RootMismatch) as caught:
            verify_consistency(3, 7, proof, ROOTS[7], ROOTS[3])
        assert caught.value.expected == ROOTS[7]

    def test_truncated_or_extended_proof_is_malformed(self) -> None:
        proof = ref.proof(6, DATA[:8])
        with pytest.raises(ProofError, match="wrong proof size 2, want 3"):
            verify_consistency(6, 8, proof[:-1], ROOTS[6], ROOTS[8])
        with pytest.raises(ProofError, match="wrong proof size 4, want 3"):
            verify_consistency(6, 8, [proof[0], *proof], ROOTS[6], ROOTS[8])


def outcome(check: Callable[[], None]) -> type[VerificationError] | None:
    try:
        check()
    except VerificationError as error:
        return type(error)
    return None


class TestAgreesWithReferenceVerifier:
    """Proofs presented for other indices and sizes: accepted exactly when the RFC's recursive
    definition, read backwards, yields the same root (a proof binds a leaf to a root, not to a
    tree size), malformed exactly when the definition wants another number of hashes."""

    @settings(max_examples=300, deadline=None)
    @given(st.data())
    def test_inclusion_proof_under_any_index_and_size(self, data: st.DataObject) -> None:
        size = data.draw(st.integers(1, MAX_EXHAUSTIVE), label="size")
        index = data.draw(st.integers(0, size - 1), label="index")
        claimed_size = data.draw(st.integers(-1, MAX_EXHAUSTIVE + 2), label="claimed_size")
        claimed_index = data.draw(st.integers(-1, MAX_EXHAUSTIVE + 2), label="claimed_index")
        leaf = leaf_hash(DATA[index])
        proof = ref.path(index, DATA[:size])

        want: type[VerificationError] | None = ProofError
        if 0 <= claimed_index < claimed_size:
            root = ref.root_from_path(claimed_index, claimed_size, leaf, proof)
            if root is not None:
                want = None if root == ROOTS[size] else RootMismatch
        got = outcome(
            lambda: verify_inclusion(leaf, claimed_index, claimed_size, proof, ROOTS[size])
        )
        assert got is want

    @settings(max_examples=300, deadline=None)
    @given(st.data())
    def test_consistency_proof_under_any_sizes(self, data: st.DataObject) -> None:
        size2 = data.draw(st.integers(1, MAX_EXHAUSTIVE), label="size2")
        size1 = data.draw(st.integers(1, size2), label="size1")
        claimed1 = data.draw(st.integers(-1, MAX_EXHAUSTIVE + 2), label="claimed1")
        claimed2 = data.draw(st.integers(-1, MAX_EXHAUSTIVE + 2), label="claimed2")
        proof = ref.proof(size1, DATA[:size2])
        root1, root2 = ROOTS[size1], ROOTS[size2]

        want: type[VerificationError] | None = ProofError
        if 0 < claimed1 == claimed2:
            if not proof:
                want = None if root1 == root2 else RootMismatch
        elif 0 < claimed1 < claimed2:
            roots = ref.roots_from_proof(claimed1, claimed2, proof, root1)
            if roots is not None:
                want = None if roots == (root1, root2) else RootMismatch
        got = outcome(lambda: verify_consistency(claimed1, claimed2, proof, root1, root2))
        assert got is want
