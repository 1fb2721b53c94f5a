"""The issuance audit: batches with verification and supply, and every flag found when it is
planted directly in the database (as other software or tampering could leave it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from sqlalchemy import insert, select, update

from ledger import canonical
from ledger.reports.issuance_audit import AuditReport, audit_issuance
from ledger.reports.scope import Scope
from ledger.storage import schema
from tests.builders import DIGEST, TONNE, World, lots


@pytest.fixture
def batches(world: World) -> list[str]:
    """Two batches of P1 (PHCER, CN-GD) and one of P2 (CN-HB, methodology wind:1), some used."""
    world.add_methodology("PHCER", "wind", "1", scenario="wind")
    world.add_project("P2", "alice", methodology="wind:1", region="CN-HB")
    first = world.issue(5 * TONNE, origin_ref="GD-0001", vintage=("2022-01-01", "2022-12-31"))
    second = world.issue(3 * TONNE, vintage=("2023-01-01", "2023-06-30"))
    third = world.issue(2 * TONNE, to="alice", project="P2", vintage=("2023-01-01", "2023-12-31"))
    world.accept("owner", "retire", {"account": "owner", "lots": lots(first, TONNE),
                                     "beneficiary": {"name": "A"}, "purpose": "personal",
                                     "jurisdiction": "CN-GD"})  # fmt: skip
    world.accept("owner", "pledge", {"account": "owner", "lots": lots(second, TONNE),
                                     "bank": "bank"}, ["bank"])  # fmt: skip
    return [first, second, third]


def audit(world: World, **scope: Any) -> AuditReport:
    return audit_issuance(world.ledger.engine, Scope(**scope))


def codes(report: AuditReport, batch: str) -> set[str]:
    return {f.code for f in report.flags if f.batch == batch}


def execute(world: World, statement: Any) -> None:
    with world.ledger.engine.begin() as conn:
        conn.execute(statement)


class TestCleanLedger:
    def test_every_batch_with_its_verification_and_supply(
        self, world: World, batches: list[str]
    ) -> None:
        report = audit(world)
        assert [b.id for b in report.batches] == batches
        first = report.batches[0]
        assert (
            first.verifier,
            first.report_digest,
            first.issuer,
            first.region,
            first.scenario,
        ) == (
            "verifier",
            DIGEST,
            "issuer",
            "CN-GD",
            "distributed_pv",
        )
        assert (first.supply.issued, first.supply.held, first.supply.retired) == (
            5 * TONNE,
            4 * TONNE,
            TONNE,
        )
        assert report.batches[1].supply.pledged == TONNE
        assert report.supply.issued == 10 * TONNE
        assert report.flags == [] and report.clean

    @pytest.mark.parametrize(
        ("scope", "want"),
        [
            ({"project": "P2"}, [2]),
            ({"methodology": "wind"}, [2]),
            ({"methodology": "pv:1"}, [0, 1]),
            ({"region": "CN-HB"}, [2]),
            ({"region": "CN-GD"}, [0, 1]),
            ({"region": "CN"}, [0, 1, 2]),
            ({"program": "OTHER"}, []),
            ({"period_start": "2023-07-01"}, [2]),
            ({"period_end": "2022-12-31"}, [0]),
            ({"period_start": "2023-03-01", "period_end": "2023-03-31"}, [1, 2]),
        ],
    )
    def test_scope_selects_batches(
        self, world: World, batches: list[str], scope: dict[str, str], want: list[int]
    ) -> None:
        assert [b.id for b in audit(world, **scope).batches] == [batches[i] for i in want]

    def test_a_bad_scope_is_refused(self, world: World) -> None:
        with pytest.raises(Exception, match="not a date"):
            Scope(period_start="2023-02-30")


def _strip_verifier_signature(world: World, batches: list[str]) -> str:
    """The issuance record loses the verifier's signature (the record is rewritten)."""
    e, b = schema.entries, schema.batches
    with world.ledger.engine.begin() as conn:
        index = conn.execute(select(b.c.issued_at).where(b.c.id == batches[0])).scalar_one()
        record = orjson.loads(conn.execute(select(e.c.record).where(e.c.idx == index)).scalar_one())
        sigs = record["entry"]["sigs"]
        record["entry"]["sigs"] = [s for s in sigs if s["signer"] != "verifier"]
        conn.execute(update(e).where(e.c.idx == index).values(record=canonical.encode(record)))
    return batches[0]


