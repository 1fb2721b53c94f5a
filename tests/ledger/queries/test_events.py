"""Reading events: inventory by stage and source, append-only lines, counted retirements."""

from __future__ import annotations

import pytest

from ledger.errors import NotFound
from ledger.queries import events
from tests.builders import World
from tests.stories import DONATIONS, FORUM_EMITTED, beijing_cbd_forum


class TestEvent:
    def test_event_with_its_lines_and_counted_retirements(self, world: World) -> None:
        forum = beijing_cbd_forum(world, donations=2)
        world.accept("cbd-forum", "amend_event_emissions",
                     {"event": forum.event, "reason": "late invoice",
                      "changes": [{"stage": "hosting", "source": "catering", "change": 1_000,
                                   "basis": "200 coffees x 5 g"}]})  # fmt: skip
        found = events.event(world.ledger.engine, forum.event)
        assert found.emitted == FORUM_EMITTED + 1_000
        assert found.covered == DONATIONS[0][1] + DONATIONS[1][1]
        assert not found.neutral
        assert found.uncovered == found.emitted - found.covered
        assert [r.id for r in found.retirements] == forum.retirements
        assert len(found.lines) == 8 and found.lines[-1].reason == "late invoice"
        assert found.by_stage["hosting"] == 98_251_000

    def test_unknown_event_is_not_found(self, world: World) -> None:
        with pytest.raises(NotFound) as caught:
            events.event(world.ledger.engine, "EVT-1")
        assert caught.value.code == "unknown_event"

    def test_list_by_organiser_and_neutrality(self, world: World) -> None:
        forum = beijing_cbd_forum(world)
        engine = world.ledger.engine
        assert [e.id for e in events.events(engine, organiser="cbd-forum")] == [forum.event]
        assert [e.id for e in events.events(engine, neutral=True)] == [forum.event]
        assert events.events(engine, neutral=False) == []
        assert events.events(engine, organiser="alice") == []
