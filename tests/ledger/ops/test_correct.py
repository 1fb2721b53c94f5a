"""correct: compensating records that reverse a transfer or amend a retirement."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

import ledger.log
from ledger.ops.correct import CORRECTION_WINDOW_MS
from ledger.storage import schema
from tests.builders import Clock, World, lots

Body = dict[str, Any]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """The sequencer's clock, moved by the test."""
    fake = Clock()
    monkeypatch.setattr(ledger.log, "time", fake)
    yield fake


@pytest.fixture
def batch(world: World) -> str:
    """A batch of 1,000 g (serials 0-1000) held by ``owner``."""
    return world.issue(1000)


def reverse(index: int, reason: str = "sent to the wrong account") -> Body:
    return {"corrects": index, "action": "reverse_transfer", "reason": reason}


def amend(index: int, retirement: str | None = None, **change: Any) -> Body:
    body: Body = {
        "corrects": index,
        "action": "amend_retirement",
        "retirement": retirement or f"RET-{index}",
        "reason": "typo in the name",
    }
    return {**body, **change}


NEW_BENEFICIARY = {"name": "Beijing CBD Forum 2024", "identifier": "CBDF-2024"}


class TestReverseTransfer:
    def test_administrator_moves_the_exact_serials_back(self, world: World, batch: str) -> None:
        sent = world.accept(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 300)},
        )
        event = world.accept("regulator", "correct", reverse(sent.index))
        assert event.data == {
            "corrects": sent.index,
            "action": "reverse_transfer",
            "from": "alice",
            "to": "owner",
            "lots": [{"batch": batch, "ranges": [[0, 300]]}],
        }
        assert world.holdings(batch) == [(0, 1000, "owner", "held", None)]
        original = world.row(schema.transfers, idx=sent.index)
        assert original is not None and original["corrected_by"] == event.index
        row = world.row(schema.corrections, idx=event.index)
        assert row is not None
        assert (row["corrects"], row["action"], row["reason"]) == (
            sent.index,
            "reverse_transfer",
            "sent to the wrong account",
        )
        assert orjson.loads(row["details"])["to"] == "owner"
        assert world.supply(batch)["held"] == 1000

    def test_the_original_transfer_stays_in_the_log(self, world: World, batch: str) -> None:
        sent = world.accept(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 300)},
        )
        record = world.ledger.record(sent.index)
        world.accept("regulator", "correct", reverse(sent.index))
        assert world.ledger.record(sent.index) == record

    def test_reversal_by_the_parties_is_rejected(self, world: World, batch: str) -> None:
        sent = world.accept(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 300)},
        )
        assert world.reject("owner", "correct", reverse(sent.index)) == "not_authorised"
        assert world.reject("alice", "correct", reverse(sent.index)) == "not_authorised"

    def test_reversing_twice_is_rejected(self, world: World, batch: str) -> None:
        sent = world.accept(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 300)},
        )
        world.accept("regulator", "correct", reverse(sent.index))
        assert world.reject("regulator", "correct", reverse(sent.index)) == "invalid_correction"

    @pytest.mark.parametrize("target", ["issue", "beyond"])
    def test_an_entry_that_is_not_a_transfer_is_rejected(
        self, world: World, batch: str, target: str
    ) -> None:
        index = world.ledger.size - 1 if target == "issue" else world.ledger.size + 10
        assert world.reject("regulator", "correct", reverse(index)) == "invalid_correction"

    def test_serials_the_recipient_moved_on_cannot_be_reversed(
        self, world: World, batch: str
    ) -> None:
        sent = world.accept(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 300)},
        )
        world.accept(
            "alice",
            "transfer",
            {"from_account": "alice", "to_account": "bob", "lots": lots(batch, 1)},
        )
        assert world.reject("regulator", "correct", reverse(sent.index)) == "serials_not_held"

    def test_serials_the_recipient_retired_cannot_be_reversed(
        self, world: World, batch: str
    ) -> None:
        sent = world.accept(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 300)},
        )
        world.accept(
            "alice",
            "retire",
            {
                "account": "alice",
                "lots": lots(batch, 300),
                "beneficiary": {"name": "a"},
                "purpose": "personal",
                "jurisdiction": "CN",
            },
        )
        assert world.reject("regulator", "correct", reverse(sent.index)) == "serials_not_held"


