"""Compensation cases over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import serve
from tests.builders import World, build_world
from tests.stories import CASE_NUMBER, CASE_REQUIRED, Case, zhongshan


@pytest.fixture
def served(ledger_url: str) -> Iterator[tuple[TestClient, Case]]:
    world: World = build_world(ledger_url)
    case = zhongshan(world)
    world.close()
    with serve(world) as client:
        yield client, case


class TestCases:
    def test_closed_case_with_its_cancellation(self, served: tuple[TestClient, Case]) -> None:
        client, case = served
        found = client.get(f"/v1/cases/{CASE_NUMBER}").json()
        assert (found["status"], found["required"], found["cancelled"], found["outstanding"]) == (
            "closed",
            CASE_REQUIRED,
            CASE_REQUIRED,
            0,
        )
        assert [c["id"] for c in found["cancellations"]] == [case.cancellation]

    def test_list_by_status(self, served: tuple[TestClient, Case]) -> None:
        client, _ = served
        assert len(client.get("/v1/cases", params={"status": "closed"}).json()["items"]) == 1
        assert client.get("/v1/cases", params={"status": "open"}).json()["items"] == []
        assert client.get("/v1/cases", params={"status": "lost"}).status_code == 400
