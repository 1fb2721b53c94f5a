"""set_methodology_status: draft, active and withdrawn, and what each allows."""

from __future__ import annotations

import pytest

from ledger.storage import schema
from tests.builders import METHODOLOGY, World


def status(value: str, methodology: str = METHODOLOGY) -> dict[str, str]:
    return {"methodology": methodology, "status": value}


def stored_status(world: World) -> str:
    row = world.row(schema.methodologies, id=METHODOLOGY)
    assert row is not None
    return str(row["status"])


class TestSetMethodologyStatusAccepted:
    def test_a_draft_methodology_blocks_issuance_until_active_again(self, world: World) -> None:
        world.accept("regulator", "set_methodology_status", status("draft"))
        assert stored_status(world) == "draft"
        assert world.reject("issuer", "issue", world.issue_body(100), ["verifier"]) == (
            "methodology_inactive"
        )
        world.accept("regulator", "set_methodology_status", status("active"))
        world.issue(100)

    def test_a_withdrawn_methodology_blocks_issuance_and_new_projects(self, world: World) -> None:
        world.accept("regulator", "set_methodology_status", status("withdrawn"))
        assert stored_status(world) == "withdrawn"
        assert world.reject("issuer", "issue", world.issue_body(100), ["verifier"]) == (
            "methodology_inactive"
        )
        assert world.reject("regulator", "register_project", World.project_body("P2", "alice")) == (
            "methodology_inactive"
        )

    def test_credits_already_issued_stay_usable_after_withdrawal(self, world: World) -> None:
        batch = world.issue(100)
        world.accept("regulator", "set_methodology_status", status("withdrawn"))
        world.accept(
            "owner",
            "transfer",
            {
                "from_account": "owner",
                "to_account": "alice",
                "lots": [{"batch": batch, "quantity": 40}],
            },
        )
        assert world.held("alice", batch) == 40


class TestSetMethodologyStatusRejected:
    def test_unknown_methodology_is_rejected(self, world: World) -> None:
        assert (
            world.reject("regulator", "set_methodology_status", status("draft", "pv:9"))
            == "unknown_methodology"
        )

    def test_change_by_a_non_administrator_is_rejected(self, world: World) -> None:
        assert world.reject("issuer", "set_methodology_status", status("draft")) == (
            "not_authorised"
        )

    @pytest.mark.parametrize("target", ["active", "draft", "withdrawn"])
    def test_a_withdrawn_methodology_stays_withdrawn(self, world: World, target: str) -> None:
        world.accept("regulator", "set_methodology_status", status("withdrawn"))
        assert world.reject("regulator", "set_methodology_status", status(target)) == (
            "methodology_withdrawn"
        )

    def test_unknown_status_is_invalid_input(self, world: World) -> None:
        assert world.reject("regulator", "set_methodology_status", status("suspended")) == (
            "invalid_input"
        )
