"""Cancellations by id and by ecological-compensation case."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Story
from tests.api.routes.test_entries import assert_problem


class TestCancellations:
    def test_by_id_and_by_case_number(self, reader: tuple[TestClient, Story]) -> None:
        client, facts = reader
        cancellation = client.get(f"/v1/cancellations/{facts.cancellation}").json()
        assert (cancellation["authority"], cancellation["damage_fen"]) == ("court", 7_034_400)
        by_case = client.get("/v1/cancellations", params={"case_number": "(2023)Y20"}).json()
        assert [c["id"] for c in by_case["items"]] == [facts.cancellation]

    def test_unknown_cancellation_is_404(self, reader: tuple[TestClient, Story]) -> None:
        client, _ = reader
        assert_problem(client.get("/v1/cancellations/CAN-1"), 404, "unknown_cancellation")
