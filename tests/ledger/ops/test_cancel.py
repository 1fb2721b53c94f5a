"""cancel: credits removed for good, for ecological compensation, invalidation or export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from ledger.storage import schema
from tests.builders import World, lots, sign_any_json

Body = dict[str, Any]
DECISION = "cd" * 32


@pytest.fixture
def batch(world: World) -> str:
    """A batch of 1,000 g (serials 0-1000) held by ``owner``."""
    return world.issue(1000)


def compensation(
    batch: str, quantity: int = 100, account: str = "owner", authority: str = "court"
) -> Body:
    return {
        "account": account,
        "lots": lots(batch, quantity),
        "reason": "ecological_compensation",
        "case": {
            "authority": authority,
            "case_number": "(2023)Yue2071Minchu1234",
            "damage_fen": 7_034_400,
            "decision_digest": DECISION,
        },
    }


def plain(
    batch: str, reason: str, quantity: int = 100, account: str = "owner", **extra: Any
) -> Body:
    return {"account": account, "lots": lots(batch, quantity), "reason": reason, **extra}


class TestEcologicalCompensation:
    def test_cancellation_with_the_authoritys_cosignature_is_recorded(
        self, world: World, batch: str
    ) -> None:
        event = world.accept("owner", "cancel", compensation(batch, 300), ["court"])
        cid = f"CAN-{event.index}"
        assert event.data == {
            "cancellation": cid,
            "quantity": 300,
            "lots": [{"batch": batch, "ranges": [[0, 300]]}],
        }
        row = world.row(schema.cancellations, id=cid)
        assert row is not None
        assert (
            row["account"],
            row["cancelled_by"],
            row["quantity"],
            row["reason"],
            row["authority"],
            row["case_number"],
            row["damage_fen"],
            row["decision_digest"],
            row["destination"],
        ) == (
            "owner",
            "owner",
            300,
            "ecological_compensation",
            "court",
            "(2023)Yue2071Minchu1234",
            7_034_400,
            DECISION,
            None,
        )
        assert world.holdings(batch) == [
            (0, 300, "owner", "cancelled", cid),
            (300, 1000, "owner", "held", None),
        ]
        assert world.supply(batch) == {
            "issued": 1000,
            "held": 700,
            "pledged": 0,
            "retired": 0,
            "cancelled": 300,
        }

    def test_without_the_authoritys_cosignature_it_is_rejected(
        self, world: World, batch: str
    ) -> None:
        error = world.reject_raw(world.sign("owner", "cancel", compensation(batch)))
        assert error.code == "missing_cosignature"
        assert error.details["participant"] == "court"

    def test_cosignature_of_another_authority_does_not_count(
        self, world: World, batch: str
    ) -> None:
        world.add_participant("bureau", ["authority"], kind="government")
        assert world.reject("owner", "cancel", compensation(batch), ["bureau"]) == (
            "missing_cosignature"
        )

    def test_named_authority_must_have_the_authority_role(self, world: World, batch: str) -> None:
        assert (
            world.reject("owner", "cancel", compensation(batch, authority="bank"), ["bank"])
            == "not_authorised"
        )

    def test_named_authority_must_be_registered(self, world: World, batch: str) -> None:
        assert world.reject("owner", "cancel", compensation(batch, authority="nobody")) == (
            "unknown_participant"
        )

    def test_float_damage_is_invalid_input(self, world: World, batch: str) -> None:
        body = compensation(batch)
        body["case"]["damage_fen"] = 70344.0
        raw = sign_any_json(
            world.ledger.origin,
            "cancel",
            world["owner"],
            orjson.dumps(body, option=orjson.OPT_SORT_KEYS),
        )
        assert world.reject_raw(raw).code == "invalid_input"


class TestAdministrativeCancellation:
    @pytest.mark.parametrize("reason", ["administrative_invalidation", "correction"])
    def test_program_administrator_cancels_from_any_account(
        self, world: World, batch: str, reason: str
    ) -> None:
        event = world.accept("regulator", "cancel", plain(batch, reason, note="duplicate data"))
        row = world.row(schema.cancellations, id=f"CAN-{event.index}")
        assert row is not None
        assert (row["account"], row["cancelled_by"], row["reason"], row["note"]) == (
            "owner",
            "regulator",
            reason,
            "duplicate data",
        )
        assert world.held("owner", batch) == 900

    @pytest.mark.parametrize("signer", ["owner", "court", "operator"])
    def test_anyone_else_may_not_invalidate(self, world: World, batch: str, signer: str) -> None:
        assert world.reject(signer, "cancel", plain(batch, "administrative_invalidation")) == (
            "not_authorised"
        )

    def test_unknown_account_is_rejected(self, world: World, batch: str) -> None:
        body = plain(batch, "administrative_invalidation", account="ghost")
        assert world.reject("regulator", "cancel", body) == "unknown_account"

    def test_unknown_batch_is_rejected(self, world: World, batch: str) -> None:
        body = plain("PHCER-2001-000099", "administrative_invalidation")
        assert world.reject("regulator", "cancel", body) == "unknown_batch"

    def test_more_than_held_is_rejected(self, world: World, batch: str) -> None:
        body = plain(batch, "administrative_invalidation", quantity=1001)
        assert world.reject("regulator", "cancel", body) == "insufficient_credits"


class TestExport:
    def test_holder_exports_to_another_registry(self, world: World, batch: str) -> None:
        body = plain(batch, "export", destination="Verra registry")
        event = world.accept("owner", "cancel", body)
        row = world.row(schema.cancellations, id=f"CAN-{event.index}")
        assert row is not None and (row["reason"], row["destination"]) == (
            "export",
            "Verra registry",
        )
        assert world.supply(batch)["cancelled"] == 100


class TestCancelRejected:
    def test_cancel_more_than_held_is_rejected(self, world: World, batch: str) -> None:
        body = plain(batch, "export", quantity=1001, destination="Verra")
        assert world.reject("owner", "cancel", body) == "insufficient_credits"

    def test_pledged_credits_cannot_be_cancelled(self, world: World, batch: str) -> None:
        world.accept(
            "owner",
            "pledge",
            {"account": "owner", "lots": lots(batch, 1000), "bank": "bank"},
            ["bank"],
        )
        assert world.reject("owner", "cancel", compensation(batch, 1), ["court"]) == (
            "insufficient_credits"
        )
        assert world.reject(
            "regulator", "cancel", plain(batch, "administrative_invalidation", quantity=1)
        ) == ("insufficient_credits")

    def test_cancelling_someone_elses_credits_is_rejected(self, world: World, batch: str) -> None:
        assert world.reject("alice", "cancel", compensation(batch), ["court"]) == ("not_authorised")

    def test_unknown_account_is_rejected(self, world: World, batch: str) -> None:
        assert (
            world.reject("owner", "cancel", compensation(batch, account="ghost"), ["court"])
            == "unknown_account"
        )


MALFORMED: dict[str, Callable[[Body], object]] = {
    "compensation-without-case": lambda b: b.pop("case"),
    "case-with-another-reason": lambda b: b.update(reason="administrative_invalidation"),
    "export-without-destination": lambda b: (b.pop("case"), b.update(reason="export")),
    "destination-without-export": lambda b: b.update(destination="Verra"),
    "unknown-reason": lambda b: (b.pop("case"), b.update(reason="lost")),
    "damage-negative": lambda b: b["case"].update(damage_fen=-1),
    "damage-string": lambda b: b["case"].update(damage_fen="70344.00"),
    "decision-digest-short": lambda b: b["case"].update(decision_digest="cd" * 16),
    "decision-digest-uppercase": lambda b: b["case"].update(decision_digest="CD" * 32),
    "case-missing-number": lambda b: b["case"].pop("case_number"),
    "case-unknown-field": lambda b: b["case"].update(judge="x"),
    "unknown-field": lambda b: b.update(certificate=True),
}


def test_every_malformed_cancellation_is_invalid_input(world: World, batch: str) -> None:
    """Each named mutation of a valid body is refused, and changes nothing."""
    for mutation, mutate in MALFORMED.items():
        body = compensation(batch)
        mutate(body)
        assert world.reject("owner", "cancel", body, ["court"]) == "invalid_input", mutation
