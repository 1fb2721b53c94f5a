"""enforce_pledge: the bank takes pledged credits into its own account."""

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


class TestEnforcePledgeAccepted:
    def test_enforcement_moves_the_credits_to_the_bank(
        self, world: World, pledged: tuple[str, str]
    ) -> None:
        batch, pid = pledged
        event = world.accept("bank", "enforce_pledge", {"pledge": pid})
        assert event.data == {
            "pledge": pid,
            "to_account": "bank",
            "lots": [{"batch": batch, "ranges": [[0, 400]]}],
        }
        row = world.row(schema.pledges, id=pid)
        assert row is not None and (row["status"], row["closed_at"]) == ("enforced", event.index)
        assert world.holdings(batch) == [
            (0, 400, "bank", "held", None),
            (400, 1000, "owner", "held", None),
        ]
        assert world.supply(batch) == {
            "issued": 1000,
            "held": 1000,
            "pledged": 0,
            "retired": 0,
            "cancelled": 0,
        }

    def test_the_bank_may_sell_enforced_credits(
        self, world: World, pledged: tuple[str, str]
    ) -> None:
        batch, pid = pledged
        world.accept("bank", "enforce_pledge", {"pledge": pid})
        world.accept(
            "bank",
            "transfer",
            {
                "from_account": "bank",
                "to_account": "alice",
                "lots": lots(batch, 400),
                "price_fen_per_tonne": 2000,
                "venue": "auction",
            },
        )
        assert world.held("alice", batch) == 400 and world.held("bank", batch) == 0


class TestEnforcePledgeRejected:
    def test_the_holder_cannot_enforce(self, world: World, pledged: tuple[str, str]) -> None:
        assert world.reject("owner", "enforce_pledge", {"pledge": pledged[1]}) == ("not_authorised")

    def test_unknown_pledge_is_rejected(self, world: World, pledged: tuple[str, str]) -> None:
        assert world.reject("bank", "enforce_pledge", {"pledge": "PLG-999"}) == "unknown_pledge"

    def test_enforcing_twice_is_rejected(self, world: World, pledged: tuple[str, str]) -> None:
        world.accept("bank", "enforce_pledge", {"pledge": pledged[1]})
        assert world.reject("bank", "enforce_pledge", {"pledge": pledged[1]}) == "pledge_closed"

    def test_enforcing_a_released_pledge_is_rejected(
        self, world: World, pledged: tuple[str, str]
    ) -> None:
        world.accept("bank", "release_pledge", {"pledge": pledged[1]})
        assert world.reject("bank", "enforce_pledge", {"pledge": pledged[1]}) == "pledge_closed"

    def test_unknown_field_is_invalid_input(self, world: World, pledged: tuple[str, str]) -> None:
        body = {"pledge": pledged[1], "amount": 400}
        assert world.reject("bank", "enforce_pledge", body) == "invalid_input"
