"""transfer: credits move between accounts by quantity or exact serial range, with trade data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from ledger.storage import schema
from tests.builders import World, lots, serials, sign_any_json

Body = dict[str, Any]


@pytest.fixture
def batch(world: World) -> str:
    """A batch of 1,000 g (serials 0-1000) held by ``owner``."""
    return world.issue(1000)


def move(
    batch: str, quantity: int = 100, frm: str = "owner", to: str = "alice", **extra: Any
) -> Body:
    return {"from_account": frm, "to_account": to, "lots": lots(batch, quantity), **extra}


def move_serials(batch: str, start: int, end: int, frm: str = "owner", to: str = "alice") -> Body:
    return {"from_account": frm, "to_account": to, "lots": serials(batch, start, end)}


class TestTransferByQuantity:
    def test_lowest_serials_move_first(self, world: World, batch: str) -> None:
        event = world.accept("owner", "transfer", move(batch, 300))
        assert event.data["quantity"] == 300
        assert event.data["lots"] == [{"batch": batch, "ranges": [[0, 300]]}]
        assert world.holdings(batch) == [
            (0, 300, "alice", "held", None),
            (300, 1000, "owner", "held", None),
        ]
        assert world.supply(batch)["held"] == 1000

    def test_whole_holding_moves(self, world: World, batch: str) -> None:
        world.accept("owner", "transfer", move(batch, 1000))
        assert world.holdings(batch) == [(0, 1000, "alice", "held", None)]

    def test_quantity_spanning_several_ranges_takes_them_in_order(
        self, world: World, batch: str
    ) -> None:
        world.accept("owner", "transfer", move_serials(batch, 100, 200))
        world.accept("owner", "transfer", move_serials(batch, 300, 400))
        event = world.accept("owner", "transfer", move(batch, 350, to="bob"))
        assert event.data["lots"] == [
            {"batch": batch, "ranges": [[0, 100], [200, 300], [400, 550]]}
        ]
        assert world.held("owner", batch) == 450 and world.held("bob", batch) == 350

    def test_two_batches_in_one_transfer(self, world: World, batch: str) -> None:
        other = world.issue(500)
        body = {
            "from_account": "owner",
            "to_account": "alice",
            "lots": [*lots(batch, 10), *lots(other, 20)],
        }
        event = world.accept("owner", "transfer", body)
        assert event.data["quantity"] == 30
        assert (world.held("alice", batch), world.held("alice", other)) == (10, 20)

    def test_ranges_received_back_to_back_are_merged(self, world: World, batch: str) -> None:
        world.accept("owner", "transfer", move(batch, 100))
        world.accept("owner", "transfer", move(batch, 100))
        assert world.holdings(batch) == [
            (0, 200, "alice", "held", None),
            (200, 1000, "owner", "held", None),
        ]


class TestTransferBySerials:
    def test_sub_range_from_the_middle_splits_the_holding(self, world: World, batch: str) -> None:
        event = world.accept("owner", "transfer", move_serials(batch, 400, 600))
        assert event.data["quantity"] == 200
        assert world.holdings(batch) == [
            (0, 400, "owner", "held", None),
            (400, 600, "alice", "held", None),
            (600, 1000, "owner", "held", None),
        ]

    def test_returned_range_merges_with_its_neighbours(self, world: World, batch: str) -> None:
        world.accept("owner", "transfer", move_serials(batch, 400, 600))
        world.accept("alice", "transfer", move_serials(batch, 400, 600, frm="alice", to="owner"))
        assert world.holdings(batch) == [(0, 1000, "owner", "held", None)]


class TestTradeRecord:
    def test_price_venue_and_settlement_are_recorded(self, world: World, batch: str) -> None:
        body = move(
            batch,
            416,
            price_fen_per_tonne=6588,
            venue="exchange_bidding",
            settlement_ref="SEEE-20240913-01",
        )
        event = world.accept("owner", "transfer", body)
        row = world.row(schema.transfers, idx=event.index)
        assert row is not None
        assert (
            row["from_account"],
            row["to_account"],
            row["quantity"],
            row["price_fen_per_tonne"],
            row["venue"],
            row["settlement_ref"],
            row["corrected_by"],
        ) == ("owner", "alice", 416, 6588, "exchange_bidding", "SEEE-20240913-01", None)
        assert orjson.loads(row["lots"]) == [{"batch": batch, "ranges": [[0, 416]]}]

    def test_transfer_without_trade_data_records_nulls(self, world: World, batch: str) -> None:
        event = world.accept("owner", "transfer", move(batch))
        row = world.row(schema.transfers, idx=event.index)
        assert row is not None
        assert (row["price_fen_per_tonne"], row["venue"], row["settlement_ref"]) == (
            None,
            None,
            None,
        )


class TestTransferRejected:
    def test_more_than_held_is_rejected(self, world: World, batch: str) -> None:
        error = world.reject_raw(world.sign("owner", "transfer", move(batch, 1001)))
        assert error.code == "insufficient_credits"
        assert (error.details["held"], error.details["requested"]) == (1000, 1001)

    def test_credits_of_a_batch_never_held_are_insufficient(self, world: World, batch: str) -> None:
        assert world.reject("alice", "transfer", move(batch, 1, frm="alice", to="bob")) == (
            "insufficient_credits"
        )

    def test_serials_held_by_someone_else_are_rejected(self, world: World, batch: str) -> None:
        world.accept("owner", "transfer", move_serials(batch, 0, 100))
        assert world.reject("owner", "transfer", move_serials(batch, 50, 60, to="bob")) == (
            "serials_not_held"
        )

    @pytest.mark.parametrize(
        ("start", "end"),
        [(900, 1001), (1000, 1001), (5000, 6000)],
        ids=["past-the-end", "just-past-the-end", "beyond-the-batch"],
    )
    def test_serials_outside_the_holding_are_rejected(
        self, world: World, batch: str, start: int, end: int
    ) -> None:
        assert world.reject("owner", "transfer", move_serials(batch, start, end)) == (
            "serials_not_held"
        )

    def test_range_straddling_two_holdings_is_rejected(self, world: World, batch: str) -> None:
        world.accept("owner", "transfer", move_serials(batch, 400, 600))
        assert world.reject("owner", "transfer", move_serials(batch, 300, 500, to="bob")) == (
            "serials_not_held"
        )

    def test_a_failing_second_lot_undoes_the_first(self, world: World, batch: str) -> None:
        body = {
            "from_account": "owner",
            "to_account": "alice",
            "lots": [*lots(batch, 10), *lots(batch, 991)],
        }
        assert world.reject("owner", "transfer", body) == "insufficient_credits"
        assert world.holdings(batch) == [(0, 1000, "owner", "held", None)]

    def test_moving_someone_elses_credits_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("alice", "transfer", move(batch)) == "not_authorised"

    def test_registrar_cannot_move_a_holders_credits(self, world: World, batch: str) -> None:
        assert world.reject("operator", "transfer", move(batch)) == "not_authorised"

    def test_unknown_source_account_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("owner", "transfer", move(batch, frm="ghost")) == "unknown_account"

    def test_unknown_destination_account_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("owner", "transfer", move(batch, to="ghost")) == "unknown_account"

    def test_unknown_batch_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("owner", "transfer", move("PHCER-2001-000099")) == "unknown_batch"

    def test_transfer_to_the_same_account_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("owner", "transfer", move(batch, to="owner")) == "invalid_input"

    def test_float_price_is_invalid_input(self, world: World, batch: str) -> None:
        body_json = orjson.dumps(
            move(batch, price_fen_per_tonne=65.88), option=orjson.OPT_SORT_KEYS
        )
        raw = sign_any_json(world.ledger.origin, "transfer", world["owner"], body_json)
        assert world.reject_raw(raw).code == "invalid_input"


MALFORMED: dict[str, Callable[[Body], None]] = {
    "no-lots": lambda b: b.update(lots=[]),
    "lot-with-quantity-and-serials": lambda b: b["lots"][0].update(serial_start=0, serial_end=10),
    "lot-with-neither": lambda b: b["lots"][0].pop("quantity"),
    "lot-with-only-serial-start": lambda b: b["lots"][0].update(quantity=None, serial_start=0),
    "serial-end-before-start": lambda b: b.update(
        lots=[{"batch": b["lots"][0]["batch"], "serial_start": 10, "serial_end": 5}]
    ),
    "empty-serial-range": lambda b: b.update(
        lots=[{"batch": b["lots"][0]["batch"], "serial_start": 10, "serial_end": 10}]
    ),
    "negative-serial": lambda b: b.update(
        lots=[{"batch": b["lots"][0]["batch"], "serial_start": -1, "serial_end": 10}]
    ),
    "quantity-string": lambda b: b["lots"][0].update(quantity="100"),
    "quantity-zero": lambda b: b["lots"][0].update(quantity=0),
    "price-string": lambda b: b.update(price_fen_per_tonne="6588"),
    "price-negative": lambda b: b.update(price_fen_per_tonne=-1),
    "unknown-venue": lambda b: b.update(venue="wechat"),
    "unknown-field": lambda b: b.update(memo="x"),
    "unknown-lot-field": lambda b: b["lots"][0].update(vintage="2022"),
}


def test_every_malformed_transfer_is_invalid_input(world: World, batch: str) -> None:
    """Each named mutation of a valid body is refused, and changes nothing."""
    for mutation, mutate in MALFORMED.items():
        body = move(batch)
        mutate(body)
        assert world.reject("owner", "transfer", body) == "invalid_input", mutation
