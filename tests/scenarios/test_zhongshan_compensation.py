"""Zhongshan end to end: 70,344 CNY of ecological damage, 1,019 t of PHCER from one PV project
bought and cancelled against the registered case with the bureau's approval, the case closed,
and a cancellation certificate whose numbers match the ledger and whose altered bundle fails."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import pytest

from ledger.audit import check_invariants, verify_ledger
from ledger.certificates.documents import make_certificate, write_html, write_pdf
from ledger.certificates.verify import verify_certificate
from ledger.errors import LedgerError
from ledger.queries import cases as case_queries
from ledger.reports.trades import trade_announcements
from tests.builders import World
from tests.stories import (
    CASE_DAMAGE_FEN,
    CASE_NUMBER,
    CASE_REQUIRED,
    Case,
    compensation,
    zhongshan,
)
from tests.text import pdf_text


@pytest.fixture
def case(world: World) -> Case:
    built = zhongshan(world)
    world.ledger.seal()
    return built


class TestTheCase:
    def test_registered_case_is_open_until_the_cancellation(self, world: World) -> None:
        zhongshan(world, cancel=False)
        found = case_queries.case(world.ledger.engine, CASE_NUMBER)
        assert (found.status, found.required, found.cancelled, found.outstanding) == (
            "open",
            1_019_000_000,
            0,
            1_019_000_000,
        )

    def test_the_approved_cancellation_closes_the_case(self, world: World, case: Case) -> None:
        found = case_queries.case(world.ledger.engine, CASE_NUMBER)
        assert (found.status, found.cancelled, found.damage_fen) == (
            "closed",
            CASE_REQUIRED,
            CASE_DAMAGE_FEN,
        )
        (cancellation,) = found.cancellations
        assert cancellation.id == case.cancellation
        assert found.closed_at == cancellation.index
        assert (cancellation.account, cancellation.authority) == ("zs-plating", "zs-eeb")

    def test_a_closed_case_takes_no_more(self, world: World, case: Case) -> None:
        one = [{"batch": case.batch, "quantity": 1}]
        body = {"from_account": "liangyi", "to_account": "zs-plating", "lots": one}
        world.accept("liangyi", "transfer", body)
        assert world.reject("zs-plating", "cancel", compensation(case.batch, 1), ["zs-eeb"]) == (
            "case_closed"
        )

    def test_the_purchase_is_announced_and_the_ledger_replays(
        self, world: World, case: Case
    ) -> None:
        (trade,) = trade_announcements(world.ledger.engine)
        assert (trade.quantity, trade.price_fen_per_tonne, trade.value_fen) == (
            CASE_REQUIRED,
            6_903,
            1_019 * 6_903,
        )
        assert check_invariants(world.ledger.engine) == []
        report = verify_ledger(world.url, log_vkey=world.ledger.log_vkey)
        assert report.operations["register_case"] == 1


class TestCertificate:
    def test_certificate_numbers_match_the_ledger(self, world: World, case: Case) -> None:
        claims = make_certificate(world.ledger.engine, "cancellation", CASE_NUMBER).claims
        found = case_queries.case(world.ledger.engine, CASE_NUMBER)
        assert claims["quantity"] == found.cancelled == 1_019_000_000
        assert {
            k: claims["case"][k] for k in ("required", "cancelled", "damage_fen", "closed")
        } == {
            "required": found.required,
            "cancelled": found.cancelled,
            "damage_fen": 7_034_400,
            "closed": True,
        }
        (item,) = claims["cancellations"]
        assert (item["id"], item["approved_by"], item["account"]) == (
            case.cancellation,
            ["zs-eeb"],
            "zs-plating",
        )
        (batch,) = claims["batches"]
        (project,) = claims["projects"]
        assert (batch["batch"], batch["certified"], batch["project"]) == (
            case.batch,
            CASE_REQUIRED,
            "GD-ZS-PV-0001",
        )
        assert project["title"] == "Zhongshan Liangyi Lighting distributed PV"

    def test_single_cancellation_certificate_names_its_case(self, world: World, case: Case) -> None:
        claims = make_certificate(world.ledger.engine, "cancellation", case.cancellation).claims
        assert claims["case"]["case_number"] == CASE_NUMBER
        assert claims["case"]["closed"] is None  # one cancellation does not speak for the case

    def test_pdf_and_html_state_the_case(self, world: World, case: Case, tmp_path: Path) -> None:
        certificate = make_certificate(world.ledger.engine, "cancellation", CASE_NUMBER)
        html = write_html(certificate, tmp_path / "case.html").read_text("utf-8")
        text = pdf_text(write_pdf(certificate, tmp_path / "case.pdf"))
        for page in (html, text):
            assert "Ecological Compensation Certificate" in page
            assert "1,019 t (1,019,000,000 g)" in page
            assert "70,344.00 CNY" in page
            assert "CASE SATISFIED" in page
            assert CASE_NUMBER in page
            assert "Zhongshan Liangyi Lighting distributed PV" in page

    @pytest.mark.parametrize(
        ("mutation", "code"),
        [
            ("damage", "certificate_mismatch"),
            ("required", "certificate_mismatch"),
            ("liable-party", "certificate_mismatch"),
            ("serial-range", "certificate_mismatch"),
            ("record", "root_mismatch"),
            ("other-log-key", "wrong_log_key"),
        ],
    )
    def test_an_altered_bundle_fails(
        self, world: World, case: Case, mutation: str, code: str
    ) -> None:
        bundle = copy.deepcopy(
            make_certificate(world.ledger.engine, "cancellation", CASE_NUMBER).bundle
        )
        ALTER[mutation](bundle)
        with pytest.raises(LedgerError) as caught:
            verify_certificate(bundle, log_vkey=world.ledger.log_vkey)
        assert caught.value.code == code


def _damage(bundle: dict[str, Any]) -> None:
    bundle["claims"]["case"]["damage_fen"] = 703_440


def _required(bundle: dict[str, Any]) -> None:
    bundle["claims"]["case"]["required"] = 1_000 * 1_000_000


def _liable(bundle: dict[str, Any]) -> None:
    bundle["claims"]["case"]["liable_party"] = "liangyi"


def _serials(bundle: dict[str, Any]) -> None:
    (ranges,) = bundle["refs"]["serials"].values()
    (batch_ranges,) = ranges.values()
    batch_ranges[0][1] -= 1


def _record(bundle: dict[str, Any]) -> None:
    proof = next(p for p in bundle["proofs"] if p["index"] == bundle["refs"]["records"][0])
    record = base64.b64decode(proof["record"])
    proof["record"] = base64.b64encode(record.replace(b"1019000000", b"1019000001")).decode()


def _other_key(bundle: dict[str, Any]) -> None:
    bundle["log_vkey"] = bundle["log_vkey"][:-4] + "AAA="


ALTER = {
    "damage": _damage,
    "required": _required,
    "liable-party": _liable,
    "serial-range": _serials,
    "record": _record,
    "other-log-key": _other_key,
}