class TestAmendRetirement:
    @pytest.fixture
    def retired(self, world: World, batch: str, clock: Clock) -> int:
        """Log index of ``owner``'s retirement of 138 g, at the clock's current time."""
        event = world.accept(
            "owner",
            "retire",
            {
                "account": "owner",
                "lots": lots(batch, 138),
                "beneficiary": {"name": "Beijng CBD Forum"},
                "purpose": "event_neutrality",
                "jurisdiction": "CN-BJ",
            },
        )
        return event.index

    def test_retiring_party_amends_within_24_hours(
        self, world: World, batch: str, clock: Clock, retired: int
    ) -> None:
        clock.advance(CORRECTION_WINDOW_MS)
        event = world.accept(
            "owner", "correct", amend(retired, beneficiary=NEW_BENEFICIARY, note="name fixed")
        )
        row = world.row(schema.retirements, id=f"RET-{retired}")
        assert row is not None
        assert (
            row["beneficiary_name"],
            row["beneficiary_id"],
            row["note"],
            row["corrected_by"],
            row["quantity"],
        ) == ("Beijing CBD Forum 2024", "CBDF-2024", "name fixed", event.index, 138)
        correction = world.row(schema.corrections, idx=event.index)
        assert correction is not None and correction["corrects"] == retired
        assert world.supply(batch)["retired"] == 138

    def test_retiring_party_is_refused_after_24_hours(
        self, world: World, clock: Clock, retired: int
    ) -> None:
        clock.advance(CORRECTION_WINDOW_MS + 1)
        assert world.reject("owner", "correct", amend(retired, beneficiary=NEW_BENEFICIARY)) == (
            "not_authorised"
        )

    def test_administrator_amends_at_any_time(
        self, world: World, clock: Clock, retired: int
    ) -> None:
        clock.advance(30 * CORRECTION_WINDOW_MS)
        world.accept("regulator", "correct", amend(retired, note="amended by the bureau"))
        row = world.row(schema.retirements, id=f"RET-{retired}")
        assert row is not None and row["note"] == "amended by the bureau"
        assert row["beneficiary_name"] == "Beijng CBD Forum"

    def test_another_participant_cannot_amend(
        self, world: World, clock: Clock, retired: int
    ) -> None:
        assert world.reject("alice", "correct", amend(retired, note="mine now")) == (
            "not_authorised"
        )

    def test_custodian_amends_a_personal_retirement_within_24_hours(
        self, world: World, clock: Clock
    ) -> None:
        world.open_account("u-1")
        batch = world.issue(10, to="u-1")
        event = world.accept(
            "platform",
            "retire",
            {
                "account": "u-1",
                "lots": lots(batch, 10),
                "beneficiary": {"name": "u-1"},
                "purpose": "donation",
                "jurisdiction": "CN-HB",
            },
        )
        clock.advance(3_600_000)
        world.accept("platform", "correct", amend(event.index, note="donated to the marathon"))

    def test_retirement_not_recorded_by_the_named_entry_is_rejected(
        self, world: World, clock: Clock, retired: int
    ) -> None:
        body = amend(retired - 1, retirement=f"RET-{retired}", note="x")
        assert world.reject("owner", "correct", body) == "invalid_correction"

    def test_unknown_retirement_is_rejected(self, world: World, clock: Clock, retired: int) -> None:
        body = amend(retired, retirement="RET-99999", note="x")
        assert world.reject("owner", "correct", body) == "invalid_correction"


MALFORMED: dict[str, Body] = {
    "amend-without-change": {
        "corrects": 5,
        "action": "amend_retirement",
        "reason": "r",
        "retirement": "RET-5",
    },
    "amend-without-retirement": {
        "corrects": 5,
        "action": "amend_retirement",
        "reason": "r",
        "note": "n",
    },
    "reverse-with-note": {"corrects": 5, "action": "reverse_transfer", "reason": "r", "note": "n"},
    "reverse-with-retirement": {
        "corrects": 5,
        "action": "reverse_transfer",
        "reason": "r",
        "retirement": "RET-5",
    },
    "corrects-genesis": {"corrects": 0, "action": "reverse_transfer", "reason": "r"},
    "corrects-string": {"corrects": "5", "action": "reverse_transfer", "reason": "r"},
    "unknown-action": {"corrects": 5, "action": "delete", "reason": "r"},
    "missing-reason": {"corrects": 5, "action": "reverse_transfer"},
    "unknown-field": {"corrects": 5, "action": "reverse_transfer", "reason": "r", "by": "x"},
}


def test_every_malformed_correction_is_invalid_input(world: World) -> None:
    for mutation, body in MALFORMED.items():
        assert world.reject("regulator", "correct", body) == "invalid_input", mutation
