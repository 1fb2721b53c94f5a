"""Retirements toward a registered event: the event_ref contract, covered versus emitted."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.storage import schema
from tests.builders import World, lots
from tests.ledger.ops.test_amend_event_emissions import amendment

Body = dict[str, Any]
EMITTED = 1_000


@pytest.fixture
def event(world: World) -> str:
    """An event of ``alice`` in CN-BJ emitting 1,000 g."""
    body = {
        "name": "Forum",
        "start_date": "2024-06-05",
        "end_date": "2024-06-05",
        "place": "Beijing",
        "jurisdiction": "CN-BJ",
        "emissions": [
            {"stage": "hosting", "source": "purchased_electricity", "quantity": EMITTED,
             "basis": "metered"},
        ],
    }  # fmt: skip
    return f"EVT-{world.accept('alice', 'register_event', body).index}"


@pytest.fixture
def batch(world: World) -> str:
    """A batch of 2,000 g held by ``owner``."""
    return world.issue(2000)


def retirement(batch: str, event_ref: str, quantity: int, **extra: Any) -> Body:
    return {
        "account": "owner",
        "lots": lots(batch, quantity),
        "beneficiary": {"name": "Forum organiser"},
        "purpose": "event_neutrality",
        "jurisdiction": "CN-BJ",
        "event_ref": event_ref,
        **extra,
    }


def event_row(world: World, eid: str) -> dict[str, Any]:
    row = world.row(schema.events, id=eid)
    assert row is not None
    return row


class TestCoverage:
    def test_retirement_naming_the_event_counts_toward_it(
        self, world: World, event: str, batch: str
    ) -> None:
        result = world.accept("owner", "retire", retirement(batch, event, 400))
        assert result.data["event"] == event
        row = event_row(world, event)
        assert (row["covered"], row["neutral_at"]) == (400, None)

    def test_event_is_neutral_only_once_fully_covered(
        self, world: World, event: str, batch: str
    ) -> None:
        world.accept("owner", "retire", retirement(batch, event, 999))
        assert event_row(world, event)["neutral_at"] is None
        last = world.accept("owner", "retire", retirement(batch, event, 1))
        assert (event_row(world, event)["covered"], event_row(world, event)["neutral_at"]) == (
            1000,
            last.index,
        )

    def test_retirements_from_several_batches_and_accounts_add_up(
        self, world: World, event: str, batch: str
    ) -> None:
        other = world.issue(500, to="bob")
        world.accept("owner", "retire", retirement(batch, event, 600))
        body = {**retirement(other, event, 500), "account": "bob"}
        world.accept("bob", "retire", body)
        assert event_row(world, event)["covered"] == 1100

    def test_more_emissions_make_a_neutral_event_not_neutral(
        self, world: World, event: str, batch: str
    ) -> None:
        world.accept("owner", "retire", retirement(batch, event, 1000))
        amended = world.accept(
            "alice", "amend_event_emissions", amendment(event, ("hosting", "catering", 10))
        )
        assert amended.data["neutral"] is False
        assert event_row(world, event)["neutral_at"] is None
        again = world.accept("owner", "retire", retirement(batch, event, 10))
        assert event_row(world, event)["neutral_at"] == again.index

    def test_free_text_event_reference_counts_toward_nothing(
        self, world: World, event: str, batch: str
    ) -> None:
        result = world.accept("owner", "retire", retirement(batch, "Beijing CBD Forum 2024", 500))
        assert "event" not in result.data
        assert event_row(world, event)["covered"] == 0


class TestCoverageRejected:
    def test_unregistered_event_id_is_rejected(self, world: World, event: str, batch: str) -> None:
        assert world.reject("owner", "retire", retirement(batch, "EVT-9999", 10)) == (
            "unknown_event"
        )

    @pytest.mark.parametrize("purpose", ["enterprise_neutrality", "donation", "personal"])
    def test_another_purpose_for_a_registered_event_is_rejected(
        self, world: World, event: str, batch: str, purpose: str
    ) -> None:
        body = retirement(batch, event, 10, purpose=purpose)
        assert world.reject("owner", "retire", body) == "event_mismatch"

    def test_another_jurisdiction_is_rejected(self, world: World, event: str, batch: str) -> None:
        body = retirement(batch, event, 10, jurisdiction="CN-GD")
        assert world.reject("owner", "retire", body) == "event_mismatch"
