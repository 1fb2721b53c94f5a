"""record_reductions: thousands of personal records issued as one batch, or nothing at all.

A bad row (unknown account, another platform's account, zero or negative grams, unknown or
inactive methodology, an evidence digest seen before) refuses the whole entry, every bad row
named with its number and reason, and no table changes.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger.audit import check_invariants, verify_ledger
from ledger.bundle import export_bundle
from ledger.client import Identity
from ledger.entry import ENTRY_DOMAIN
from ledger.storage import schema
from ledger.verifier import verify_bundle
from tests.builders import PROGRAM, World
from tests.ledger.personal.scene import (
    NOW_MS,
    PLATFORM,
    PROJECT,
    enable_recording,
    open_accounts,
    record,
    record_body,
    row,
    sign_record,
)

PEOPLE = ["p1", "p2", "p3"]


@pytest.fixture
def scene(world: World) -> World:
    enable_recording(world)
    open_accounts(world, PEOPLE)
    return world


def signed_verbatim(world: World, body_json: bytes, signers: list[Identity]) -> bytes:
    """A record_reductions entry whose body is spliced in as it is (a float the client would
    refuse), correctly signed by ``signers``: only the body is wrong."""
    first = signers[0]
    first.seq += 1
    head = orjson.dumps(
        {
            "ledger": world.ledger.origin,
            "op": "record_reductions",
            "seq": first.seq,
            "signer": first.participant,
        },
        option=orjson.OPT_SORT_KEYS,
    )
    payload = b'{"body":' + body_json + b"," + head[1:]
    sigs = [
        {
            "key": who.key_id,
            "sig": base64.b64encode(who.key.sign(ENTRY_DOMAIN + payload)).decode(),
            "signer": who.participant,
        }
        for who in signers
    ]
    return b'{"payload":' + payload + b',"sigs":' + orjson.dumps(sigs) + b"}"


def rows_of(error: Any) -> list[tuple[int, str]]:
    return [(r["row"], r["code"]) for r in error.details["rows"]]


class TestAccepted:
    def test_one_batch_with_each_account_a_contiguous_sub_range(self, scene: World) -> None:
        event = record(scene, [row("p2", 300, 1), row("p1", 100, 2), row("p2", 50, 3)])
        batch = event.data["batch"]
        assert event.data == {
            "batch": batch,
            "quantity": 450,
            "records": 3,
            "accounts": 2,
            "serial_start": 0,
            "serial_end": 450,
        }
        # accounts in id order, each account's rows in row order
        assert scene.holdings(batch) == [
            (0, 100, "p1", "held", None),
            (100, 450, "p2", "held", None),
        ]
        assert scene.supply(batch) == {
            "issued": 450,
            "held": 450,
            "pledged": 0,
            "retired": 0,
            "cancelled": 0,
        }
        stored = scene.row(schema.batches, id=batch)
        assert stored is not None
        assert (stored["kind"], stored["project"], stored["verifier"], stored["issuer"]) == (
            "personal",
            PROJECT,
            "verifier",
            PLATFORM,
        )

    def test_each_record_is_kept_by_its_evidence_digest(self, scene: World) -> None:
        event = record(scene, [row("p1", 10, 1), row("p3", 20, 2)])
        stored = scene.rows(schema.evidence_digests)
        assert sorted((r["idx"], r["position"]) for r in stored) == [
            (event.index, 0),
            (event.index, 1),
        ]

    def test_custody_totals_follow_the_credits(self, scene: World) -> None:
        record(scene, [row("p1", 10, 1), row("p3", 20, 2)])
        assert scene.row(schema.custody_totals, platform=PLATFORM) == {
            "platform": PLATFORM,
            "accounts": 3,
            "held": 30,
        }

    def test_batches_take_serials_after_each_other(self, scene: World) -> None:
        first = record(scene, [row("p1", 10, 1)])
        second = record(scene, [row("p1", 5, 2)])
        assert (second.data["serial_start"], second.data["serial_end"]) == (10, 15)
        assert scene.held("p1") == 15
        assert first.data["batch"] != second.data["batch"]

    def test_check_and_verify_hold_after_bulk_entries(self, scene: World) -> None:
        record(scene, [row("p1", 10, 1), row("p2", 7, 2)])
        record(scene, [row("p3", 1, 3)])
        scene.ledger.seal()
        assert check_invariants(scene.ledger.engine) == []
        assert verify_ledger(scene.url).entries == scene.ledger.size

    def test_the_offline_verifier_replays_bulk_entries(self, scene: World, tmp_path: Path) -> None:
        record(scene, [row("p1", 10, 1), row("p2", 7, 2)])
        refused = scene.ledger.submit([sign_record(scene, [row("p3", 1, 1)])])
        assert refused[0].error.code == "rows_rejected"  # type: ignore[union-attr]
        record(scene, [row("p3", 1, 3)])
        scene.ledger.seal()
        export_bundle(scene.url, tmp_path / "ledger.clb")
        report = verify_bundle(tmp_path / "ledger.clb", log_vkey=scene.ledger.log_vkey)
        assert report.operations["record_reductions"] == 2

    def test_entries_in_one_group_see_each_others_records(self, scene: World) -> None:
        first = sign_record(scene, [row("p1", 10, 1)])
        again = sign_record(scene, [row("p2", 10, 1)])
        outcomes = scene.ledger.submit([first, again])
        assert outcomes[1].error.code == "rows_rejected"  # type: ignore[union-attr]
        assert rows_of(outcomes[1].error) == [(0, "duplicate_evidence")]  # type: ignore[union-attr]
        assert scene.held("p2") == 0


class TestBadRowsRejectTheWholeEntry:
    def test_every_kind_of_bad_row_is_named_and_nothing_is_written(self, scene: World) -> None:
        record(scene, [row("p1", 10, 99)])
        scene.add_participant("other", ["platform"], kind="platform")
        scene.open_account("q1", "other")
        scene.accept(
            "regulator",
            "register_methodology",
            scene.methodology_body(PROGRAM, "bus", "1", scenario="bus"),
        )
        scene.accept(
            "regulator",
            "register_methodology",
            scene.methodology_body(PROGRAM, "old", "1", status="draft"),
        )
        bad = [
            row("p1", 10, 1),  # fine
            row("ghost", 10, 2),  # unknown account
            row("q1", 10, 3),  # another platform's account
            row("p2", 0, 4),  # zero
            row("p2", -5, 5),  # negative
            row("p3", 10, 6, methodology="nope:1"),  # unknown methodology
            row("p3", 10, 7, methodology="old:1"),  # inactive methodology
            row("p3", 10, 8, methodology="bus:1"),  # not the project's
            row("p1", 10, 99),  # recorded before
            row("p2", 10, 1),  # twice in this entry
            row("p2", 10, 10, time_ms=NOW_MS - 10 * 86_400_000),  # outside the period
            ["p1", "metro_ride"],  # malformed
        ]
        error = scene.reject_raw(sign_record(scene, bad))
        # malformed rows make it invalid_rows; the well-formed ones are checked against state too
        assert error.code == "invalid_rows"
        assert rows_of(error) == [
            (1, "unknown_account"),
            (2, "not_in_custody"),
            (3, "non_positive_quantity"),
            (4, "non_positive_quantity"),
            (5, "unknown_methodology"),
            (6, "methodology_inactive"),
            (7, "methodology_mismatch"),
            (8, "duplicate_evidence"),
            (9, "duplicate_evidence"),
            (10, "outside_period"),
            (11, "malformed_row"),
        ]
        assert error.details["rejected"] == 11

    def test_rule_violations_of_well_formed_rows_are_all_named(self, scene: World) -> None:
        record(scene, [row("p1", 10, 99)])
        scene.add_participant("other", ["platform"], kind="platform")
        scene.open_account("q1", "other")
        scene.accept(
            "regulator",
            "register_methodology",
            scene.methodology_body(PROGRAM, "bus", "1", scenario="bus"),
        )
        scene.accept(
            "regulator",
            "register_methodology",
            scene.methodology_body(PROGRAM, "old", "1", status="draft"),
        )
        bad = [
            row("p1", 10, 1),
            row("ghost", 10, 2),
            row("q1", 10, 3),
            row("p3", 10, 6, methodology="nope:1"),
            row("p3", 10, 7, methodology="old:1"),
            row("p3", 10, 8, methodology="bus:1"),
            row("p1", 10, 99),
        ]
        error = scene.reject_raw(sign_record(scene, bad))
        assert error.code == "rows_rejected"
        assert rows_of(error) == [
            (1, "unknown_account"),
            (2, "not_in_custody"),
            (3, "unknown_methodology"),
            (4, "methodology_inactive"),
            (5, "methodology_mismatch"),
            (6, "duplicate_evidence"),
        ]
        assert all(r["problem"] for r in error.details["rows"])

    @pytest.mark.parametrize(
        ("bad_row", "code"),
        [
            (row("ghost", 10, 2), "unknown_account"),
            (row("p2", 0, 2), "non_positive_quantity"),
            (row("p2", -1, 2), "non_positive_quantity"),
            (row("p2", 10, 2, methodology="nope:1"), "unknown_methodology"),
            (["p2", "metro_ride", "pv:1", "10", NOW_MS, "ab" * 32], "invalid_quantity"),
            (["p2", "metro_ride", "pv:1", 10, NOW_MS, "AB" * 32], "invalid_digest"),
            (["p2", "Metro Ride", "pv:1", 10, NOW_MS, "ab" * 32], "invalid_scenario"),
            (["p2", ["metro_ride"], "pv:1", 10, NOW_MS, "ab" * 32], "invalid_scenario"),
            (["p2", "metro_ride", {"pv": 1}, 10, NOW_MS, "ab" * 32], "invalid_methodology"),
        ],
    )
    def test_one_bad_row_among_good_ones_refuses_all(
        self, scene: World, bad_row: list[Any], code: str
    ) -> None:
        rows = [row("p1", 10, 100 + i) for i in range(50)]
        rows.insert(17, bad_row)
        error = scene.reject_raw(sign_record(scene, rows))
        assert rows_of(error) == [(17, code)]
        assert scene.held("p1") == 0

    def test_a_float_quantity_is_refused(self, scene: World) -> None:
        body = record_body([row("p1", 10, 1)])
        text = orjson.dumps(body, option=orjson.OPT_SORT_KEYS).replace(b",10,", b",10.5,")
        raw = signed_verbatim(scene, text, [scene[PLATFORM], scene["verifier"]])
        error = scene.reject_raw(raw)
        assert (error.code, rows_of(error)) == ("invalid_rows", [(0, "invalid_quantity")])

    def test_a_record_dated_after_the_entry_is_refused(self, scene: World) -> None:
        later = [row("p1", 10, 1, time_ms=NOW_MS + 3_600_000 * 30)]
        body = record_body(later)
        body["period_end"] = "2999-12-31"
        body["verified_on"] = "2999-12-31"
        error = scene.reject_raw(scene.sign(PLATFORM, "record_reductions", body, ["verifier"]))
        assert rows_of(error) == [(0, "future_time")]


class TestWhoMayRecord:
    def test_a_platform_not_accredited_as_recorder_is_refused(self, world: World) -> None:
        world.add_project(PROJECT, PLATFORM)
        open_accounts(world, PEOPLE)
        assert world.reject_raw(sign_record(world, [row("p1", 1, 1)])).code == "not_authorised"

    def test_the_accreditation_can_be_withdrawn(self, scene: World) -> None:
        scene.grant(PROGRAM, PLATFORM, "platform_recorder", granted=False)
        assert scene.reject_raw(sign_record(scene, [row("p1", 1, 1)])).code == "not_authorised"

    def test_the_project_must_be_the_platforms(self, scene: World) -> None:
        error = scene.reject_raw(sign_record(scene, [row("p1", 1, 1)], project="P1"))
        assert error.code == "not_authorised"

    def test_the_verifier_must_co_sign(self, scene: World) -> None:
        raw = scene.sign(PLATFORM, "record_reductions", record_body([row("p1", 1, 1)]))
        assert scene.reject_raw(raw).code == "missing_cosignature"

    def test_the_verifier_must_be_accredited(self, scene: World) -> None:
        body = record_body([row("p1", 1, 1)])
        body["verifier"] = "bank"
        raw = scene.sign(PLATFORM, "record_reductions", body, ["bank"])
        assert scene.reject_raw(raw).code == "not_authorised"


class TestNoDoubleIssuance:
    def test_issue_refuses_a_project_that_records_personal_reductions(self, scene: World) -> None:
        record(scene, [row("p1", 1, 1)])
        body = scene.issue_body(1000, project=PROJECT, to=PLATFORM)
        assert scene.reject("issuer", "issue", body, ["verifier"]) == "project_kind_conflict"

    def test_records_are_refused_on_a_project_issued_by_issue(self, world: World) -> None:
        world.grant(PROGRAM, PLATFORM, "platform_recorder")
        world.add_project(PROJECT, PLATFORM)
        open_accounts(world, PEOPLE)
        world.issue(1000, project=PROJECT, to=PLATFORM)
        error = world.reject_raw(sign_record(world, [row("p1", 1, 1)]))
        assert error.code == "project_kind_conflict"
