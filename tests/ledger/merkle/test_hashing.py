"""Leaf and node hashing against RFC 9162 section 2.1.1 and the published CT vectors."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from ledger.merkle import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash


class TestConstants:
    def test_empty_root_is_sha256_of_nothing(self) -> None:
        assert EMPTY_ROOT.hex() == (
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )

    def test_hash_size_is_sha256_digest_size(self) -> None:
        assert HASH_SIZE == 32 == len(EMPTY_ROOT)


class TestLeafHash:
    def test_empty_entry_matches_published_vector(self) -> None:
        assert leaf_hash(b"").hex() == (
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        )

    def test_leaf_is_prefixed_with_zero_byte(self) -> None:
        assert leaf_hash(b"\x00") == hashlib.sha256(b"\x00\x00").digest()

    @given(st.binary(max_size=200))
    def test_leaf_hash_differs_from_unprefixed_hash(self, data: bytes) -> None:
        assert leaf_hash(data) != hashlib.sha256(data).digest()
        assert len(leaf_hash(data)) == HASH_SIZE


class TestNodeHash:
    def test_first_two_leaves_match_published_vector(self) -> None:
        assert node_hash(leaf_hash(b""), leaf_hash(b"\x00")).hex() == (
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
        )

    def test_node_is_prefixed_with_one_byte(self) -> None:
        left, right = b"\x11" * 32, b"\x22" * 32
        assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()

    def test_children_order_matters(self) -> None:
        left, right = leaf_hash(b"a"), leaf_hash(b"b")
        assert node_hash(left, right) != node_hash(right, left)

    def test_node_never_equals_leaf_of_same_bytes(self) -> None:
        left, right = leaf_hash(b"a"), leaf_hash(b"b")
        assert node_hash(left, right) != leaf_hash(left + right)
