"""release_pledge: the bank gives pledged credits back to the holder."""

from __future__ import annotations

import pytest

from ledger.storage import schema
from tests.builders import World, lots


@pytest.fixture
def pledged(world: World) -> tuple[str, str]:
    """(batch, pledge id): ``owner`` holds 1,000 g and pledged serials 0-400 to ``bank``."""
    batch = world.issue(1000)
    event = world.accept(
        "owner", "pledge", {"account": "owner", "lots": lots(batch, 400), "bank": "bank"}, ["bank"]
    )
    return batch, str(event.data["pledge"])


class TestReleasePledgeAccepted:
    def test_release_returns_the_credits_to_the_holder(
        self, world: World, pledged: tuple[str, str]
    ) -> None:
        batch, pid = pledged
        event = world.accept("bank", "release_pledge", {"pledge": pid})
        assert event.data == {
            "pledge": pid,
            "to_account": "owner",
            "lots": [{"batch": batch, "ranges": [[0, 400]]}],
        }
        row = world.row(schema.pledges, id=pid)
        assert row is not None and (row["status"], row["closed_at"]) == ("released", event.index)
        assert world.holdings(batch) == [(0, 1000, "owner", "held", None)]
        assert world.supply(batch) == {
            "issued": 1000,
            "held": 1000,
            "pledged": 0,
            "retired": 0,
            "cancelled": 0,
        }

    def test_released_credits_are_transferable_again(
        self, world: World, pledged: tuple[str, str]
    ) -> None:
        batch, pid = pledged
        world.accept("bank", "release_pledge", {"pledge": pid})
        world.accept(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 1000)},
        )
        assert world.held("alice", batch) == 1000

    def test_release_to_a_holder_who_moved_other_credits_meanwhile(
        self, world: World, pledged: tuple[str, str]
    ) -> None:
        batch, pid = pledged
        world.accept(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 600)},
        )
        world.accept("bank", "release_pledge", {"pledge": pid})
        assert world.holdings(batch) == [
            (0, 400, "owner", "held", None),
            (400, 1000, "alice", "held", None),
        ]


class TestReleasePledgeRejected:
    def test_the_holder_cannot_release_its_own_pledge(
        self, world: World, pledged: tuple[str, str]
    ) -> None:
        assert world.reject("owner", "release_pledge", {"pledge": pledged[1]}) == ("not_authorised")

    def test_another_bank_cannot_release_the_pledge(
        self, world: World, pledged: tuple[str, str]
    ) -> None:
        world.add_participant("bank2", ["bank"], kind="financial_institution")
        assert world.reject("bank2", "release_pledge", {"pledge": pledged[1]}) == ("not_authorised")

    def test_unknown_pledge_is_rejected(self, world: World, pledged: tuple[str, str]) -> None:
        assert world.reject("bank", "release_pledge", {"pledge": "PLG-999"}) == "unknown_pledge"

    def test_releasing_twice_is_rejected(self, world: World, pledged: tuple[str, str]) -> None:
        world.accept("bank", "release_pledge", {"pledge": pledged[1]})
        assert world.reject("bank", "release_pledge", {"pledge": pledged[1]}) == ("pledge_closed")

    def test_releasing_an_enforced_pledge_is_rejected(
        self, world: World, pledged: tuple[str, str]
    ) -> None:
        world.accept("bank", "enforce_pledge", {"pledge": pledged[1]})
        assert world.reject("bank", "release_pledge", {"pledge": pledged[1]}) == ("pledge_closed")

    def test_every_malformed_release_is_invalid_input(
        self, world: World, pledged: tuple[str, str]
    ) -> None:
        malformed: dict[str, dict[str, str]] = {
            "missing-pledge": {},
            "malformed-id": {"pledge": "PLG 1"},
            "unknown-field": {"pledge": pledged[1], "note": "x"},
        }
        for mutation, body in malformed.items():
            assert world.reject("bank", "release_pledge", body) == "invalid_input", mutation
