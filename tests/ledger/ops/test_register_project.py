"""register_project: a program's administrator approves a project under an active methodology."""

from __future__ import annotations

from typing import Any

from ledger.storage import schema
from tests.builders import PROGRAM, World


def project(**change: Any) -> dict[str, Any]:
    body = World.project_body("P2", "alice", title="Gelinmei park PV", region="CN-HB", city="Wuhan")
    return {**body, "location": "Caidian district", "approval_ref": "WH-2023-017", **change}


class TestRegisterProjectAccepted:
    def test_administrator_registers_a_project(self, world: World) -> None:
        event = world.accept("regulator", "register_project", project())
        row = world.row(schema.projects, id="P2")
        assert row is not None
        assert (
            row["program"],
            row["owner"],
            row["methodology"],
            row["region"],
            row["city"],
            row["location"],
            row["approval_ref"],
            row["registered_at"],
        ) == (
            PROGRAM,
            "alice",
            "pv:1",
            "CN-HB",
            "Wuhan",
            "Caidian district",
            "WH-2023-017",
            event.index,
        )

    def test_credits_can_be_issued_for_the_new_project(self, world: World) -> None:
        world.accept("regulator", "register_project", project())
        batch = world.issue(100, project="P2", to="alice")
        assert world.held("alice", batch) == 100


class TestRegisterProjectRejected:
    def test_registration_by_a_non_administrator_is_rejected(self, world: World) -> None:
        assert world.reject("alice", "register_project", project()) == "not_authorised"

    def test_unknown_program_is_rejected(self, world: World) -> None:
        assert world.reject("regulator", "register_project", project(program="NOPE")) == (
            "unknown_program"
        )

    def test_duplicate_project_is_rejected(self, world: World) -> None:
        assert world.reject("regulator", "register_project", project(id="P1")) == (
            "duplicate_project"
        )

    def test_unknown_owner_is_rejected(self, world: World) -> None:
        assert world.reject("regulator", "register_project", project(owner="nobody")) == (
            "unknown_participant"
        )

    def test_unknown_methodology_is_rejected(self, world: World) -> None:
        assert world.reject("regulator", "register_project", project(methodology="pv:2")) == (
            "unknown_methodology"
        )

    def test_methodology_of_another_program_is_rejected(self, world: World) -> None:
        world.add_program("CDCER", "alice", region="CN-SC")
        world.add_methodology("CDCER", "nev", region="CN-SC")
        assert world.reject("regulator", "register_project", project(methodology="nev:1")) == (
            "unknown_methodology"
        )

    def test_draft_methodology_is_rejected(self, world: World) -> None:
        world.add_methodology(PROGRAM, "wetland", status="draft")
        code = world.reject("regulator", "register_project", project(methodology="wetland:1"))
        assert code == "methodology_inactive"

    def test_every_malformed_project_is_invalid_input(self, world: World) -> None:
        malformed: dict[str, dict[str, Any]] = {
            "region-not-iso": {"region": "Hubei"},
            "id-with-space": {"id": "P 2"},
            "empty-title": {"title": ""},
            "unknown-field": {"capacity_kw": 500},
            "city-too-long": {"city": "x" * 501},
        }
        for mutation, change in malformed.items():
            code = world.reject("regulator", "register_project", project(**change))
            assert code == "invalid_input", mutation
