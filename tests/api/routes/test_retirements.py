"""Retirements: public claims, by id, beneficiary and event."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Story
from tests.api.routes.test_entries import assert_problem


class TestRetirements:
    def test_by_id_with_beneficiary_and_serials(self, reader: tuple[TestClient, Story]) -> None:
        client, facts = reader
        retirement = client.get(f"/v1/retirements/{facts.retirement}").json()
        assert retirement["quantity"] == 138_250_000
        assert retirement["beneficiary_name"] == "Beijing CBD Forum"
        assert retirement["lots"][0]["batch"] == facts.batch

    def test_by_beneficiary_name_or_identifier_and_by_event(
        self, reader: tuple[TestClient, Story]
    ) -> None:
        client, facts = reader
        for params in (
            {"beneficiary": "Beijing CBD Forum"},
            {"beneficiary": "USCC-1"},
            {"event_ref": "CBD-2024"},
        ):
            found = client.get("/v1/retirements", params=params).json()["items"]
            assert [r["id"] for r in found] == [facts.retirement], params
        assert client.get("/v1/retirements", params={"event_ref": "other"}).json()["items"] == []

    def test_unknown_retirement_is_404(self, reader: tuple[TestClient, Story]) -> None:
        client, _ = reader
        assert_problem(client.get("/v1/retirements/RET-999999"), 404, "unknown_retirement")
