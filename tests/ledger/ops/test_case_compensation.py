"""Cancellations toward a registered case: checked against the case, counted, case closed."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.storage import schema
from tests.builders import World, lots
from tests.ledger.ops.test_register_case import CASE, DECISION, zhongshan

Body = dict[str, Any]
REQUIRED = 1_000


@pytest.fixture
def case(world: World) -> str:
    """A case of ``court`` binding ``alice`` to cancel 1,000 g."""
    world.accept("court", "register_case", zhongshan(required=REQUIRED))
    return CASE


@pytest.fixture
def batch(world: World) -> str:
    """A batch of 2,000 g held by ``alice``."""
    return world.issue(2000, to="alice")


def compensation(batch: str, quantity: int, account: str = "alice", **case: Any) -> Body:
    return {
        "account": account,
        "lots": lots(batch, quantity),
        "reason": "ecological_compensation",
        "case": {
            "authority": "court",
            "case_number": CASE,
            "damage_fen": 7_034_400,
            "decision_digest": DECISION,
            **case,
        },
    }


def case_row(world: World) -> dict[str, Any]:
    row = world.row(schema.compensation_cases, case_number=CASE)
    assert row is not None
    return row


class TestCounted:
    def test_cancellation_counts_toward_the_open_case(
        self, world: World, case: str, batch: str
    ) -> None:
        event = world.accept("alice", "cancel", compensation(batch, 400), ["court"])
        assert (event.data["case"], event.data["case_cancelled"], event.data["case_closed"]) == (
            CASE,
            400,
            False,
        )
        row = case_row(world)
        assert (row["cancelled"], row["status"], row["closed_at"]) == (400, "open", None)

    def test_case_closes_when_cancellations_reach_the_requirement(
        self, world: World, case: str, batch: str
    ) -> None:
        world.accept("alice", "cancel", compensation(batch, 400), ["court"])
        last = world.accept("alice", "cancel", compensation(batch, 600), ["court"])
        assert last.data["case_closed"] is True
        row = case_row(world)
        assert (row["cancelled"], row["status"], row["closed_at"]) == (1000, "closed", last.index)

    def test_unregistered_case_number_is_recorded_as_given(
        self, world: World, case: str, batch: str
    ) -> None:
        body = compensation(batch, 10, case_number="(2022)Other")
        event = world.accept("alice", "cancel", body, ["court"])
        assert "case" not in event.data
        assert case_row(world)["cancelled"] == 0


class TestRejected:
    def test_closed_case_takes_no_more_cancellations(
        self, world: World, case: str, batch: str
    ) -> None:
        world.accept("alice", "cancel", compensation(batch, REQUIRED), ["court"])
        assert world.reject("alice", "cancel", compensation(batch, 1), ["court"]) == ("case_closed")

    @pytest.mark.parametrize(
        "field, value",
        [("damage_fen", 7_034_401), ("decision_digest", "ef" * 32)],
    )
    def test_case_details_must_match_the_registered_case(
        self, world: World, case: str, batch: str, field: str, value: Any
    ) -> None:
        body = compensation(batch, 10, **{field: value})
        assert world.reject("alice", "cancel", body, ["court"]) == "case_mismatch"

    def test_another_authority_cannot_approve_the_case(
        self, world: World, case: str, batch: str
    ) -> None:
        world.add_participant("bureau", ["authority"], kind="government")
        body = compensation(batch, 10, authority="bureau")
        assert world.reject("alice", "cancel", body, ["bureau"]) == "case_mismatch"

    def test_only_the_liable_partys_credits_count(self, world: World, case: str) -> None:
        other = world.issue(100, to="bob")
        body = compensation(other, 10, account="bob")
        assert world.reject("bob", "cancel", body, ["court"]) == "case_mismatch"

    def test_without_the_authoritys_approval_it_is_rejected(
        self, world: World, case: str, batch: str
    ) -> None:
        assert world.reject("alice", "cancel", compensation(batch, 10)) == "missing_cosignature"
