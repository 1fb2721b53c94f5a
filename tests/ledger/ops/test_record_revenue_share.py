"""record_revenue_share: the revenue of each sale of an aggregated lot, shared with the persons
who contributed, in proportion and to the fen."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.ops.revenue import split_pool
from ledger.storage import schema
from tests.builders import World
from tests.ledger.personal.scene import PLATFORM, enable_recording, open_accounts, record, row


@pytest.fixture
def lot(world: World) -> tuple[str, str]:
    """(aggregation id, batch): 1,000 g pooled from p1 (500), p2 (300), p3 (200)."""
    enable_recording(world)
    open_accounts(world, ["p1", "p2", "p3"])
    batch = str(
        record(world, [row("p1", 500, 1), row("p2", 300, 2), row("p3", 200, 3)]).data["batch"]
    )
    event = world.accept(
        PLATFORM,
        "aggregate",
        {
            "lot_account": "lot-1",
            "contributions": [
                {"account": a, "lots": [{"batch": batch, "quantity": g}], "consent_ref": f"c-{a}"}
                for a, g in (("p1", 500), ("p2", 300), ("p3", 200))
            ],
        },
    )
    return str(event.data["aggregation"]), batch


def sell(world: World, batch: str, grams: int, price: int | None) -> int:
    body: dict[str, Any] = {
        "from_account": "lot-1",
        "to_account": "alice",
        "lots": [{"batch": batch, "quantity": grams}],
    }
    if price is not None:
        body["price_fen_per_tonne"] = price
    return world.accept(PLATFORM, "transfer", body).index


class TestSharing:
    def test_shares_are_proportional_and_add_up_to_the_fen(
        self, world: World, lot: tuple[str, str]
    ) -> None:
        aggregation, batch = lot
        # 1 kg at 65,880 CNY per tonne: 65.88 CNY of revenue, 70% of it to the persons
        sale = sell(world, batch, 1000, 6588 * 1000)
        event = world.accept(
            PLATFORM,
            "record_revenue_share",
            {"aggregation": aggregation, "sale": sale, "share_bps": 7000},
        )
        assert (
            event.data["revenue_fen"],
            event.data["persons_fen"],
            event.data["platform_fen"],
        ) == (6588, 4611, 1977)
        shares = world.rows(schema.revenue_shares, sale=sale)
        assert [(r["account"], r["fen"]) for r in shares] == [
            ("p1", 2306),
            ("p2", 1383),
            ("p3", 922),
        ]
        assert sum(r["fen"] for r in shares) == 4611
        stored = world.row(schema.aggregations, id=aggregation)
        assert stored is not None and stored["sold"] == 1000

    def test_partial_sales_are_shared_one_by_one(self, world: World, lot: tuple[str, str]) -> None:
        aggregation, batch = lot
        for grams in (400, 600):
            sale = sell(world, batch, grams, 2_000_000)
            world.accept(
                PLATFORM,
                "record_revenue_share",
                {"aggregation": aggregation, "sale": sale, "share_bps": 10_000},
            )
        per_person: dict[str, int] = {}
        for share in world.rows(schema.revenue_shares):
            per_person[share["account"]] = per_person.get(share["account"], 0) + share["fen"]
        assert per_person == {"p1": 1000, "p2": 600, "p3": 400}

    def test_split_pool_gives_leftover_fen_to_the_largest_remainders(self) -> None:
        assert split_pool(10, (("a", 1), ("b", 1), ("c", 1))) == [4, 3, 3]
        assert split_pool(0, (("a", 5),)) == [0]
        assert sum(split_pool(99_999, tuple((str(i), i + 1) for i in range(37)))) == 99_999


class TestRefused:
    def test_a_sale_is_shared_once(self, world: World, lot: tuple[str, str]) -> None:
        aggregation, batch = lot
        sale = sell(world, batch, 100, 1_000_000)
        body = {"aggregation": aggregation, "sale": sale, "share_bps": 5000}
        world.accept(PLATFORM, "record_revenue_share", body)
        assert world.reject(PLATFORM, "record_revenue_share", body) == "duplicate_revenue_share"

    def test_a_transfer_without_a_price_is_not_a_sale(
        self, world: World, lot: tuple[str, str]
    ) -> None:
        aggregation, batch = lot
        sale = sell(world, batch, 100, None)
        assert (
            world.reject(
                PLATFORM,
                "record_revenue_share",
                {"aggregation": aggregation, "sale": sale, "share_bps": 5000},
            )
            == "not_a_sale"
        )

    def test_only_the_aggregating_platform_records_shares(
        self, world: World, lot: tuple[str, str]
    ) -> None:
        aggregation, batch = lot
        sale = sell(world, batch, 100, 1_000_000)
        assert (
            world.reject(
                "alice",
                "record_revenue_share",
                {"aggregation": aggregation, "sale": sale, "share_bps": 5000},
            )
            == "not_authorised"
        )

    def test_no_more_is_sold_with_shares_than_was_pooled(
        self, world: World, lot: tuple[str, str]
    ) -> None:
        aggregation, batch = lot
        extra = world.issue(50)
        world.accept(
            "owner",
            "transfer",
            {
                "from_account": "owner",
                "to_account": "lot-1",
                "lots": [{"batch": extra, "quantity": 50}],
            },
        )
        sale = sell(world, batch, 1000, 1_000_000)
        world.accept(
            PLATFORM,
            "record_revenue_share",
            {"aggregation": aggregation, "sale": sale, "share_bps": 5000},
        )
        other = world.accept(
            PLATFORM,
            "transfer",
            {
                "from_account": "lot-1",
                "to_account": "alice",
                "lots": [{"batch": extra, "quantity": 50}],
                "price_fen_per_tonne": 100,
            },
        ).index
        assert (
            world.reject(
                PLATFORM,
                "record_revenue_share",
                {"aggregation": aggregation, "sale": other, "share_bps": 5000},
            )
            == "exceeds_aggregation"
        )
