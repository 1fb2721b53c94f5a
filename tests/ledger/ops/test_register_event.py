"""register_event: an event's emissions inventory by stage and source, signed by its organiser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from ledger.storage import schema
from tests.builders import DIGEST, TONNE, World, sign_any_json

Body = dict[str, Any]


def forum(**extra: Any) -> Body:
    """The Beijing CBD Forum's inventory: 138.25 t over the three stages of the guideline."""
    return {
        "name": "2024 Beijing CBD Forum",
        "start_date": "2024-06-05",
        "end_date": "2024-06-05",
        "place": "Beijing CBD, Chaoyang",
        "jurisdiction": "CN-BJ",
        "emissions": [
            {"stage": "preparation", "source": "materials", "quantity": 20_000_000,
             "basis": "stage build 4 t of materials x 5 kg/kg"},
            {"stage": "hosting", "source": "purchased_electricity", "quantity": 48_250_000,
             "basis": "84,605 kWh x 0.5703 kgCO2/kWh (North China grid)"},
            {"stage": "hosting", "source": "attendee_travel", "quantity": 60_000_000,
             "basis": "1,200 attendees x 50 kg"},
            {"stage": "closing", "source": "waste", "quantity": 10_000_000,
             "basis": "2 t waste x 5 kg/kg"},
        ],
        **extra,
    }  # fmt: skip


class TestRegisterEvent:
    def test_event_records_the_inventory_with_its_total(self, world: World) -> None:
        event = world.accept("alice", "register_event", forum())
        eid = f"EVT-{event.index}"
        assert event.data == {"event": eid, "emitted": 138_250_000}
        row = world.row(schema.events, id=eid)
        assert row is not None
        assert (row["organiser"], row["name"], row["jurisdiction"], row["emitted"],
                row["covered"], row["lines"], row["neutral_at"]) == (
            "alice", "2024 Beijing CBD Forum", "CN-BJ", 138_250_000, 0, 4, None)  # fmt: skip
        assert orjson.loads(row["emissions"]) == [
            ["preparation", "materials", 20_000_000],
            ["hosting", "purchased_electricity", 48_250_000],
            ["hosting", "attendee_travel", 60_000_000],
            ["closing", "waste", 10_000_000],
        ]

    def test_every_line_is_kept_with_its_basis(self, world: World) -> None:
        index = world.accept("alice", "register_event", forum()).index
        lines = world.rows(schema.event_emissions, event=f"EVT-{index}")
        assert [(r["line"], r["idx"], r["stage"], r["grams"], r["reason"]) for r in lines] == [
            (0, index, "preparation", 20_000_000, None),
            (1, index, "hosting", 48_250_000, None),
            (2, index, "hosting", 60_000_000, None),
            (3, index, "closing", 10_000_000, None),
        ]
        assert lines[1]["basis"] == "84,605 kWh x 0.5703 kgCO2/kWh (North China grid)"

    def test_lines_on_the_same_stage_and_source_add_up(self, world: World) -> None:
        body = forum()
        body["emissions"].append(
            {"stage": "closing", "source": "waste", "quantity": 5, "basis": "late count"}
        )
        index = world.accept("alice", "register_event", body).index
        row = world.row(schema.events, id=f"EVT-{index}")
        assert row is not None and row["emitted"] == 138_250_005
        assert ["closing", "waste", 10_000_005] in orjson.loads(row["emissions"])

    def test_verified_inventory_is_cosigned_by_its_verifier(self, world: World) -> None:
        body = forum(verifier="verifier", report_digest=DIGEST)
        index = world.accept("alice", "register_event", body, ["verifier"]).index
        row = world.row(schema.events, id=f"EVT-{index}")
        assert row is not None and (row["verifier"], row["report_digest"]) == ("verifier", DIGEST)


class TestRegisterEventRejected:
    def test_named_verifier_must_cosign(self, world: World) -> None:
        body = forum(verifier="verifier", report_digest=DIGEST)
        assert world.reject("alice", "register_event", body) == "missing_cosignature"

    def test_verifier_needs_the_verifier_role(self, world: World) -> None:
        body = forum(verifier="bob", report_digest=DIGEST)
        assert world.reject("alice", "register_event", body, ["bob"]) == "not_authorised"

    def test_organiser_cannot_verify_its_own_event(self, world: World) -> None:
        body = forum(verifier="verifier", report_digest=DIGEST)
        assert world.reject("verifier", "register_event", body) == "verifier_conflict"

    def test_unknown_verifier_is_rejected(self, world: World) -> None:
        body = forum(verifier="ghost", report_digest=DIGEST)
        assert world.reject("alice", "register_event", body) == "unknown_participant"

    def test_float_quantity_is_invalid_input(self, world: World) -> None:
        body = forum()
        body["emissions"][0]["quantity"] = 20.0 * TONNE
        raw = sign_any_json(world.ledger.origin, "register_event", world["alice"],
                            orjson.dumps(body, option=orjson.OPT_SORT_KEYS))  # fmt: skip
        assert world.reject_raw(raw).code == "invalid_input"


MALFORMED: dict[str, Callable[[Body], None]] = {
    "no-emissions": lambda b: b.update(emissions=[]),
    "unknown-stage": lambda b: b["emissions"][0].update(stage="aftermath"),
    "unknown-source": lambda b: b["emissions"][0].update(source="fireworks"),
    "zero-quantity": lambda b: b["emissions"][0].update(quantity=0),
    "negative-quantity": lambda b: b["emissions"][0].update(quantity=-1),
    "string-quantity": lambda b: b["emissions"][0].update(quantity="20t"),
    "empty-basis": lambda b: b["emissions"][0].update(basis=""),
    "missing-basis": lambda b: b["emissions"][0].pop("basis"),
    "ends-before-it-starts": lambda b: b.update(end_date="2024-06-04"),
    "not-a-date": lambda b: b.update(start_date="2024-02-30"),
    "bad-jurisdiction": lambda b: b.update(jurisdiction="Beijing"),
    "verifier-without-digest": lambda b: b.update(verifier="verifier"),
    "digest-without-verifier": lambda b: b.update(report_digest=DIGEST),
    "unknown-field": lambda b: b.update(organiser="bob"),
}


@pytest.mark.parametrize("mutation", sorted(MALFORMED))
def test_malformed_event_is_invalid_input(world: World, mutation: str) -> None:
    body = forum()
    MALFORMED[mutation](body)
    assert world.reject("alice", "register_event", body, ["verifier"]) == "invalid_input"
