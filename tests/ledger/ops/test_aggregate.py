"""aggregate: many persons' reductions, each with a consent reference, pooled into one lot
account that is sold like any credit; all contributions or none."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.audit import check_invariants
from ledger.storage import schema
from tests.builders import World
from tests.ledger.personal.scene import PLATFORM, enable_recording, open_accounts, record, row


@pytest.fixture
def batch(world: World) -> str:
    enable_recording(world)
    open_accounts(world, ["p1", "p2", "p3"])
    return str(
        record(world, [row("p1", 600, 1), row("p2", 300, 2), row("p3", 100, 3)]).data["batch"]
    )


def contribution(account: str, batch: str, grams: int) -> dict[str, Any]:
    return {
        "account": account,
        "lots": [{"batch": batch, "quantity": grams}],
        "consent_ref": f"consent/{account}/2024-06",
    }


class TestAggregated:
    def test_contributions_move_into_a_lot_account_with_consent_recorded(
        self, world: World, batch: str
    ) -> None:
        event = world.accept(
            PLATFORM,
            "aggregate",
            {
                "lot_account": "lot-1",
                "contributions": [contribution("p1", batch, 500), contribution("p2", batch, 300)],
            },
        )
        assert event.data == {
            "aggregation": f"AGG-{event.index}",
            "lot_account": "lot-1",
            "quantity": 800,
            "contributors": 2,
        }
        assert (world.held("lot-1"), world.held("p1"), world.held("p2")) == (800, 100, 0)
        lot = world.row(schema.accounts, id="lot-1")
        assert lot is not None and (lot["kind"], lot["holder"]) == ("aggregation", PLATFORM)
        stored = world.rows(schema.aggregation_contributions)
        assert [(r["account"], r["quantity"], r["consent_ref"]) for r in stored] == [
            ("p1", 500, "consent/p1/2024-06"),
            ("p2", 300, "consent/p2/2024-06"),
        ]
        # the lot is the platform's own, no longer in custody
        custody = world.row(schema.custody_totals, platform=PLATFORM)
        assert custody is not None and custody["held"] == 200
        assert check_invariants(world.ledger.engine) == []

    def test_the_lot_is_sold_like_any_credit(self, world: World, batch: str) -> None:
        world.accept(
            PLATFORM,
            "aggregate",
            {"lot_account": "lot-1", "contributions": [contribution("p1", batch, 500)]},
        )
        world.accept(
            PLATFORM,
            "transfer",
            {
                "from_account": "lot-1",
                "to_account": "alice",
                "lots": [{"batch": batch, "quantity": 500}],
                "price_fen_per_tonne": 2000,
                "venue": "exchange_bidding",
            },
        )
        assert world.held("alice") == 500


class TestRefused:
    def test_every_bad_contribution_is_named_and_nothing_moves(
        self, world: World, batch: str
    ) -> None:
        world.add_participant("other", ["platform"], kind="platform")
        world.open_account("q1", "other")
        error = world.reject_raw(
            world.sign(
                PLATFORM,
                "aggregate",
                {
                    "lot_account": "lot-1",
                    "contributions": [
                        contribution("p1", batch, 500),
                        contribution("p2", batch, 301),  # more than held
                        contribution("q1", batch, 1),  # another platform's
                        contribution("ghost", batch, 1),  # no such account
                        contribution("p1", batch, 1),  # twice
                    ],
                },
            )
        )
        assert error.code == "rows_rejected"
        assert [(r["row"], r["code"]) for r in error.details["rows"]] == [
            (1, "insufficient_credits"),
            (2, "not_in_custody"),
            (3, "unknown_account"),
            (4, "duplicate_contributor"),
        ]

    def test_the_lot_account_must_be_new(self, world: World, batch: str) -> None:
        assert (
            world.reject(
                PLATFORM,
                "aggregate",
                {"lot_account": "p3", "contributions": [contribution("p1", batch, 5)]},
            )
            == "duplicate_account"
        )

    def test_a_contribution_needs_a_consent_reference(self, world: World, batch: str) -> None:
        item = contribution("p1", batch, 5)
        del item["consent_ref"]
        assert (
            world.reject(PLATFORM, "aggregate", {"lot_account": "lot-1", "contributions": [item]})
            == "invalid_input"
        )
