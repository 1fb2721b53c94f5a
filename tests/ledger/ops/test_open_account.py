"""open_account: a platform opens a pseudonymous personal account that it keeps in custody."""

from __future__ import annotations

from ledger.storage import schema
from tests.builders import World, lots


class TestOpenAccountAccepted:
    def test_platform_opens_a_personal_account_in_its_custody(self, world: World) -> None:
        event = world.accept("platform", "open_account", {"id": "wx-7f3a"})
        assert event.data == {"account": "wx-7f3a", "custodian": "platform"}
        row = world.row(schema.accounts, id="wx-7f3a")
        assert row is not None
        assert (row["holder"], row["custodian"], row["kind"], row["opened_at"]) == (
            None,
            "platform",
            "personal",
            event.index,
        )

    def test_the_custodian_moves_credits_of_the_personal_account(self, world: World) -> None:
        world.open_account("wx-7f3a")
        batch = world.issue(500, to="wx-7f3a")
        world.accept(
            "platform",
            "transfer",
            {"from_account": "wx-7f3a", "to_account": "alice", "lots": lots(batch, 200)},
        )
        assert (world.held("wx-7f3a", batch), world.held("alice", batch)) == (300, 200)

    def test_nobody_else_moves_credits_of_the_personal_account(self, world: World) -> None:
        world.open_account("wx-7f3a")
        batch = world.issue(500, to="wx-7f3a")
        move = {"from_account": "wx-7f3a", "to_account": "alice", "lots": lots(batch, 1)}
        assert world.reject("alice", "transfer", move) == "not_authorised"
        assert world.reject("operator", "transfer", move) == "not_authorised"


class TestOpenAccountRejected:
    def test_opening_by_a_non_platform_is_rejected(self, world: World) -> None:
        assert world.reject("bank", "open_account", {"id": "wx-7f3a"}) == "not_authorised"

    def test_duplicate_account_is_rejected(self, world: World) -> None:
        world.open_account("wx-7f3a")
        assert world.reject("platform", "open_account", {"id": "wx-7f3a"}) == "duplicate_account"

    def test_account_named_like_a_participant_is_rejected(self, world: World) -> None:
        assert world.reject("platform", "open_account", {"id": "alice"}) == "duplicate_account"

    def test_every_malformed_account_is_invalid_input(self, world: World) -> None:
        malformed: dict[str, dict[str, str]] = {
            "non-ascii": {"id": "张三"},
            "space": {"id": "wx 7f3a"},
            "empty": {"id": ""},
            "too-long": {"id": "a" * 129},
            "unknown-field": {"id": "wx-1", "phone": "13800000000"},
            "missing-id": {},
        }
        for mutation, body in malformed.items():
            code = world.reject("platform", "open_account", body)
            assert code == "invalid_input", mutation
