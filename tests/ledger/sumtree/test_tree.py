"""Building sum trees: the streamed builder and the in-memory one agree with a naive recursive
definition, every sum adds up, and the stored levels are the ones proofs need."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.sumtree import (
    MAX_SUM,
    STORED_FROM,
    Node,
    TreeBuilder,
    build_levels,
    combine,
    leaf_node,
    level_sizes,
    path_from_levels,
    path_ids,
    salt_for,
)

SEED = bytes(range(32))


def leaves(balances: list[int]) -> list[Node]:
    return [leaf_node(f"acct-{i}", b, salt_for(SEED, f"acct-{i}")) for i, b in enumerate(balances)]


def naive_root(nodes: list[Node]) -> Node:
    """The definition: pair left to right, a last odd node moves up unchanged."""
    if len(nodes) == 1:
        return nodes[0]
    above = [combine(nodes[i], nodes[i + 1]) for i in range(0, len(nodes) - 1, 2)]
    if len(nodes) % 2:
        above.append(nodes[-1])
    return naive_root(above)


def streamed(nodes: list[Node]) -> tuple[Node, dict[tuple[int, int], Node]]:
    kept: dict[tuple[int, int], Node] = {}
    builder = TreeBuilder(len(nodes), lambda level, idx, node: kept.__setitem__((level, idx), node))
    builder.extend(nodes)
    return builder.root(), kept


balances = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=70)


class TestShape:
    def test_level_sizes_halve_rounding_up(self) -> None:
        assert level_sizes(1) == [1]
        assert level_sizes(5) == [5, 3, 2, 1]
        assert level_sizes(16) == [16, 8, 4, 2, 1]

    def test_a_tree_needs_a_leaf(self) -> None:
        with pytest.raises(ValueError, match="at least one leaf"):
            level_sizes(0)

    def test_a_lone_last_node_has_no_sibling_on_its_path(self) -> None:
        # Leaf 4 of 5 moves up alone twice before meeting the subtree of leaves 0-3.
        assert path_ids(4, 5) == [(2, 0, "left")]
        assert path_ids(0, 5) == [(0, 1, "right"), (1, 1, "right"), (2, 1, "right")]


class TestBuilding:
    @given(balances)
    def test_in_memory_and_streamed_roots_match_the_definition(self, amounts: list[int]) -> None:
        nodes = leaves(amounts)
        root = naive_root(nodes)
        assert build_levels(nodes)[-1] == [root]
        assert streamed(nodes)[0] == root
        assert root.sum == sum(amounts)

    @given(balances)
    def test_streamed_builder_keeps_every_node_from_the_stored_level_up(
        self, amounts: list[int]
    ) -> None:
        nodes = leaves(amounts)
        levels = build_levels(nodes)
        _, kept = streamed(nodes)
        want = {
            (level, idx): node
            for level, row in enumerate(levels)
            if level >= STORED_FROM
            for idx, node in enumerate(row)
        }
        assert kept == want

    def test_more_leaves_than_announced_are_refused(self) -> None:
        builder = TreeBuilder(1, lambda *_: None)
        builder.add(leaves([1])[0])
        with pytest.raises(ValueError, match="more than the 1 leaves"):
            builder.add(leaves([2])[0])

    def test_a_root_before_every_leaf_is_refused(self) -> None:
        builder = TreeBuilder(3, lambda *_: None)
        builder.add(leaves([1])[0])
        with pytest.raises(ValueError, match="1 leaves added, 3 announced"):
            builder.root()


class TestLeaves:
    def test_a_negative_balance_is_refused(self) -> None:
        with pytest.raises(ValueError, match="outside"):
            leaf_node("a", -1, salt_for(SEED, "a"))

    def test_a_sum_beyond_the_bound_is_refused(self) -> None:
        big = leaf_node("a", MAX_SUM, salt_for(SEED, "a"))
        with pytest.raises(ValueError, match="node sum"):
            combine(big, leaf_node("b", 1, salt_for(SEED, "b")))

    def test_salts_depend_on_seed_and_account(self) -> None:
        assert salt_for(SEED, "a") != salt_for(SEED, "b")
        assert salt_for(SEED, "a") != salt_for(bytes(32), "a")

    def test_the_same_balance_under_another_salt_hashes_differently(self) -> None:
        assert leaf_node("a", 5, salt_for(SEED, "a")).hash != leaf_node("a", 5, bytes(32)).hash


class TestPaths:
    @given(balances)
    def test_every_path_has_one_step_per_level_with_a_sibling(self, amounts: list[int]) -> None:
        levels = build_levels(leaves(amounts))
        for position in range(len(amounts)):
            steps = path_from_levels(levels, position)
            assert len(steps) == len(path_ids(position, len(amounts)))
            assert len(steps) <= len(levels) - 1
