"""Trade announcements: priced transfers of a period with exact values and a venue summary."""

from __future__ import annotations

import pytest

from ledger.errors import InvalidInput
from ledger.reports.trades import by_venue, trade_announcements
from tests.builders import TONNE, Clock, World, lots


def trade(world: World, batch: str, grams: int, price: int | None, venue: str | None) -> int:
    body = {"from_account": "owner", "to_account": "alice", "lots": lots(batch, grams)}
    if price is not None:
        body |= {"price_fen_per_tonne": price, "venue": venue}
    return world.accept("owner", "transfer", body).index


class TestTrades:
    def test_only_priced_transfers_of_the_period_are_announced(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        clock = Clock()
        monkeypatch.setattr("ledger.log.time", clock)
        batch = world.issue(1_000 * TONNE)
        trade(world, batch, TONNE, None, None)
        first = trade(world, batch, 416 * TONNE, 6_588, "exchange_bidding")
        start = clock.ms + 1
        clock.advance(10_000)
        second = trade(world, batch, 200 * TONNE, 2_000, "otc")
        found = trade_announcements(world.ledger.engine)
        assert [t.index for t in found] == [first, second]
        assert found[0].value_fen == 2_740_608  # 416 t x 65.88 CNY = 27,406.08 CNY
        assert found[0].batches == [batch] and found[0].programs == ["PHCER"]
        later = trade_announcements(world.ledger.engine, since_ms=start)
        assert [t.index for t in later] == [second]
        assert trade_announcements(world.ledger.engine, until_ms=start) == found[:1]

    def test_venue_summary_weights_the_price_by_volume(self, world: World) -> None:
        batch = world.issue(1_000 * TONNE)
        trade(world, batch, 100 * TONNE, 2_000, "otc")
        trade(world, batch, 300 * TONNE, 4_000, "otc")
        trade(world, batch, 1, 9_999, "auction")
        summary = {v.venue: v for v in by_venue(trade_announcements(world.ledger.engine))}
        otc = summary["otc"]
        assert (otc.trades, otc.quantity, otc.value_fen) == (2, 400 * TONNE, 1_400_000)
        assert otc.average_price_fen_per_tonne == 3_500
        assert summary["auction"].value_fen == 0  # 1 g at 99.99 CNY/t is worth 0.0001 CNY

    def test_a_reversed_trade_is_announced_as_reversed_and_left_out_of_the_summary(
        self, world: World
    ) -> None:
        batch = world.issue(10 * TONNE)
        index = trade(world, batch, TONNE, 5_000, "otc")
        world.accept("regulator", "correct", {"corrects": index, "action": "reverse_transfer",
                                              "reason": "wrong buyer"})  # fmt: skip
        (found,) = trade_announcements(world.ledger.engine)
        assert found.corrected_by is not None
        assert by_venue([found]) == []
        assert trade_announcements(world.ledger.engine, include_corrected=False) == []

    def test_program_filter_and_empty_period(self, world: World) -> None:
        batch = world.issue(10 * TONNE)
        trade(world, batch, TONNE, 5_000, "otc")
        assert trade_announcements(world.ledger.engine, program="OTHER") == []
        with pytest.raises(InvalidInput):
            trade_announcements(world.ledger.engine, since_ms=10, until_ms=10)
