"""set_program_role: a program's administrator accredits issuers and verifiers."""

from __future__ import annotations

from typing import Any

from ledger.storage import schema
from tests.builders import PROGRAM, World


def role(participant: str = "alice", role: str = "issuer", **extra: Any) -> dict[str, Any]:
    return {"program": PROGRAM, "participant": participant, "role": role, **extra}


class TestSetProgramRoleAccepted:
    def test_granted_issuer_can_issue(self, world: World) -> None:
        event = world.accept("regulator", "set_program_role", role())
        assert event.data["roles"] == ["issuer"]
        row = world.row(schema.program_roles, program=PROGRAM, participant="alice")
        assert row is not None and row["roles"] == "issuer"
        world.issue(100, issuer="alice")

    def test_roles_accumulate(self, world: World) -> None:
        world.accept("regulator", "set_program_role", role())
        event = world.accept("regulator", "set_program_role", role(role="verifier"))
        assert event.data["roles"] == ["issuer", "verifier"]
        row = world.row(schema.program_roles, program=PROGRAM, participant="alice")
        assert row is not None and row["roles"] == "issuer verifier"

    def test_withdrawn_issuer_can_no_longer_issue(self, world: World) -> None:
        world.issue(100)
        world.accept("regulator", "set_program_role", role("issuer", granted=False))
        assert world.reject("issuer", "issue", world.issue_body(100), ["verifier"]) == (
            "not_authorised"
        )

    def test_withdrawn_verifier_can_no_longer_attest(self, world: World) -> None:
        world.accept("regulator", "set_program_role", role("verifier", "verifier", granted=False))
        assert world.reject("issuer", "issue", world.issue_body(100), ["verifier"]) == (
            "not_authorised"
        )


class TestSetProgramRoleRejected:
    def test_grant_by_someone_other_than_the_administrator_is_rejected(self, world: World) -> None:
        assert world.reject("operator", "set_program_role", role()) == "not_authorised"
        assert world.reject("alice", "set_program_role", role()) == "not_authorised"

    def test_unknown_program_is_rejected(self, world: World) -> None:
        code = world.reject("regulator", "set_program_role", {**role(), "program": "NOPE"})
        assert code == "unknown_program"

    def test_unknown_participant_is_rejected(self, world: World) -> None:
        assert world.reject("regulator", "set_program_role", role("nobody")) == (
            "unknown_participant"
        )

    def test_every_malformed_grant_is_invalid_input(self, world: World) -> None:
        malformed: dict[str, dict[str, Any]] = {
            "role-not-a-program-role": {"role": "bank"},
            "granted-string": {"granted": "yes"},
            "granted-integer": {"granted": 1},
            "unknown-field": {"until": "2030-01-01"},
        }
        for mutation, change in malformed.items():
            code = world.reject("regulator", "set_program_role", {**role(), **change})
            assert code == "invalid_input", mutation
