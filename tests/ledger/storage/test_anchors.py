"""Anchor receipts as stored: written once per transaction, orphaned and brought back, their
status and roots constrained, and the contract address remembered per chain."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from ledger.errors import InvalidInput, NotFound
from ledger.queries.anchors import (
    ANCHORED,
    ORPHANED,
    SPLIT_VIEW,
    AnchorView,
    anchor,
    anchors,
    latest_anchor,
    unanchored,
)
from ledger.storage.anchors import (
    mark_orphaned,
    record_anchor,
    remember_contract,
    remembered_contract,
)
from tests.builders import World

CONTRACT = "0x" + "ab" * 20


def receipt(size: int, tx: int, **changes: object) -> AnchorView:
    root = bytes([size]) * 32
    made = AnchorView(
        size=size,
        root=root,
        status=ANCHORED,
        chain_id=31337,
        contract=CONTRACT,
        tx_hash=bytes([tx]) * 32,
        block_number=100 + tx,
        block_time=1_700_000_000 + tx,
        chain_root=root,
        recorded_ms=1_700_000_000_000 + tx,
    )
    return dataclasses.replace(made, **changes)  # type: ignore[arg-type]


@pytest.fixture
def engine(world: World) -> Engine:
    return world.ledger.engine


class TestRecording:
    def test_a_transaction_is_recorded_once(self, engine: Engine) -> None:
        first = receipt(5, 1)
        assert record_anchor(engine, first)
        assert not record_anchor(engine, dataclasses.replace(first, block_number=999))
        assert anchors(engine) == [first]

    def test_an_orphaned_transaction_mined_again_gets_its_new_receipt(self, engine: Engine) -> None:
        first = receipt(5, 1)
        record_anchor(engine, first)
        mark_orphaned(engine, first)
        assert anchors(engine, status=ORPHANED) == [dataclasses.replace(first, status=ORPHANED)]
        again = dataclasses.replace(first, block_number=200, block_time=1_700_000_500)
        assert record_anchor(engine, again)
        assert anchors(engine) == [again]

    def test_a_split_view_must_name_another_root_and_an_anchor_the_same(
        self, engine: Engine
    ) -> None:
        with pytest.raises(IntegrityError):
            record_anchor(engine, receipt(5, 1, status=SPLIT_VIEW))
        with pytest.raises(IntegrityError):
            record_anchor(engine, receipt(5, 2, chain_root=bytes(32)))
        with pytest.raises(InvalidInput):
            record_anchor(engine, receipt(5, 3, status="pending"))
        assert anchors(engine) == []


class TestReading:
    def test_receipts_come_largest_size_first_and_by_status(self, engine: Engine) -> None:
        small, large = receipt(3, 1), receipt(9, 2)
        split = receipt(9, 3, status=SPLIT_VIEW, chain_root=bytes(32), recorded_ms=1)
        for r in (small, large, split):
            record_anchor(engine, r)
        assert anchors(engine) == [large, split, small]
        assert anchors(engine, status=SPLIT_VIEW) == [split]
        assert anchors(engine, limit=1, offset=2) == [small]
        # The anchored receipt of a size comes before its split view.
        assert anchor(engine, 9) == large
        assert latest_anchor(engine) == large
        assert latest_anchor(engine, chain_id=1) is None

    def test_an_unknown_size_is_not_found(self, engine: Engine) -> None:
        with pytest.raises(NotFound) as caught:
            anchor(engine, 7)
        assert caught.value.code == "unknown_anchor"

    def test_unanchored_checkpoints_are_counted_above_a_size(self, world: World) -> None:
        world.ledger.seal()
        sealed = world.ledger.sealed_size
        pending = unanchored(world.ledger.engine, 0)
        assert pending is not None
        assert (pending.count, pending.newest_size) == (2, sealed)  # the genesis and this one
        assert unanchored(world.ledger.engine, sealed) is None


class TestContractAddress:
    def test_the_address_is_remembered_per_chain_and_replaced(self, engine: Engine) -> None:
        assert remembered_contract(engine, 1) is None
        remember_contract(engine, 1, CONTRACT)
        remember_contract(engine, 5, "0x" + "cd" * 20)
        remember_contract(engine, 1, "0x" + "ef" * 20)
        assert remembered_contract(engine, 1) == "0x" + "ef" * 20
        assert remembered_contract(engine, 5) == "0x" + "cd" * 20
