"""Balance commitments end to end: the sum tree built from the ledger, committed in the log,
and each person's proof, checked offline; any alteration of the proof makes it fail."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from ledger.errors import LedgerError
from ledger.log import Accepted
from ledger.note import NoteSigner
from ledger.personal.commitments import build_tree, discard_tree
from ledger.personal.proof import make_balance_proof, verify_balance_proof
from ledger.storage import schema
from ledger.sumtree import Node, build_levels, combine, leaf_node, salt_for
from tests.builders import World
from tests.ledger.personal.scene import PLATFORM, enable_recording, open_accounts, record, row

PEOPLE = [f"person-{i:03d}" for i in range(41)]


def balance_of(i: int) -> int:
    return 0 if i % 7 == 0 else 100 * i + 3


@pytest.fixture
def scene(world: World) -> World:
    enable_recording(world)
    open_accounts(world, PEOPLE)
    record(world, [row(p, balance_of(i), i) for i, p in enumerate(PEOPLE) if balance_of(i)])
    return world


def commit(world: World) -> int:
    tree = build_tree(world.ledger.engine, PLATFORM, chunk=8)  # a small chunk spills to disk
    event = world.accept(
        PLATFORM,
        "commit_balances",
        {"root": tree.root.hex(), "total": tree.total, "leaves": tree.leaves, "as_of": tree.size},
    )
    world.ledger.seal()
    return event.index


def expect_failure(document: dict[str, Any], log_vkey: str) -> str:
    with pytest.raises(LedgerError) as caught:
        verify_balance_proof(document, log_vkey)
    return caught.value.code


class TestTree:
    def test_the_stored_tree_is_the_sum_tree_of_every_custody_balance(self, scene: World) -> None:
        tree = build_tree(scene.ledger.engine, PLATFORM)
        assert (tree.leaves, tree.total, tree.size) == (
            41,
            sum(balance_of(i) for i in range(41)),
            scene.ledger.size,
        )
        leaves = scene.rows(schema.balance_tree_leaves, tree=tree.id)
        assert sorted(r["account"] for r in leaves) == PEOPLE
        rebuilt = build_levels(
            [
                leaf_node(r["account"], r["balance"], salt_for(tree.seed, r["account"]))
                for r in leaves
            ]
        )
        assert rebuilt[-1] == [Node(tree.root, tree.total)]

    def test_leaves_are_not_in_account_order(self, scene: World) -> None:
        tree = build_tree(scene.ledger.engine, PLATFORM)
        order = [r["account"] for r in scene.rows(schema.balance_tree_leaves, tree=tree.id)]
        assert order != sorted(order)

    def test_a_platform_without_personal_accounts_has_nothing_to_commit(self, world: World) -> None:
        with pytest.raises(LedgerError) as caught:
            build_tree(world.ledger.engine, PLATFORM)
        assert caught.value.code == "nothing_to_commit"

    def test_a_tree_overtaken_by_another_entry_is_refused_and_discarded(self, scene: World) -> None:
        tree = build_tree(scene.ledger.engine, PLATFORM)
        scene.open_account("latecomer")
        error = scene.reject_raw(
            scene.sign(
                PLATFORM,
                "commit_balances",
                {
                    "root": tree.root.hex(),
                    "total": tree.total,
                    "leaves": tree.leaves,
                    "as_of": tree.size,
                },
            )
        )
        assert error.code == "stale_commitment"
        discard_tree(scene.ledger.engine, tree.id)
        assert scene.rows(schema.balance_tree_leaves) == []

    def test_the_commitment_takes_the_index_its_balances_are_as_of(self, scene: World) -> None:
        tree = build_tree(scene.ledger.engine, PLATFORM)
        raw = scene.sign(
            PLATFORM,
            "commit_balances",
            {
                "root": tree.root.hex(),
                "total": tree.total,
                "leaves": tree.leaves,
                "as_of": tree.size,
            },
        )
        (outcome,) = scene.ledger.submit([raw])
        assert isinstance(outcome, Accepted) and outcome.index == tree.size


class TestProofs:
    def test_every_persons_proof_verifies_offline(self, scene: World) -> None:
        index = commit(scene)
        total = sum(balance_of(i) for i in range(41))
        for i, person in enumerate(PEOPLE):
            document = json.loads(json.dumps(make_balance_proof(scene.ledger.engine, person)))
            proven = verify_balance_proof(document, scene.ledger.log_vkey)
            assert (
                proven.account,
                proven.balance,
                proven.total,
                proven.leaves,
                proven.commitment,
            ) == (person, balance_of(i), total, 41, index)

    def test_a_proof_needs_a_sealed_commitment(self, scene: World) -> None:
        tree = build_tree(scene.ledger.engine, PLATFORM)
        scene.accept(
            PLATFORM,
            "commit_balances",
            {
                "root": tree.root.hex(),
                "total": tree.total,
                "leaves": tree.leaves,
                "as_of": tree.size,
            },
        )
        with pytest.raises(LedgerError) as caught:
            make_balance_proof(scene.ledger.engine, PEOPLE[1])
        assert caught.value.code == "not_sealed"

    def test_a_later_commitment_is_the_default_and_an_earlier_one_can_be_named(
        self, scene: World
    ) -> None:
        first = commit(scene)
        record(scene, [row(PEOPLE[1], 5, 1000)])
        second = commit(scene)
        engine = scene.ledger.engine
        latest = make_balance_proof(engine, PEOPLE[1])
        earlier = make_balance_proof(engine, PEOPLE[1], commitment=first)
        assert (latest["commitment"]["index"], latest["balance"]) == (second, balance_of(1) + 5)
        assert (earlier["commitment"]["index"], earlier["balance"]) == (first, balance_of(1))

    def test_an_account_outside_the_tree_has_no_proof(self, scene: World) -> None:
        commit(scene)
        scene.open_account("newcomer")
        with pytest.raises(LedgerError) as caught:
            make_balance_proof(scene.ledger.engine, "newcomer")
        assert caught.value.code == "not_in_commitment"


class TestTampering:
    @pytest.fixture
    def proof(self, scene: World) -> dict[str, Any]:
        commit(scene)
        return make_balance_proof(scene.ledger.engine, PEOPLE[20])

    def test_an_altered_balance_fails(self, scene: World, proof: dict[str, Any]) -> None:
        bad = copy.deepcopy(proof)
        bad["balance"] += 1
        assert expect_failure(bad, scene.ledger.log_vkey) == "root_mismatch"

    def test_an_altered_sibling_sum_fails(self, scene: World, proof: dict[str, Any]) -> None:
        bad = copy.deepcopy(proof)
        # The path's length depends on where the salted leaf falls (the salt is random): the
        # sibling next to the root is always there.
        bad["path"][-1]["sum"] -= 1
        assert expect_failure(bad, scene.ledger.log_vkey) == "root_mismatch"

    def test_a_negative_sibling_sum_fails(self, scene: World, proof: dict[str, Any]) -> None:
        bad = copy.deepcopy(proof)
        bad["path"][0]["sum"] = -bad["balance"] - 1
        assert expect_failure(bad, scene.ledger.log_vkey) == "sum_out_of_range"

    def test_an_altered_total_fails(self, scene: World, proof: dict[str, Any]) -> None:
        bad = copy.deepcopy(proof)
        bad["total"] += 1
        assert expect_failure(bad, scene.ledger.log_vkey) == "sum_mismatch"

    def test_another_root_fails_against_the_committed_entry(
        self, scene: World, proof: dict[str, Any]
    ) -> None:
        # A made-up tree: its path verifies, but the log's entry commits to another root.
        fake = copy.deepcopy(proof)
        fake["balance"] += 1000
        fake["total"] += 1000
        node = leaf_node(fake["account"], fake["balance"], bytes.fromhex(fake["salt"]))
        for step in fake["path"]:
            sibling = Node(bytes.fromhex(step["hash"]), step["sum"])
            node = combine(sibling, node) if step["side"] == "left" else combine(node, sibling)
        fake["root"] = node.hash.hex()
        assert expect_failure(fake, scene.ledger.log_vkey) == "commitment_mismatch"

    def test_a_path_that_does_not_fit_the_position_fails(
        self, scene: World, proof: dict[str, Any]
    ) -> None:
        bad = copy.deepcopy(proof)
        bad["position"] = (bad["position"] + 1) % bad["leaves"]
        assert expect_failure(bad, scene.ledger.log_vkey) in ("bad_proof", "root_mismatch")

    def test_another_log_key_fails(self, scene: World, proof: dict[str, Any]) -> None:
        stranger = NoteSigner.generate(scene.ledger.origin).verifier().vkey()
        assert expect_failure(proof, stranger) == "insufficient_signatures"

    def test_a_malformed_document_is_refused(self, scene: World, proof: dict[str, Any]) -> None:
        bad = copy.deepcopy(proof)
        bad["balance"] = "lots"
        assert expect_failure(bad, scene.ledger.log_vkey) == "bad_balance_proof"
