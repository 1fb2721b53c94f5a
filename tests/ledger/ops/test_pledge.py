"""pledge: credits locked as collateral for a bank; neither transferable nor retirable."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ledger.storage import schema
from tests.builders import World, lots, serials

Body = dict[str, Any]


@pytest.fixture
def batch(world: World) -> str:
    """A batch of 1,000 g (serials 0-1000) held by ``owner``."""
    return world.issue(1000)


def pledge(
    batch: str, quantity: int = 400, account: str = "owner", bank: str = "bank", **extra: Any
) -> Body:
    return {"account": account, "lots": lots(batch, quantity), "bank": bank, **extra}


class TestPledgeAccepted:
    def test_pledge_locks_the_serials_for_the_bank(self, world: World, batch: str) -> None:
        event = world.accept(
            "owner", "pledge", pledge(batch, contract_ref="LOAN-2024-88"), ["bank"]
        )
        pid = f"PLG-{event.index}"
        assert event.data == {
            "pledge": pid,
            "quantity": 400,
            "lots": [{"batch": batch, "ranges": [[0, 400]]}],
        }
        row = world.row(schema.pledges, id=pid)
        assert row is not None
        assert (
            row["account"],
            row["bank"],
            row["quantity"],
            row["contract_ref"],
            row["status"],
            row["closed_at"],
        ) == ("owner", "bank", 400, "LOAN-2024-88", "active", None)
        assert orjson.loads(row["lots"]) == [{"batch": batch, "ranges": [[0, 400]]}]
        assert world.holdings(batch) == [
            (0, 400, "owner", "pledged", pid),
            (400, 1000, "owner", "held", None),
        ]
        assert world.supply(batch) == {
            "issued": 1000,
            "held": 600,
            "pledged": 400,
            "retired": 0,
            "cancelled": 0,
        }

    def test_unpledged_credits_stay_transferable(self, world: World, batch: str) -> None:
        world.accept("owner", "pledge", pledge(batch), ["bank"])
        world.accept(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 600)},
        )
        assert world.held("alice", batch) == 600


class TestPledgedCreditsAreLocked:
    def test_pledged_credits_cannot_be_transferred(self, world: World, batch: str) -> None:
        world.accept("owner", "pledge", pledge(batch), ["bank"])
        by_quantity = {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 601)}
        assert world.reject("owner", "transfer", by_quantity) == "insufficient_credits"
        by_serial = {**by_quantity, "lots": serials(batch, 0, 1)}
        assert world.reject("owner", "transfer", by_serial) == "serials_not_held"

    def test_pledged_credits_cannot_be_retired(self, world: World, batch: str) -> None:
        world.accept("owner", "pledge", pledge(batch), ["bank"])
        body = {
            "account": "owner",
            "lots": serials(batch, 100, 200),
            "beneficiary": {"name": "x"},
            "purpose": "personal",
            "jurisdiction": "CN",
        }
        assert world.reject("owner", "retire", body) == "serials_not_held"

    def test_pledged_credits_cannot_be_pledged_again(self, world: World, batch: str) -> None:
        world.accept("owner", "pledge", pledge(batch, 1000), ["bank"])
        assert world.reject("owner", "pledge", pledge(batch, 1), ["bank"]) == (
            "insufficient_credits"
        )

    def test_the_bank_cannot_move_pledged_credits_before_enforcing(
        self, world: World, batch: str
    ) -> None:
        world.accept("owner", "pledge", pledge(batch), ["bank"])
        move = {"from_account": "owner", "to_account": "bank", "lots": lots(batch, 1)}
        assert world.reject("bank", "transfer", move) == "not_authorised"


class TestPledgeRejected:
    def test_pledge_without_the_banks_cosignature_is_rejected(
        self, world: World, batch: str
    ) -> None:
        assert world.reject("owner", "pledge", pledge(batch)) == "missing_cosignature"

    def test_pledgee_without_the_bank_role_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("owner", "pledge", pledge(batch, bank="alice"), ["alice"]) == (
            "not_authorised"
        )

    def test_unknown_pledgee_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("owner", "pledge", pledge(batch, bank="nobank")) == (
            "unknown_participant"
        )

    def test_pledge_more_than_held_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("owner", "pledge", pledge(batch, 1001), ["bank"]) == (
            "insufficient_credits"
        )

    def test_pledging_someone_elses_credits_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("alice", "pledge", pledge(batch), ["bank"]) == "not_authorised"

    def test_unknown_account_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("owner", "pledge", pledge(batch, account="ghost"), ["bank"]) == (
            "unknown_account"
        )

    def test_every_malformed_pledge_is_invalid_input(self, world: World, batch: str) -> None:
        malformed: dict[str, Body] = {
            "empty-contract-ref": {"contract_ref": ""},
            "unknown-field": {"rate": 3},
            "bank-not-a-string": {"bank": ["bank"]},
            "no-lots": {"lots": []},
        }
        for mutation, change in malformed.items():
            code = world.reject("owner", "pledge", {**pledge(batch), **change}, ["bank"])
            assert code == "invalid_input", mutation
