"""amend_event_emissions: compensating inventory lines; registered lines are never edited."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ledger.storage import schema
from tests.builders import DIGEST, World
from tests.ledger.ops.test_register_event import forum

Body = dict[str, Any]


@pytest.fixture
def event(world: World) -> str:
    """The forum (138.25 t), registered by ``alice``."""
    return f"EVT-{world.accept('alice', 'register_event', forum()).index}"


def amendment(event: str, *changes: tuple[str, str, int], reason: str = "final count") -> Body:
    return {
        "event": event,
        "changes": [
            {"stage": stage, "source": source, "change": grams, "basis": f"{grams:+} g"}
            for stage, source, grams in changes
        ],
        "reason": reason,
    }


class TestAmend:
    def test_amendment_appends_lines_and_updates_totals(self, world: World, event: str) -> None:
        before = world.rows(schema.event_emissions, event=event)
        body = amendment(event, ("hosting", "catering", 3_000_000),
                         ("closing", "waste", -1_000_000))  # fmt: skip
        result = world.accept("alice", "amend_event_emissions", body)
        assert result.data == {"event": event, "emitted": 140_250_000, "covered": 0,
                               "neutral": False}  # fmt: skip
        lines = world.rows(schema.event_emissions, event=event)
        assert lines[:4] == before
        assert [(r["line"], r["idx"], r["grams"], r["reason"]) for r in lines[4:]] == [
            (4, result.index, 3_000_000, "final count"),
            (5, result.index, -1_000_000, "final count"),
        ]
        row = world.row(schema.events, id=event)
        assert row is not None
        assert (row["emitted"], row["lines"], row["amended_at"]) == (140_250_000, 6, result.index)
        assert orjson.loads(row["emissions"]) == [
            ["preparation", "materials", 20_000_000],
            ["hosting", "purchased_electricity", 48_250_000],
            ["hosting", "attendee_travel", 60_000_000],
            ["hosting", "catering", 3_000_000],
            ["closing", "waste", 9_000_000],
        ]

    def test_a_source_taken_to_zero_leaves_the_totals(self, world: World, event: str) -> None:
        world.accept("alice", "amend_event_emissions",
                     amendment(event, ("closing", "waste", -10_000_000)))  # fmt: skip
        row = world.row(schema.events, id=event)
        assert row is not None and row["emitted"] == 128_250_000
        assert all(stage != "closing" for stage, _, _ in orjson.loads(row["emissions"]))

    def test_verified_event_needs_its_verifier_to_cosign(self, world: World) -> None:
        body = forum(verifier="verifier", report_digest=DIGEST)
        eid = f"EVT-{world.accept('alice', 'register_event', body, ['verifier']).index}"
        change = amendment(eid, ("hosting", "catering", 1))
        assert world.reject("alice", "amend_event_emissions", change) == "missing_cosignature"
        world.accept("alice", "amend_event_emissions", change, ["verifier"])


class TestAmendRejected:
    def test_only_the_organiser_amends(self, world: World, event: str) -> None:
        body = amendment(event, ("hosting", "catering", 1))
        assert world.reject("bob", "amend_event_emissions", body) == "not_authorised"

    def test_unknown_event_is_rejected(self, world: World, event: str) -> None:
        body = amendment("EVT-999", ("hosting", "catering", 1))
        assert world.reject("alice", "amend_event_emissions", body) == "unknown_event"

    def test_a_source_cannot_go_below_zero(self, world: World, event: str) -> None:
        body = amendment(event, ("closing", "waste", -10_000_001))
        assert world.reject("alice", "amend_event_emissions", body) == "invalid_amendment"

    def test_an_event_must_still_emit(self, world: World, event: str) -> None:
        changes = [("preparation", "materials", -20_000_000),
                   ("hosting", "purchased_electricity", -48_250_000),
                   ("hosting", "attendee_travel", -60_000_000),
                   ("closing", "waste", -10_000_000)]  # fmt: skip
        body = amendment(event, *changes)
        assert world.reject("alice", "amend_event_emissions", body) == "invalid_amendment"

    @pytest.mark.parametrize("change", [0, 10**15 + 1, "5"])
    def test_bad_change_is_invalid_input(self, world: World, event: str, change: Any) -> None:
        body = amendment(event, ("hosting", "catering", 1))
        body["changes"][0]["change"] = change
        assert world.reject("alice", "amend_event_emissions", body) == "invalid_input"

    def test_reason_is_required(self, world: World, event: str) -> None:
        body = amendment(event, ("hosting", "catering", 1))
        del body["reason"]
        assert world.reject("alice", "amend_event_emissions", body) == "invalid_input"
