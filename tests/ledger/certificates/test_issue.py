"""Making a certificate's bundle from the ledger: which records, which checkpoint, and refusal
when the ledger's tables disagree with its records."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from ledger.certificates.issue import make_bundle
from ledger.errors import LedgerError
from ledger.storage import schema
from tests.builders import TONNE, World, lots
from tests.stories import beijing_cbd_forum


def retire(world: World, batch: str, grams: int, **extra: Any) -> str:
    body = {"account": "owner", "lots": lots(batch, grams), "beneficiary": {"name": "Acme"},
            "purpose": "enterprise_neutrality", "jurisdiction": "CN-GD", **extra}  # fmt: skip
    return str(world.accept("owner", "retire", body).data["retirement"])


def code_of(world: World, kind: str, subject: str) -> str:
    with pytest.raises(LedgerError) as caught:
        make_bundle(world.ledger.engine, kind, subject)
    return caught.value.code


class TestRetirementCertificate:
    def test_one_retirement_with_its_correction_and_batches(self, world: World) -> None:
        first = world.issue(2 * TONNE)
        second = world.issue(TONNE)
        body = {"account": "owner", "lots": [*lots(first, 1_500_000), *lots(second, 500_000)],
                "beneficiary": {"name": "Acme Ltd"}, "purpose": "enterprise_neutrality",
                "jurisdiction": "CN-GD", "claim_ref": "2024 operations"}  # fmt: skip
        result = world.accept("owner", "retire", body)
        world.accept("owner", "correct", {"corrects": result.index, "action": "amend_retirement",
                                          "retirement": f"RET-{result.index}", "reason": "name",
                                          "beneficiary": {"name": "Acme Co., Ltd."}})  # fmt: skip
        world.ledger.seal()
        bundle = make_bundle(world.ledger.engine, "retirement", f"RET-{result.index}")
        claims = bundle["claims"]
        (item,) = claims["retirements"]
        assert item["beneficiary"]["name"] == "Acme Co., Ltd."
        assert item["corrected_by"] == [result.index + 1]
        assert [(b["batch"], b["certified"]) for b in claims["batches"]] == [
            (first, 1_500_000),
            (second, 500_000),
        ]
        assert claims["event"] is None and claims["quantity"] == 2 * TONNE
        assert len(bundle["proofs"]) == 5  # retirement, correction, two issuances, project

    def test_records_after_the_last_checkpoint_are_not_certified(self, world: World) -> None:
        rid = retire(world, world.issue(TONNE), 10)
        assert code_of(world, "retirement", rid) == "not_sealed"

    @pytest.mark.parametrize(
        ("kind", "subject", "code"),
        [
            ("retirement", "RET-999", "unknown_retirement"),
            ("retirement", "EVT-999", "unknown_event"),
            ("cancellation", "CAN-999", "unknown_cancellation"),
            ("cancellation", "no such case", "unknown_cancellation"),
            ("gift", "RET-1", "invalid_input"),
        ],
    )
    def test_unknown_subjects_are_refused(
        self, world: World, kind: str, subject: str, code: str
    ) -> None:
        assert code_of(world, kind, subject) == code

    def test_an_event_with_nothing_retired_yet_has_no_certificate(self, world: World) -> None:
        forum = beijing_cbd_forum(world, donations=0)
        world.ledger.seal()
        assert code_of(world, "retirement", forum.event) == "nothing_to_certify"

    def test_a_ledger_whose_tables_disagree_with_its_records_gets_none(self, world: World) -> None:
        forum = beijing_cbd_forum(world, donations=2)
        world.ledger.seal()
        with world.ledger.engine.begin() as conn:
            conn.execute(update(schema.events).values(covered=schema.events.c.covered + 1))
        assert code_of(world, "retirement", forum.event) == "tamper_detected"


class TestCancellationCertificate:
    def test_cancellation_naming_an_unregistered_case_is_certified_without_a_case(
        self, world: World
    ) -> None:
        batch = world.issue(TONNE)
        body = {"account": "owner", "lots": lots(batch, 100), "reason": "ecological_compensation",
                "case": {"authority": "court", "case_number": "(2022)unregistered",
                         "damage_fen": 1, "decision_digest": "cd" * 32}}  # fmt: skip
        cid = world.accept("owner", "cancel", body, ["court"]).data["cancellation"]
        world.ledger.seal()
        claims = make_bundle(world.ledger.engine, "cancellation", str(cid))["claims"]
        assert claims["case"] is None
        (item,) = claims["cancellations"]
        assert (item["approved_by"], item["case"]["case_number"]) == (
            ["court"],
            "(2022)unregistered",
        )
