"""change_custodian: a personal account moves from one platform to another."""

from __future__ import annotations

import pytest

from ledger.storage import schema
from tests.builders import World, lots


@pytest.fixture
def personal(world: World) -> str:
    """A personal account kept by ``platform`` holding 100 g; a second platform exists."""
    world.add_participant("platform2", ["platform"], kind="platform")
    world.open_account("u-1")
    return world.issue(100, to="u-1")


def handover(custodian: str = "platform2", account: str = "u-1") -> dict[str, str]:
    return {"account": account, "custodian": custodian}


class TestChangeCustodianAccepted:
    def test_account_moves_to_the_new_platform_which_then_controls_it(
        self, world: World, personal: str
    ) -> None:
        world.accept("platform", "change_custodian", handover(), ["platform2"])
        row = world.row(schema.accounts, id="u-1")
        assert row is not None and row["custodian"] == "platform2"
        move = {"from_account": "u-1", "to_account": "alice", "lots": lots(personal, 10)}
        assert world.reject("platform", "transfer", move) == "not_authorised"
        world.accept("platform2", "transfer", move)
        assert world.held("u-1", personal) == 90


class TestChangeCustodianRejected:
    def test_unknown_account_is_rejected(self, world: World, personal: str) -> None:
        assert (
            world.reject("platform", "change_custodian", handover(account="u-9"), ["platform2"])
            == "unknown_account"
        )

    def test_handover_by_a_platform_not_keeping_the_account_is_rejected(
        self, world: World, personal: str
    ) -> None:
        assert world.reject("platform2", "change_custodian", handover()) == "not_authorised"

    def test_a_participant_account_has_no_custodian_to_change(
        self, world: World, personal: str
    ) -> None:
        assert (
            world.reject("alice", "change_custodian", handover(account="alice"), ["platform2"])
            == "invalid_input"
        )

    def test_new_custodian_must_be_a_platform(self, world: World, personal: str) -> None:
        assert world.reject("platform", "change_custodian", handover("bank"), ["bank"]) == (
            "not_authorised"
        )

    def test_new_custodian_must_be_registered(self, world: World, personal: str) -> None:
        assert world.reject("platform", "change_custodian", handover("nobody")) == (
            "unknown_participant"
        )

    def test_new_custodian_must_cosign(self, world: World, personal: str) -> None:
        assert world.reject("platform", "change_custodian", handover()) == "missing_cosignature"

    def test_unknown_field_is_invalid_input(self, world: World, personal: str) -> None:
        body = {**handover(), "reason": "user request"}
        assert world.reject("platform", "change_custodian", body, ["platform2"]) == (
            "invalid_input"
        )
