"""Batches with their supply, and supply summed over a program."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Story
from tests.api.routes.test_entries import assert_problem
from tests.builders import TONNE


class TestBatches:
    def test_batch_supply_adds_up_in_grams(self, reader: tuple[TestClient, Story]) -> None:
        client, facts = reader
        supply = client.get(f"/v1/batches/{facts.batch}").json()["supply"]
        assert supply == {
            "issued": 2000 * TONNE,
            "held": 2000 * TONNE - 100 * TONNE - 138_250_000 - 19 * TONNE,
            "pledged": 100 * TONNE,
            "retired": 138_250_000,
            "cancelled": 19 * TONNE,
        }
        assert supply["issued"] == sum(v for k, v in supply.items() if k != "issued")

    def test_program_supply_is_the_sum_of_its_batches(
        self, reader: tuple[TestClient, Story]
    ) -> None:
        client, facts = reader
        listed = client.get("/v1/batches", params={"program": "PHCER"}).json()["items"]
        assert [b["id"] for b in listed] == [facts.batch]
        total = client.get("/v1/supply", params={"program": "PHCER"}).json()
        assert total == listed[0]["supply"]

    def test_unknown_batch_is_404(self, reader: tuple[TestClient, Story]) -> None:
        client, _ = reader
        assert_problem(client.get("/v1/batches/PHCER-1999-000009"), 404, "unknown_batch")
