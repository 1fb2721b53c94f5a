"""A person moves from one platform to another: the account, its credits and its place in the
custody totals, the right to record for it and its balance proofs all follow."""

from __future__ import annotations

import pytest

from ledger.audit import check_invariants, verify_ledger
from ledger.personal.commitments import build_tree
from ledger.personal.proof import make_balance_proof, verify_balance_proof
from ledger.storage import schema
from tests.builders import PROGRAM, World
from tests.ledger.personal.scene import (
    PLATFORM,
    enable_recording,
    open_accounts,
    record,
    row,
    sign_record,
)

OTHER = "bank-app"


@pytest.fixture
def scene(world: World) -> World:
    enable_recording(world)
    world.add_participant(OTHER, ["platform"], kind="platform")
    enable_recording(world, OTHER, "PY")
    open_accounts(world, ["mover", "stayer"])
    record(world, [row("mover", 700, 1), row("stayer", 300, 2)])
    world.accept(PLATFORM, "change_custodian", {"account": "mover", "custodian": OTHER}, [OTHER])
    return world


def custody(world: World, platform: str) -> tuple[int, int]:
    found = world.row(schema.custody_totals, platform=platform)
    return (0, 0) if found is None else (found["accounts"], found["held"])


def commit(world: World, platform: str) -> None:
    tree = build_tree(world.ledger.engine, platform)
    world.accept(
        platform,
        "commit_balances",
        {"root": tree.root.hex(), "total": tree.total, "leaves": tree.leaves, "as_of": tree.size},
    )
    world.ledger.seal()


class TestMoving:
    def test_custody_totals_move_with_the_account_and_its_balance(self, scene: World) -> None:
        assert custody(scene, PLATFORM) == (1, 300)
        assert custody(scene, OTHER) == (1, 700)
        assert scene.held("mover") == 700
        assert check_invariants(scene.ledger.engine) == []

    def test_only_the_new_platform_records_for_the_person(self, scene: World) -> None:
        error = scene.reject_raw(sign_record(scene, [row("mover", 5, 3)]))
        assert [(r["row"], r["code"]) for r in error.details["rows"]] == [(0, "not_in_custody")]
        record(scene, [row("mover", 5, 3)], platform=OTHER, project="PY")
        assert custody(scene, OTHER) == (1, 705)

    def test_each_platforms_commitment_covers_its_own_people(self, scene: World) -> None:
        commit(scene, PLATFORM)
        commit(scene, OTHER)
        proof = make_balance_proof(scene.ledger.engine, "mover")
        proven = verify_balance_proof(proof, scene.ledger.log_vkey)
        assert (proven.platform, proven.balance, proven.total, proven.leaves) == (
            OTHER,
            700,
            700,
            1,
        )
        stayer = verify_balance_proof(
            make_balance_proof(scene.ledger.engine, "stayer"), scene.ledger.log_vkey
        )
        assert (stayer.platform, stayer.total) == (PLATFORM, 300)

    def test_the_move_replays_to_the_same_state(self, scene: World) -> None:
        scene.grant(PROGRAM, OTHER, "platform_recorder", granted=False)
        scene.ledger.seal()
        assert verify_ledger(scene.url).entries == scene.ledger.size
