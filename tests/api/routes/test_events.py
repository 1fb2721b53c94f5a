"""Events over HTTP: emitted versus covered, lines, counted retirements."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import serve
from tests.builders import World, build_world
from tests.stories import FORUM_EMITTED, Case, Forum, beijing_cbd_forum, zhongshan


@pytest.fixture
def served(ledger_url: str) -> Iterator[tuple[TestClient, Forum, Case]]:
    """The forum offset and the Zhongshan case settled, served by the app."""
    world: World = build_world(ledger_url)
    forum, case = beijing_cbd_forum(world), zhongshan(world)
    world.ledger.seal()
    world.close()
    with serve(world) as client:
        yield client, forum, case


class TestEvents:
    def test_one_event_with_its_coverage(self, served: tuple[TestClient, Forum, Case]) -> None:
        client, forum, _ = served
        event = client.get(f"/v1/events/{forum.event}").json()
        assert (event["emitted"], event["covered"], event["uncovered"], event["neutral"]) == (
            FORUM_EMITTED,
            FORUM_EMITTED,
            0,
            True,
        )
        assert [r["id"] for r in event["retirements"]] == forum.retirements
        assert event["by_stage"]["hosting"] == 98_250_000

    def test_list_and_unknown(self, served: tuple[TestClient, Forum, Case]) -> None:
        client, forum, _ = served
        items = client.get("/v1/events", params={"neutral": True}).json()["items"]
        assert [e["id"] for e in items] == [forum.event]
        missing = client.get("/v1/events/EVT-99999")
        assert (missing.status_code, missing.json()["code"]) == (404, "unknown_event")
