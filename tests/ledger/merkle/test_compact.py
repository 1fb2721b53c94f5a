"""CompactRange: roots, completed nodes, frontier and restoring from stored state."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidInput
from ledger.merkle import EMPTY_ROOT, CompactRange, leaf_hash, range_nodes

from . import reference as ref


def entries(count: int, start: int = 0) -> list[bytes]:
    return [f"entry-{i}".encode() for i in range(start, start + count)]


class TestRoot:
    def test_empty_range_has_empty_root(self) -> None:
        assert CompactRange().root() == EMPTY_ROOT
        assert CompactRange().size == 0

    def test_root_matches_reference_for_every_size_up_to_70(self) -> None:
        data = entries(70)
        tree = CompactRange()
        for size, entry in enumerate(data, start=1):
            tree.append(leaf_hash(entry))
            assert tree.size == size
            assert tree.root() == ref.mth(data[:size]), size

    @settings(max_examples=30, deadline=None)
    @given(st.lists(st.binary(max_size=40), min_size=1, max_size=300))
    def test_root_matches_reference_for_arbitrary_entries(self, data: list[bytes]) -> None:
        tree = CompactRange()
        for entry in data:
            tree.append(leaf_hash(entry))
        assert tree.root() == ref.mth(data)


class TestAppend:
    def test_first_node_returned_is_the_leaf_itself(self) -> None:
        tree = CompactRange()
        for position in range(10):
            digest = leaf_hash(b"%d" % position)
            assert tree.append(digest)[0] == (0, position, digest)

    def test_returns_one_node_per_trailing_one_bit_plus_the_leaf(self) -> None:
        tree = CompactRange()
        for old_size in range(100):
            completed = tree.append(leaf_hash(b"x"))
            trailing_ones = (~old_size & (old_size + 1)).bit_length() - 1
            assert len(completed) == trailing_ones + 1, old_size

    def test_every_completed_node_is_the_root_of_the_leaves_it_covers(self) -> None:
        data = entries(70)
        tree = CompactRange()
        seen = set()
        for entry in data:
            for level, index, digest in tree.append(leaf_hash(entry)):
                first = index << level
                assert digest == ref.mth(data[first : first + (1 << level)])
                seen.add((level, index))
        # All perfect subtrees of a 70-leaf tree, each reported exactly once.
        assert len(seen) == sum(70 >> level for level in range(7))

    def test_rejects_leaf_hash_of_wrong_size(self) -> None:
        with pytest.raises(InvalidInput, match="leaf hash has 3 bytes, want 32"):
            CompactRange().append(b"abc")


class TestFrontier:
    def test_frontier_holds_the_roots_of_range_nodes_largest_first(self) -> None:
        data = entries(45)
        tree = CompactRange()
        for size, entry in enumerate(data, start=1):
            tree.append(leaf_hash(entry))
            want = [
                ref.mth(data[index << level : (index + 1) << level])
                for level, index in range_nodes(0, size)
            ]
            assert list(tree.frontier) == want
            assert len(tree.frontier) == size.bit_count()


class TestRestore:
    @settings(max_examples=60, deadline=None)
    @given(st.integers(0, 300), st.integers(1, 70))
    def test_restored_range_continues_like_the_original(self, stored: int, more: int) -> None:
        original = CompactRange()
        for entry in entries(stored):
            original.append(leaf_hash(entry))
        restored = CompactRange(original.size, original.frontier)
        assert restored.root() == original.root()
        for entry in entries(more, start=stored):
            assert restored.append(leaf_hash(entry)) == original.append(leaf_hash(entry))
            assert restored.root() == original.root()
        assert restored.frontier == original.frontier

    def test_restored_root_matches_reference(self) -> None:
        data = entries(70)
        for stored in range(40):
            original = CompactRange()
            for entry in data[:stored]:
                original.append(leaf_hash(entry))
            restored = CompactRange(stored, original.frontier)
            for size in range(stored + 1, 71):
                restored.append(leaf_hash(data[size - 1]))
                assert restored.root() == ref.mth(data[:size])

    def test_rejects_frontier_with_wrong_number_of_hashes(self) -> None:
        with pytest.raises(InvalidInput, match="wrong frontier size 1 for tree size 3, want 2"):
            CompactRange(3, [EMPTY_ROOT])

    def test_rejects_frontier_hash_of_wrong_size(self) -> None:
        with pytest.raises(InvalidInput, match="frontier hash 1 has 4 bytes, want 32"):
            CompactRange(3, [EMPTY_ROOT, b"abcd"])

    def test_rejects_negative_size(self) -> None:
        with pytest.raises(InvalidInput, match="negative tree size -1"):
            CompactRange(-1)


class TestRangeNodes:
    @given(st.integers(0, 5000), st.integers(0, 5000))
    def test_nodes_are_aligned_perfect_subtrees_tiling_the_range(
        self, begin: int, length: int
    ) -> None:
        end = begin + length
        nodes = range_nodes(begin, end)
        position = begin
        for level, index in nodes:
            assert index << level == position
            position += 1 << level
        assert position == end
        # At most two nodes per level: the range grows, then shrinks.
        assert len(nodes) <= 2 * max(end.bit_length(), 1)

    def test_prefix_ranges_have_one_node_per_set_bit_largest_first(self) -> None:
        assert range_nodes(0, 13) == [(3, 0), (2, 2), (0, 12)]
        assert range_nodes(0, 0) == []

    def test_rejects_inverted_range(self) -> None:
        with pytest.raises(InvalidInput, match=r"bad leaf range \[5, 4\)"):
            range_nodes(5, 4)
