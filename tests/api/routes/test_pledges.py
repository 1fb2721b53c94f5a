"""Pledges to banks: the public register of encumbered credits."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Story
from tests.api.routes.test_entries import assert_problem
from tests.builders import TONNE


class TestPledges:
    def test_active_pledge_by_id_and_by_bank(self, reader: tuple[TestClient, Story]) -> None:
        client, facts = reader
        pledge = client.get(f"/v1/pledges/{facts.pledge}").json()
        assert (pledge["bank"], pledge["quantity"], pledge["status"]) == (
            "bank",
            100 * TONNE,
            "active",
        )
        by_bank = client.get("/v1/pledges", params={"bank": "bank", "status": "active"}).json()
        assert [p["id"] for p in by_bank["items"]] == [facts.pledge]

    def test_unknown_pledge_is_404(self, reader: tuple[TestClient, Story]) -> None:
        client, _ = reader
        assert_problem(client.get("/v1/pledges/PLG-1"), 404, "unknown_pledge")
