"""retire: credits used up for good on behalf of a beneficiary, as a public claim."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from ledger.storage import schema
from tests.builders import World, lots, serials

Body = dict[str, Any]


@pytest.fixture
def batch(world: World) -> str:
    """A batch of 1,000 g (serials 0-1000) held by ``owner``."""
    return world.issue(1000)


def retirement(batch: str, quantity: int = 100, account: str = "owner", **extra: Any) -> Body:
    return {
        "account": account,
        "lots": lots(batch, quantity),
        "beneficiary": {"name": "Beijing CBD Forum", "identifier": "CBDF-2024"},
        "purpose": "event_neutrality",
        "jurisdiction": "CN-BJ",
        **extra,
    }


class TestRetireAccepted:
    def test_retirement_records_the_claim_and_locks_the_serials(
        self, world: World, batch: str
    ) -> None:
        body = retirement(
            batch,
            250,
            event_ref="CBD-FORUM-2024",
            claim_ref="CERT-0001",
            period_start="2024-06-05",
            period_end="2024-06-07",
            note="forum",
        )
        event = world.accept("owner", "retire", body)
        rid = f"RET-{event.index}"
        assert event.data == {
            "retirement": rid,
            "quantity": 250,
            "lots": [{"batch": batch, "ranges": [[0, 250]]}],
        }
        row = world.row(schema.retirements, id=rid)
        assert row is not None
        assert (
            row["account"],
            row["retired_by"],
            row["quantity"],
            row["beneficiary_name"],
            row["beneficiary_id"],
            row["purpose"],
            row["event_ref"],
            row["claim_ref"],
            row["jurisdiction"],
            row["period_start"],
            row["period_end"],
            row["note"],
            row["corrected_by"],
        ) == (
            "owner",
            "owner",
            250,
            "Beijing CBD Forum",
            "CBDF-2024",
            "event_neutrality",
            "CBD-FORUM-2024",
            "CERT-0001",
            "CN-BJ",
            "2024-06-05",
            "2024-06-07",
            "forum",
            None,
        )
        assert orjson.loads(row["lots"]) == [{"batch": batch, "ranges": [[0, 250]]}]
        assert world.holdings(batch) == [
            (0, 250, "owner", "retired", rid),
            (250, 1000, "owner", "held", None),
        ]
        assert world.supply(batch) == {
            "issued": 1000,
            "held": 750,
            "pledged": 0,
            "retired": 250,
            "cancelled": 0,
        }

    def test_retiring_an_exact_serial_range(self, world: World, batch: str) -> None:
        body = {**retirement(batch), "lots": serials(batch, 500, 510)}
        event = world.accept("owner", "retire", body)
        assert (500, 510, "owner", "retired", f"RET-{event.index}") in world.holdings(batch)
        assert world.held("owner", batch) == 990

    def test_every_purpose_is_accepted(self, world: World, batch: str) -> None:
        purposes = (
            "event_neutrality",
            "enterprise_neutrality",
            "compliance_offset",
            "personal",
            "donation",
        )
        for purpose in purposes:
            event = world.accept("owner", "retire", retirement(batch, 1, purpose=purpose))
            row = world.row(schema.retirements, id=f"RET-{event.index}")
            assert row is not None and row["purpose"] == purpose
        assert world.supply(batch)["retired"] == len(purposes)

    def test_custodian_retires_from_a_personal_account(self, world: World) -> None:
        world.open_account("u-1")
        batch = world.issue(50, to="u-1")
        event = world.accept(
            "platform", "retire", retirement(batch, 50, account="u-1", purpose="personal")
        )
        row = world.row(schema.retirements, id=f"RET-{event.index}")
        assert row is not None and (row["account"], row["retired_by"]) == ("u-1", "platform")

    def test_retired_credits_cannot_be_moved_or_retired_again(
        self, world: World, batch: str
    ) -> None:
        world.accept("owner", "retire", retirement(batch, 1000))
        transfer = {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 1)}
        assert world.reject("owner", "transfer", transfer) == "insufficient_credits"
        by_serial = {**transfer, "lots": serials(batch, 0, 1)}
        assert world.reject("owner", "transfer", by_serial) == "serials_not_held"
        assert world.reject("owner", "retire", retirement(batch, 1)) == "insufficient_credits"


class TestRetireRejected:
    def test_retire_more_than_held_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("owner", "retire", retirement(batch, 1001)) == "insufficient_credits"

    def test_retiring_serials_not_held_is_rejected(self, world: World, batch: str) -> None:
        world.accept(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "alice", "lots": serials(batch, 0, 100)},
        )
        body = {**retirement(batch), "lots": serials(batch, 50, 150)}
        assert world.reject("owner", "retire", body) == "serials_not_held"

    def test_pledged_credits_cannot_be_retired(self, world: World, batch: str) -> None:
        world.accept(
            "owner",
            "pledge",
            {"account": "owner", "lots": lots(batch, 1000), "bank": "bank"},
            ["bank"],
        )
        assert world.reject("owner", "retire", retirement(batch, 1)) == "insufficient_credits"

    def test_retiring_someone_elses_credits_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("alice", "retire", retirement(batch)) == "not_authorised"

    def test_unknown_account_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("owner", "retire", retirement(batch, account="ghost")) == (
            "unknown_account"
        )

    def test_unknown_batch_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("owner", "retire", retirement("PHCER-2001-000099")) == ("unknown_batch")


MALFORMED: dict[str, Callable[[Body], None]] = {
    "unknown-purpose": lambda b: b.update(purpose="greenwashing"),
    "jurisdiction-not-iso": lambda b: b.update(jurisdiction="Beijing"),
    "only-period-start": lambda b: b.update(period_start="2024-06-05"),
    "period-end-before-start": lambda b: b.update(
        period_start="2024-06-05", period_end="2024-06-04"
    ),
    "period-date-not-in-calendar": lambda b: b.update(
        period_start="2024-13-01", period_end="2024-12-31"
    ),
    "missing-beneficiary": lambda b: b.pop("beneficiary"),
    "beneficiary-unknown-field": lambda b: b["beneficiary"].update(phone="1380000"),
    "beneficiary-empty-name": lambda b: b["beneficiary"].update(name=""),
    "note-too-long": lambda b: b.update(note="x" * 4001),
    "quantity-string": lambda b: b["lots"][0].update(quantity="100"),
    "unknown-field": lambda b: b.update(certificate=True),
}


def test_every_malformed_retirement_is_invalid_input(world: World, batch: str) -> None:
    """Each named mutation of a valid body is refused, and changes nothing."""
    for mutation, mutate in MALFORMED.items():
        body = retirement(batch)
        mutate(body)
        assert world.reject("owner", "retire", body) == "invalid_input", mutation
