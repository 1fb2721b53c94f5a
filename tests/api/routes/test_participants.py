"""Participants' public information and the next sequence number to sign with."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Story
from tests.api.routes.test_entries import assert_problem


class TestParticipants:
    def test_listed_in_order_of_registration_with_their_keys(
        self, reader: tuple[TestClient, Story]
    ) -> None:
        client, _ = reader
        page = client.get("/v1/participants", params={"limit": 2}).json()
        assert [p["id"] for p in page["items"]] == ["operator", "regulator"]
        assert page["items"][1]["keys"][0]["revoked_at"] is None
        assert page["next_offset"] == 2

    def test_filtered_by_role(self, reader: tuple[TestClient, Story]) -> None:
        client, _ = reader
        banks = client.get("/v1/participants", params={"role": "bank"}).json()["items"]
        assert [p["id"] for p in banks] == ["bank"]

    def test_next_sequence_number(self, reader: tuple[TestClient, Story]) -> None:
        client, _ = reader
        assert client.get("/v1/participants/bob/next-seq").json() == {
            "participant": "bob",
            "next_seq": 1,
        }

    def test_unknown_participant_is_404(self, reader: tuple[TestClient, Story]) -> None:
        client, _ = reader
        assert_problem(client.get("/v1/participants/ghost"), 404, "unknown_participant")
        assert_problem(client.get("/v1/participants/ghost/next-seq"), 404, "unknown_participant")

    def test_malformed_identifier_is_400(self, reader: tuple[TestClient, Story]) -> None:
        client, _ = reader
        assert_problem(client.get("/v1/participants/-bad"), 400, "invalid_input")
