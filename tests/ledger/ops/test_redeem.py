"""redeem: personal reductions given to a platform or merchant for points or a gift.

Points are kept apart: a points balance never appears in supply, holdings, balances, custody
totals or any sum of grams."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.audit import check_invariants
from ledger.queries import personal
from ledger.storage import schema
from tests.builders import TONNE, World
from tests.ledger.personal.scene import PLATFORM, enable_recording, open_accounts, record, row


@pytest.fixture
def batch(world: World) -> str:
    enable_recording(world)
    open_accounts(world, ["p1", "p2"])
    world.add_participant("shop", ["holder"], kind="enterprise")
    event = record(world, [row("p1", 600, 1), row("p2", 400, 2)])
    return str(event.data["batch"])


def body(batch: str, grams: int, **extra: Any) -> dict[str, Any]:
    return {
        "account": "p1",
        "to_account": "shop",
        "lots": [{"batch": batch, "quantity": grams}],
        **extra,
    }


class TestPoints:
    def test_points_follow_the_conversion_rate_and_the_credits_move(
        self, world: World, batch: str
    ) -> None:
        event = world.accept(
            PLATFORM, "redeem", body(batch, 250, reward="points", points_per_tonne=10_000), ["shop"]
        )
        # 250 g at 10,000 points per tonne: 2.5 points, floored to 2
        assert (event.data["points"], event.data["quantity"]) == (2, 250)
        assert world.held("p1") == 350
        assert world.held("shop") == 250
        assert world.row(schema.points_balances, account="p1") == {
            "account": "p1",
            "issuer": "shop",
            "points": 2,
        }
        redemption = world.row(schema.redemptions, idx=event.index)
        assert redemption is not None
        assert (redemption["reward"], redemption["points_per_tonne"]) == ("points", 10_000)
        transfer = world.row(schema.transfers, idx=event.index)
        assert transfer is not None and transfer["venue"] == "redemption"

    def test_points_never_count_as_tonnes(self, world: World, batch: str) -> None:
        before = (
            world.supply(batch),
            world.held("p1") + world.held("shop"),
            world.row(schema.custody_totals, platform=PLATFORM),
        )
        world.accept(
            PLATFORM,
            "redeem",
            body(batch, 600, reward="points", points_per_tonne=5 * TONNE),
            ["shop"],
        )
        assert personal.points(world.ledger.engine, "p1")[0].points == 3000
        # the grams are all still there, and no gram more
        assert world.supply(batch) == before[0]
        assert world.held("p1") + world.held("shop") == before[1]
        assert personal.account_balance(world.ledger.engine, "p1") == 0
        custody = world.row(schema.custody_totals, platform=PLATFORM)
        assert custody is not None and custody["held"] == 400
        assert check_invariants(world.ledger.engine) == []

    def test_a_redemption_worth_less_than_a_point_is_refused(
        self, world: World, batch: str
    ) -> None:
        assert (
            world.reject(
                PLATFORM, "redeem", body(batch, 1, reward="points", points_per_tonne=100), ["shop"]
            )
            == "no_points"
        )


class TestGifts:
    def test_a_gift_is_recorded_with_its_value_and_no_points(
        self, world: World, batch: str
    ) -> None:
        event = world.accept(
            PLATFORM,
            "redeem",
            body(batch, 100, reward="gift", gift_ref="mug-42", gift_value_fen=1500),
            ["shop"],
        )
        assert event.data["points"] == 0
        assert world.rows(schema.points_balances) == []

    def test_a_gift_needs_its_reference(self, world: World, batch: str) -> None:
        assert (
            world.reject(PLATFORM, "redeem", body(batch, 1, reward="gift"), ["shop"])
            == "invalid_input"
        )


class TestWhoRedeems:
    def test_the_merchant_awarding_the_reward_must_sign(self, world: World, batch: str) -> None:
        assert (
            world.reject(
                PLATFORM, "redeem", body(batch, 10, reward="points", points_per_tonne=TONNE)
            )
            == "missing_cosignature"
        )

    def test_only_the_custodian_redeems_for_a_person(self, world: World, batch: str) -> None:
        assert (
            world.reject("shop", "redeem", body(batch, 10, reward="points", points_per_tonne=TONNE))
            == "not_authorised"
        )

    def test_only_personal_accounts_redeem(self, world: World, batch: str) -> None:
        world.accept(
            PLATFORM,
            "transfer",
            {
                "from_account": "p1",
                "to_account": "alice",
                "lots": [{"batch": batch, "quantity": 10}],
            },
        )
        refused = {
            "account": "alice",
            "to_account": "shop",
            "lots": [{"batch": batch, "quantity": 10}],
            "reward": "gift",
            "gift_ref": "x",
        }
        assert world.reject("alice", "redeem", refused, ["shop"]) == "not_personal"
