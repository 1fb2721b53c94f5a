"""Trade announcements: priced transfers only, with their exact value in fen."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Story
from tests.builders import TONNE


class TestTrades:
    def test_only_priced_transfers_are_trades_valued_exactly(
        self, reader: tuple[TestClient, Story]
    ) -> None:
        client, _ = reader
        (trade,) = client.get("/v1/trades").json()["items"]
        assert (trade["from_account"], trade["to_account"]) == ("owner", "alice")
        assert trade["quantity"] == 1019 * TONNE
        assert trade["value_fen"] == 1019 * 6_903
        assert trade["venue"] == "exchange_agreement"

    def test_filtered_by_venue_and_time(self, reader: tuple[TestClient, Story]) -> None:
        client, _ = reader
        assert client.get("/v1/trades", params={"venue": "otc"}).json()["items"] == []
        assert (
            client.get("/v1/trades", params={"since_ms": 4_000_000_000_000}).json()["items"] == []
        )
