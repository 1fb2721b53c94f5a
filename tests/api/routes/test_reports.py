"""Regulators' reports over HTTP: audit, totals, trades."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import serve
from tests.builders import TONNE, World, build_world
from tests.stories import Case, zhongshan


@pytest.fixture
def served(ledger_url: str) -> Iterator[tuple[TestClient, Case]]:
    world: World = build_world(ledger_url)
    case = zhongshan(world)
    world.close()
    with serve(world) as client:
        yield client, case


class TestReports:
    def test_audit_lists_batches_and_no_flags(self, served: tuple[TestClient, Case]) -> None:
        client, case = served
        report = client.get("/v1/reports/audit", params={"region": "CN-GD"}).json()
        assert [b["id"] for b in report["batches"]] == [case.batch]
        assert report["flags"] == [] and "supply_mismatch" in report["flag_codes"]
        assert report["batches"][0]["supply"]["cancelled"] == 1_019 * TONNE

    def test_totals_by_scenario(self, served: tuple[TestClient, Case]) -> None:
        client, _ = served
        totals = client.get("/v1/reports/totals", params={"by": "scenario", "every": "all"})
        (row,) = totals.json()["rows"]
        assert (row["key"], row["supply"]["issued"]) == ("distributed_pv", 1_600 * TONNE)
        bad = client.get("/v1/reports/totals", params={"by": "colour"})
        assert bad.status_code == 400

    def test_trades_with_venue_summary(self, served: tuple[TestClient, Case]) -> None:
        client, _ = served
        data = client.get("/v1/reports/trades").json()
        (venue,) = data["by_venue"]
        assert (venue["venue"], venue["average_price_fen_per_tonne"]) == (
            "exchange_agreement",
            6_903,
        )