def _other_verifier(world: World, batches: list[str]) -> str:
    execute(world, update(schema.batches).where(schema.batches.c.id == batches[1])
            .values(verifier="alice"))  # fmt: skip
    return batches[1]


def _accredited_only_later(world: World, batches: list[str]) -> str:
    """The verifier's accreditation entry is moved after the issuances."""
    e = schema.entries
    with world.ledger.engine.begin() as conn:
        grants = conn.execute(select(e.c.idx, e.c.record).where(e.c.op == "set_program_role")).all()
        (index,) = [i for i, r in grants if b'"participant":"verifier"' in bytes(r)]
        conn.execute(update(e).where(e.c.idx == index).values(idx=10_000))
    return batches[0]


def _overlapping_period(world: World, batches: list[str]) -> str:
    execute(world, update(schema.batches).where(schema.batches.c.id == batches[1])
            .values(vintage_start="2022-12-01"))  # fmt: skip
    return batches[1]


def _origin_seen_twice(world: World, batches: list[str]) -> str:
    """Another program issued the same origin reference (the ledger only forbids it within one)."""
    world.add_participant("sz-eeb", [], kind="government")
    world.add_program("SZCER", "sz-eeb", region="CN-GD")
    world.grant("SZCER", "issuer", "issuer")
    world.grant("SZCER", "verifier", "verifier")
    world.add_methodology("SZCER", "szpv", "1")
    world.add_project("SZ1", "bob", program="SZCER", methodology="szpv:1")
    return world.issue(TONNE, to="bob", project="SZ1", origin_ref="GD-0001")


def _verifier_owns_project(world: World, batches: list[str]) -> str:
    execute(world, update(schema.projects).where(schema.projects.c.id == "P2")
            .values(owner="verifier"))  # fmt: skip
    return batches[2]


def _issued_after_withdrawal(world: World, batches: list[str]) -> str:
    """A batch of the withdrawn methodology appears, issued after the withdrawal."""
    world.accept("regulator", "set_methodology_status",
                 {"methodology": "wind:1", "status": "withdrawn"})  # fmt: skip
    b = schema.batches
    with world.ledger.engine.begin() as conn:
        row = dict(conn.execute(select(b).where(b.c.id == batches[2])).mappings().one())
        start = row["serial_end"] + 10 * TONNE
        row.update(id="PHCER-2024-000099", vintage_start="2024-01-01", vintage_end="2024-06-30",
                   issued_at=world.ledger.size + 5, serial_start=start,
                   serial_end=start + row["issued"], held=row["issued"], retired=0)  # fmt: skip
        conn.execute(insert(b).values(**row))
        conn.execute(insert(schema.holdings).values(batch=row["id"], serial_start=start,
                                                    serial_end=row["serial_end"],
                                                    account="alice", status="held"))  # fmt: skip
    return "PHCER-2024-000099"


def _counters_disagree(world: World, batches: list[str]) -> str:
    """Counters still add up to the issued amount, but not to the ranges held in each status."""
    b = schema.batches
    execute(world, update(b).where(b.c.id == batches[0])
            .values(retired=b.c.retired + 5, held=b.c.held - 5))  # fmt: skip
    return batches[0]


PLANTED: dict[str, tuple[Callable[[World, list[str]], str], str]] = {
    "verifier-signature-removed": (_strip_verifier_signature, "attestation_missing"),
    "batch-names-another-verifier": (_other_verifier, "attestation_missing"),
    "verifier-accredited-only-later": (_accredited_only_later, "verifier_not_accredited"),
    "monitoring-periods-overlap": (_overlapping_period, "period_overlap"),
    "origin-reference-twice": (_origin_seen_twice, "duplicate_origin"),
    "verifier-owns-the-project": (_verifier_owns_project, "verifier_conflict"),
    "issued-after-methodology-withdrawn": (_issued_after_withdrawal, "methodology_withdrawn"),
    "supply-disagrees-with-holdings": (_counters_disagree, "supply_mismatch"),
}


@pytest.mark.parametrize("planted", sorted(PLANTED))
def test_planted_problem_is_flagged_on_its_batch(
    world: World, batches: list[str], planted: str
) -> None:
    plant, code = PLANTED[planted]
    flagged = plant(world, batches)
    report = audit(world)
    assert code in codes(report, flagged), report.flags
    assert report.flag_counts[code] >= 1
    # Overlaps and duplicates flag both batches of a pair; the late accreditation every batch.
    shared = {"period_overlap", "duplicate_origin", "verifier_not_accredited"}
    for batch in batches:
        if batch != flagged and code not in shared:
            assert code not in codes(report, batch)
