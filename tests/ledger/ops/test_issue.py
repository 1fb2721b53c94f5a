"""issue: a new batch after third-party verification, never twice for one origin or period."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ledger.errors import InvalidInput
from ledger.log import Accepted, Rejected
from ledger.ops.fields import MAX_GRAMS
from ledger.storage import schema
from tests.builders import DIGEST, METHODOLOGY, PROGRAM, PROJECT, TONNE, World, sign_any_json

Body = dict[str, Any]
FACTOR = {
    "name": "grid_emission_factor",
    "value": "0.5271",
    "unit": "kgCO2/kWh",
    "source": "MEE 2022",
}


def period(start: str, end: str) -> tuple[str, str]:
    return (start, end)


class TestIssueAccepted:
    def test_issuance_creates_a_batch_with_its_supply_and_serials(self, world: World) -> None:
        body = world.issue_body(
            1019 * TONNE,
            vintage=period("2022-01-01", "2022-12-31"),
            origin_ref="GD-PHCER-2023-0001",
            parameters=[FACTOR],
        )
        event = world.accept("issuer", "issue", body, ["verifier"])
        assert event.data == {
            "batch": "PHCER-2022-000001",
            "quantity": 1019 * TONNE,
            "serial_start": 0,
            "serial_end": 1019 * TONNE,
            "to_account": "owner",
        }
        row = world.row(schema.batches, id="PHCER-2022-000001")
        assert row is not None
        assert (
            row["program"],
            row["project"],
            row["methodology"],
            row["vintage_start"],
            row["vintage_end"],
            row["origin_ref"],
            row["verifier"],
            row["report_digest"],
            row["verified_on"],
            row["issuer"],
            row["issued_at"],
        ) == (
            PROGRAM,
            PROJECT,
            METHODOLOGY,
            "2022-01-01",
            "2022-12-31",
            "GD-PHCER-2023-0001",
            "verifier",
            DIGEST,
            "2023-03-01",
            "issuer",
            event.index,
        )
        assert orjson.loads(row["parameters"]) == [FACTOR]
        assert world.supply("PHCER-2022-000001") == {
            "issued": 1019 * TONNE,
            "held": 1019 * TONNE,
            "pledged": 0,
            "retired": 0,
            "cancelled": 0,
        }
        assert world.holdings("PHCER-2022-000001") == [(0, 1019 * TONNE, "owner", "held", None)]

    def test_batches_of_a_program_get_consecutive_serial_ranges(self, world: World) -> None:
        first = world.issue(300)
        second = world.issue(500, to="alice")
        assert (first, second) == ("PHCER-2001-000001", "PHCER-2002-000002")
        assert world.holdings(second) == [(300, 800, "alice", "held", None)]
        program = world.row(schema.programs, code=PROGRAM)
        assert program is not None
        assert (program["next_serial"], program["batch_count"]) == (800, 2)

    def test_adjacent_monitoring_periods_of_one_project_are_accepted(self, world: World) -> None:
        world.issue(100, vintage=period("2022-01-01", "2022-06-30"))
        world.issue(100, vintage=period("2022-07-01", "2022-12-31"))

    def test_same_period_for_another_project_is_accepted(self, world: World) -> None:
        world.add_project("P2", "alice")
        world.issue(100, vintage=period("2022-01-01", "2022-12-31"))
        world.issue(100, vintage=period("2022-01-01", "2022-12-31"), project="P2", to="alice")

    def test_same_origin_reference_in_another_program_is_accepted(self, world: World) -> None:
        world.add_program("CDCER", "alice", region="CN-SC")
        world.grant("CDCER", "issuer", "issuer")
        world.grant("CDCER", "verifier", "verifier")
        world.add_methodology("CDCER", "nev", region="CN-SC")
        world.add_project("P-CD", "bob", program="CDCER", methodology="nev:1", region="CN-SC")
        world.issue(100, origin_ref="REF-1")
        world.issue(100, origin_ref="REF-1", project="P-CD", to="bob")

    def test_issuance_into_a_personal_account(self, world: World) -> None:
        world.open_account("u-1")
        batch = world.issue(7, to="u-1")
        assert world.held("u-1", batch) == 7

    def test_largest_allowed_quantity_is_accepted(self, world: World) -> None:
        batch = world.issue(MAX_GRAMS)
        assert world.supply(batch)["issued"] == MAX_GRAMS


class TestDuplicateIssuance:
    def test_same_origin_reference_is_rejected(self, world: World) -> None:
        first = world.issue(100, origin_ref="GD-0001")
        body = world.issue_body(100, origin_ref="GD-0001")
        error = world.reject_raw(world.sign("issuer", "issue", body, ["verifier"]))
        assert error.code == "duplicate_issuance"
        assert error.details["batch"] == first

    def test_overlapping_monitoring_period_is_rejected(self, world: World) -> None:
        first = world.issue(100, vintage=period("2022-01-01", "2022-12-31"), origin_ref="A")
        overlapping = {
            "overlaps-last-day": period("2022-12-31", "2023-06-30"),
            "overlaps-first-day": period("2021-07-01", "2022-01-01"),
            "inside": period("2022-03-01", "2022-04-30"),
            "encloses": period("2021-01-01", "2023-12-31"),
            "identical": period("2022-01-01", "2022-12-31"),
        }
        for case, second in overlapping.items():
            body = world.issue_body(100, vintage=second, origin_ref=f"B-{case}")
            error = world.reject_raw(world.sign("issuer", "issue", body, ["verifier"]))
            assert error.code == "duplicate_issuance", case
            assert error.details["batch"] == first, case

    def test_duplicates_in_one_group_are_rejected(self, world: World) -> None:
        one = world.sign("issuer", "issue", world.issue_body(100, origin_ref="R"), ["verifier"])
        two = world.sign("issuer", "issue", world.issue_body(100, origin_ref="R"), ["verifier"])
        vintage = period("2030-01-01", "2030-12-31")
        three = world.sign("issuer", "issue", world.issue_body(100, vintage=vintage), ["verifier"])
        four = world.sign("issuer", "issue", world.issue_body(100, vintage=vintage), ["verifier"])
        outcomes = world.ledger.submit([one, two, three, four])
        assert [type(o) for o in outcomes] == [Accepted, Rejected, Accepted, Rejected]
        assert [o.error.code for o in outcomes if isinstance(o, Rejected)] == [
            "duplicate_issuance",
            "duplicate_issuance",
        ]
        assert len(world.rows(schema.batches)) == 2

    def test_duplicates_are_found_after_a_restart(self, world: World) -> None:
        world.issue(100, vintage=period("2022-01-01", "2022-12-31"), origin_ref="R")
        world.reopen()
        by_origin = world.issue_body(100, origin_ref="R")
        by_period = world.issue_body(100, vintage=period("2022-06-01", "2022-06-30"))
        assert world.reject("issuer", "issue", by_origin, ["verifier"]) == "duplicate_issuance"
        assert world.reject("issuer", "issue", by_period, ["verifier"]) == "duplicate_issuance"


class TestIssueRejected:
    def test_unknown_project_is_rejected(self, world: World) -> None:
        body = world.issue_body(100, project="P9")
        assert world.reject("issuer", "issue", body, ["verifier"]) == "unknown_project"

    def test_issuance_by_a_non_issuer_is_rejected(self, world: World) -> None:
        for signer in ("alice", "regulator", "operator"):
            assert world.reject(signer, "issue", world.issue_body(100), ["verifier"]) == (
                "not_authorised"
            )

    def test_unaccredited_verifier_is_rejected(self, world: World) -> None:
        body = world.issue_body(100, verifier="alice")
        assert world.reject("issuer", "issue", body, ["alice"]) == "not_authorised"

    def test_verifier_that_owns_the_project_is_a_conflict(self, world: World) -> None:
        world.grant(PROGRAM, "owner", "verifier")
        body = world.issue_body(100, verifier="owner")
        assert world.reject("issuer", "issue", body, ["owner"]) == "verifier_conflict"

    def test_verifier_that_is_the_issuer_is_a_conflict(self, world: World) -> None:
        world.grant(PROGRAM, "issuer", "verifier")
        body = world.issue_body(100, verifier="issuer")
        assert world.reject("issuer", "issue", body) == "verifier_conflict"

    def test_issuance_without_the_verifiers_cosignature_is_rejected(self, world: World) -> None:
        assert world.reject("issuer", "issue", world.issue_body(100)) == "missing_cosignature"

    def test_cosignature_of_someone_other_than_the_named_verifier_is_rejected(
        self, world: World
    ) -> None:
        assert world.reject("issuer", "issue", world.issue_body(100), ["alice"]) == (
            "missing_cosignature"
        )

    def test_inactive_methodology_is_rejected(self, world: World) -> None:
        world.accept(
            "regulator", "set_methodology_status", {"methodology": METHODOLOGY, "status": "draft"}
        )
        assert world.reject("issuer", "issue", world.issue_body(100), ["verifier"]) == (
            "methodology_inactive"
        )

    def test_unknown_destination_account_is_rejected(self, world: World) -> None:
        body = world.issue_body(100, to="nobody")
        assert world.reject("issuer", "issue", body, ["verifier"]) == "unknown_account"

    def test_float_quantity_is_invalid_input(self, world: World) -> None:
        """A float never passes; ``1e6`` is not even canonical JSON (it re-encodes otherwise)."""
        cases = {
            "1.5": "invalid_input",
            "1000000.0": "invalid_input",
            "1e6": "non_canonical_encoding",
        }
        for quantity, code in cases.items():
            body = world.issue_body(1)
            body_json = orjson.dumps(body, option=orjson.OPT_SORT_KEYS).replace(
                b'"quantity":1', b'"quantity":' + quantity.encode()
            )
            assert quantity.encode() in body_json
            raw = sign_any_json(world.ledger.origin, "issue", world["issuer"], body_json)
            error = world.reject_raw(raw)
            assert isinstance(error, InvalidInput), quantity
            assert error.code == code, quantity


MALFORMED: dict[str, Callable[[Body], None]] = {
    "quantity-string": lambda b: b.update(quantity="1000"),
    "quantity-bool": lambda b: b.update(quantity=True),
    "quantity-zero": lambda b: b.update(quantity=0),
    "quantity-negative": lambda b: b.update(quantity=-5),
    "quantity-above-maximum": lambda b: b.update(quantity=MAX_GRAMS + 1),
    "unknown-field": lambda b: b.update(price=20),
    "missing-verifier": lambda b: b.pop("verifier"),
    "date-not-in-calendar": lambda b: b.update(vintage_start="2022-02-30"),
    "date-with-slashes": lambda b: b.update(vintage_start="2022/01/01"),
    "date-with-time": lambda b: b.update(verified_on="2023-03-01T00:00:00"),
    "period-end-before-start": lambda b: b.update(
        vintage_start="2023-01-01", vintage_end="2022-12-31"
    ),
    "verified-before-period-end": lambda b: b.update(
        vintage_start="2022-01-01", vintage_end="2022-12-31", verified_on="2022-12-30"
    ),
    "digest-uppercase": lambda b: b.update(report_digest="AB" * 32),
    "digest-short": lambda b: b.update(report_digest="ab" * 31),
    "digest-not-hex": lambda b: b.update(report_digest="zz" * 32),
    "parameter-value-number": lambda b: b.update(parameters=[{**FACTOR, "value": 5271}]),
    "empty-origin-ref": lambda b: b.update(origin_ref=""),
}


def test_every_malformed_issuance_is_invalid_input(world: World) -> None:
    """Each named mutation of a valid body is refused, and changes nothing."""
    for mutation, mutate in MALFORMED.items():
        body = world.issue_body(100)
        mutate(body)
        assert world.reject("issuer", "issue", body, ["verifier"]) == "invalid_input", mutation
