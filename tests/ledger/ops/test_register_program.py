"""register_program: the registrar registers a credit type and names its administrator."""

from __future__ import annotations

from typing import Any

from ledger.storage import schema
from tests.builders import World


def program(code: str = "CDCER", administrator: str = "regulator") -> dict[str, Any]:
    return {
        "code": code,
        "name": "Tianfu Carbon Credits",
        "region": "CN-SC",
        "administrator": administrator,
    }


MALFORMED: dict[str, dict[str, Any]] = {
    "lowercase-code": {"code": "cdcer"},
    "one-letter-code": {"code": "C"},
    "code-with-dash": {"code": "CDCER-2024"},
    "code-too-long": {"code": "A" * 17},
    "region-not-iso": {"region": "Sichuan"},
    "region-lowercase": {"region": "cn-sc"},
    "empty-name": {"name": ""},
    "unknown-field": {"fee": 1},
}


class TestRegisterProgramAccepted:
    def test_registrar_registers_a_program(self, world: World) -> None:
        event = world.accept("operator", "register_program", program())
        row = world.row(schema.programs, code="CDCER")
        assert row is not None
        assert (row["name"], row["region"], row["administrator"]) == (
            "Tianfu Carbon Credits",
            "CN-SC",
            "regulator",
        )
        assert (row["registered_at"], row["next_serial"], row["batch_count"]) == (event.index, 0, 0)

    def test_each_program_allocates_serials_from_zero(self, world: World) -> None:
        world.issue(500)
        world.accept("operator", "register_program", program(administrator="alice"))
        world.administrators["CDCER"] = "alice"
        world.grant("CDCER", "issuer", "issuer")
        world.grant("CDCER", "verifier", "verifier")
        world.add_methodology("CDCER", "nev", region="CN-SC")
        world.add_project("P-CD", "bob", program="CDCER", methodology="nev:1", region="CN-SC")
        batch = world.issue(300, project="P-CD", to="bob")
        assert batch == "CDCER-2001-000001"
        assert world.holdings(batch) == [(0, 300, "bob", "held", None)]


class TestRegisterProgramRejected:
    def test_registration_by_a_non_registrar_is_rejected(self, world: World) -> None:
        assert world.reject("regulator", "register_program", program()) == "not_authorised"

    def test_duplicate_program_is_rejected(self, world: World) -> None:
        assert world.reject("operator", "register_program", program("PHCER")) == (
            "duplicate_program"
        )

    def test_unknown_administrator_is_rejected(self, world: World) -> None:
        code = world.reject("operator", "register_program", program(administrator="nobody"))
        assert code == "unknown_participant"

    def test_every_malformed_program_is_invalid_input(self, world: World) -> None:
        for mutation, change in MALFORMED.items():
            code = world.reject("operator", "register_program", {**program(), **change})
            assert code == "invalid_input", mutation
