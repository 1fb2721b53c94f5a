"""The Beijing CBD Forum end to end: 138.25 t emitted over three stages, offset by citizens'
donated personal reductions, neutral once covered, and a certificate whose every number
matches the ledger and whose altered bundle fails."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from ledger.audit import check_invariants, verify_ledger
from ledger.certificates.documents import make_certificate, write_html, write_pdf
from ledger.certificates.verify import verify_certificate
from ledger.errors import LedgerError
from ledger.queries import events as event_queries
from tests.builders import World
from tests.stories import (
    DONATIONS,
    FORUM_EMITTED,
    FORUM_NAME,
    FORUM_ORGANISER,
    Forum,
    beijing_cbd_forum,
    donation,
)
from tests.text import pdf_text


@pytest.fixture
def forum(world: World) -> Forum:
    built = beijing_cbd_forum(world)
    world.ledger.seal()
    return built


class TestTheEvent:
    def test_emissions_are_accounted_by_stage(self, world: World, forum: Forum) -> None:
        event = event_queries.event(world.ledger.engine, forum.event)
        assert event.emitted == FORUM_EMITTED == 138_250_000
        assert event.by_stage == {
            "preparation": 20_500_000,
            "hosting": 98_250_000,
            "closing": 19_500_000,
        }

    def test_the_donations_cover_it_exactly_and_it_is_neutral(
        self, world: World, forum: Forum
    ) -> None:
        event = event_queries.event(world.ledger.engine, forum.event)
        assert event.covered == sum(grams for _, grams in DONATIONS) == FORUM_EMITTED
        assert event.neutral and event.uncovered == 0
        assert [r.id for r in event.retirements] == forum.retirements
        assert event.neutral_at == event.retirements[-1].index
        assert {r.account for r in event.retirements} == {a for a, _ in DONATIONS}
        assert {r.retired_by for r in event.retirements} == {"bj-travel"}

    def test_it_is_not_neutral_before_the_last_donation(self, world: World) -> None:
        forum = beijing_cbd_forum(world, donations=len(DONATIONS) - 1)
        event = event_queries.event(world.ledger.engine, forum.event)
        assert not event.neutral
        assert event.uncovered == DONATIONS[-1][1] == 250_000

    def test_the_ledger_still_replays_and_adds_up(self, world: World, forum: Forum) -> None:
        assert check_invariants(world.ledger.engine) == []
        report = verify_ledger(world.url, log_vkey=world.ledger.log_vkey)
        assert report.operations["register_event"] == 1
        assert report.operations["retire"] == len(DONATIONS)


class TestCertificate:
    def test_certificate_numbers_match_the_ledger(self, world: World, forum: Forum) -> None:
        engine = world.ledger.engine
        claims = make_certificate(engine, "retirement", forum.event).claims
        event = event_queries.event(engine, forum.event)
        assert claims["quantity"] == event.covered == FORUM_EMITTED
        assert claims["event"]["emitted"] == event.emitted
        assert claims["event"]["by_stage"] == event.by_stage
        assert claims["event"]["neutral"] is True
        assert [(r["id"], r["quantity"], r["account"]) for r in claims["retirements"]] == [
            (r.id, r.quantity, r.account) for r in event.retirements
        ]
        assert {r["beneficiary"]["name"] for r in claims["retirements"]} == {FORUM_ORGANISER}
        (batch,) = claims["batches"]
        assert (batch["batch"], batch["project"], batch["certified"]) == (
            forum.batch,
            "BJ-TRAVEL-2024",
            FORUM_EMITTED,
        )
        assert claims["checkpoint"]["size"] == world.ledger.sealed_size

    def test_the_bundle_verifies_offline_with_the_log_key(self, world: World, forum: Forum) -> None:
        certificate = make_certificate(world.ledger.engine, "retirement", forum.event)
        verified = verify_certificate(
            copy.deepcopy(certificate.bundle), log_vkey=world.ledger.log_vkey
        )
        assert verified.claims == certificate.claims
        assert verified.digest == certificate.digest

    def test_pdf_and_html_state_the_event_and_its_numbers(
        self, world: World, forum: Forum, tmp_path: Path
    ) -> None:
        certificate = make_certificate(world.ledger.engine, "retirement", forum.event)
        html = write_html(certificate, tmp_path / "forum.html").read_text("utf-8")
        text = pdf_text(write_pdf(certificate, tmp_path / "forum.pdf"))
        for page in (html, text):
            assert "Carbon Neutrality Certificate" in page
            assert FORUM_NAME in page
            assert "138.25 t (138,250,000 g)" in page
            assert "CARBON NEUTRAL" in page
            assert FORUM_ORGANISER in page
            assert forum.batch in page
            assert certificate.digest in page.replace(" ", "").replace("\n", "")

    @pytest.mark.parametrize(
        ("mutation", "code"),
        [
            ("quantity", "certificate_mismatch"),
            ("beneficiary", "certificate_mismatch"),
            ("emitted", "certificate_mismatch"),
            ("one-donation", "certificate_mismatch"),
            ("proof-hash", "root_mismatch"),
            ("checkpoint-root", "bad_signature"),
        ],
    )
    def test_an_altered_bundle_fails(
        self, world: World, forum: Forum, mutation: str, code: str
    ) -> None:
        bundle = copy.deepcopy(
            make_certificate(world.ledger.engine, "retirement", forum.event).bundle
        )
        ALTER[mutation](bundle)
        with pytest.raises(LedgerError) as caught:
            verify_certificate(bundle, log_vkey=world.ledger.log_vkey)
        assert caught.value.code == code

    def test_donation_after_the_checkpoint_waits_for_the_next_one(
        self, world: World, forum: Forum
    ) -> None:
        world.open_account("bjca-late", "bj-travel")
        world.accept(
            "bj-travel",
            "transfer",
            {
                "from_account": "bj-travel",
                "to_account": "bjca-late",
                "lots": [{"batch": forum.batch, "quantity": 5}],
            },
        )
        world.accept("bj-travel", "retire", donation("bjca-late", forum.batch, 5, forum.event))
        claims = make_certificate(world.ledger.engine, "retirement", forum.event).claims
        assert claims["quantity"] == FORUM_EMITTED
        world.ledger.seal()
        claims = make_certificate(world.ledger.engine, "retirement", forum.event).claims
        assert claims["quantity"] == FORUM_EMITTED + 5


def _set_quantity(bundle: dict[str, Any]) -> None:
    bundle["claims"]["quantity"] += 1


def _set_beneficiary(bundle: dict[str, Any]) -> None:
    bundle["claims"]["retirements"][0]["beneficiary"]["name"] = "Someone else"


def _set_emitted(bundle: dict[str, Any]) -> None:
    bundle["claims"]["event"]["emitted"] -= 1_000_000


def _flip_proof_hash(bundle: dict[str, Any]) -> None:
    proof = bundle["proofs"][0]["proof"]
    proof[0] = ("A" if proof[0][0] != "A" else "B") + proof[0][1:]


def _alter_checkpoint(bundle: dict[str, Any]) -> None:
    for proof in bundle["proofs"]:
        lines = proof["checkpoint"].split("\n")
        lines[2] = ("A" if lines[2][0] != "A" else "B") + lines[2][1:]
        proof["checkpoint"] = "\n".join(lines)


def _drop_donation(bundle: dict[str, Any]) -> None:
    dropped = bundle["refs"]["records"].pop()
    bundle["proofs"] = [p for p in bundle["proofs"] if p["index"] != dropped]


ALTER = {
    "quantity": _set_quantity,
    "beneficiary": _set_beneficiary,
    "emitted": _set_emitted,
    "proof-hash": _flip_proof_hash,
    "checkpoint-root": _alter_checkpoint,
    "one-donation": _drop_donation,
}
