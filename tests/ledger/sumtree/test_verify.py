"""Checking sum-tree paths: every leaf's path leads to the root and total; altering a balance,
a sum, a hash, a side, the salt or the committed total makes it fail, and negative or
oversized sums are refused before any hashing."""

from __future__ import annotations

import dataclasses

import pytest

from ledger.errors import ProofError, RootMismatch, VerificationError
from ledger.sumtree import (
    MAX_SUM,
    Node,
    Step,
    build_levels,
    leaf_node,
    path_from_levels,
    root_from_path,
    salt_for,
    verify_path,
)

SEED = b"\x07" * 32
BALANCES = [5, 0, 120, 7, 3_000_000, 11, 2, 9, 40, 1]
ACCOUNTS = [f"person-{i}" for i in range(len(BALANCES))]


def tree() -> list[list[Node]]:
    return build_levels(
        [leaf_node(a, b, salt_for(SEED, a)) for a, b in zip(ACCOUNTS, BALANCES, strict=True)]
    )


def proof(position: int) -> tuple[str, int, bytes, list[Step], bytes, int]:
    levels = tree()
    root = levels[-1][0]
    account = ACCOUNTS[position]
    return (
        account,
        BALANCES[position],
        salt_for(SEED, account),
        path_from_levels(levels, position),
        root.hash,
        root.sum,
    )


def altered(steps: list[Step], depth: int, **change: object) -> list[Step]:
    out = list(steps)
    out[depth] = dataclasses.replace(out[depth], **change)  # type: ignore[arg-type]
    return out


class TestValidProofs:
    @pytest.mark.parametrize("position", range(len(BALANCES)))
    def test_each_leaf_verifies_against_root_and_total(self, position: int) -> None:
        verify_path(*proof(position))

    def test_the_root_sum_is_the_total_of_all_balances(self) -> None:
        account, balance, salt, steps, _, _ = proof(3)
        assert root_from_path(account, balance, salt, steps).sum == sum(BALANCES)


class TestAlterations:
    def test_an_altered_balance_fails(self) -> None:
        account, balance, salt, steps, root, total = proof(2)
        with pytest.raises(RootMismatch):
            verify_path(account, balance + 1, salt, steps, root, total)

    def test_an_altered_sibling_sum_fails(self) -> None:
        account, balance, salt, steps, root, total = proof(2)
        node = steps[0].node
        moved = altered(steps, 0, node=Node(node.hash, node.sum + 1))
        with pytest.raises(RootMismatch):
            verify_path(account, balance, salt, moved, root, total)

    def test_moving_grams_from_a_sibling_to_the_leaf_fails(self) -> None:
        account, balance, salt, steps, root, total = proof(1)
        node = steps[0].node
        shifted = altered(steps, 0, node=Node(node.hash, node.sum - 5))
        with pytest.raises(RootMismatch):
            verify_path(account, balance + 5, salt, shifted, root, total)

    def test_an_altered_sibling_hash_fails(self) -> None:
        account, balance, salt, steps, root, total = proof(6)
        node = steps[-1].node
        bad = altered(steps, len(steps) - 1, node=Node(bytes(32), node.sum))
        with pytest.raises(RootMismatch):
            verify_path(account, balance, salt, bad, root, total)

    def test_a_swapped_side_fails(self) -> None:
        account, balance, salt, steps, root, total = proof(0)
        swapped = altered(steps, 1, side="left" if steps[1].side == "right" else "right")
        with pytest.raises(RootMismatch):
            verify_path(account, balance, salt, swapped, root, total)

    def test_another_accounts_salt_fails(self) -> None:
        account, balance, _, steps, root, total = proof(4)
        with pytest.raises(RootMismatch):
            verify_path(account, balance, salt_for(SEED, "someone"), steps, root, total)

    def test_an_altered_total_fails(self) -> None:
        account, balance, salt, steps, root, total = proof(4)
        with pytest.raises(VerificationError) as caught:
            verify_path(account, balance, salt, steps, root, total + 1)
        assert caught.value.code == "sum_mismatch"


class TestRanges:
    def test_a_negative_sibling_sum_is_refused(self) -> None:
        account, balance, salt, steps, root, total = proof(5)
        node = steps[0].node
        with pytest.raises(ProofError) as caught:
            verify_path(
                account, balance, salt, altered(steps, 0, node=Node(node.hash, -3)), root, total
            )
        assert caught.value.code == "sum_out_of_range"

    def test_a_sibling_sum_beyond_the_bound_is_refused(self) -> None:
        account, balance, salt, steps, root, total = proof(5)
        node = steps[0].node
        with pytest.raises(ProofError):
            verify_path(
                account,
                balance,
                salt,
                altered(steps, 0, node=Node(node.hash, MAX_SUM + 1)),
                root,
                total,
            )

    def test_a_negative_balance_is_refused(self) -> None:
        account, _, salt, steps, root, total = proof(5)
        with pytest.raises(ProofError):
            verify_path(account, -1, salt, steps, root, total)

    def test_a_wrong_salt_size_is_refused(self) -> None:
        account, balance, _, steps, root, total = proof(5)
        with pytest.raises(ProofError, match="salt size"):
            verify_path(account, balance, b"short", steps, root, total)
