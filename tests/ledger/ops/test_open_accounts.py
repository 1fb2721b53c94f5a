"""open_accounts: a platform opens thousands of pseudonymous personal accounts in one entry,
all of them or none."""

from __future__ import annotations

from ledger.storage import schema
from tests.builders import World
from tests.ledger.personal.scene import PLATFORM


class TestOpenAccounts:
    def test_every_account_is_opened_in_the_platforms_custody(self, world: World) -> None:
        event = world.accept(PLATFORM, "open_accounts", {"ids": ["a1", "a2", "a3"]})
        assert event.data == {"accounts": 3, "custodian": PLATFORM}
        stored = world.rows(schema.accounts, custodian=PLATFORM)
        assert [(r["id"], r["kind"], r["holder"]) for r in stored] == [
            ("a1", "personal", None),
            ("a2", "personal", None),
            ("a3", "personal", None),
        ]
        assert world.row(schema.custody_totals, platform=PLATFORM) == {
            "platform": PLATFORM,
            "accounts": 3,
            "held": 0,
        }

    def test_existing_and_repeated_ids_refuse_the_entry_with_their_rows(self, world: World) -> None:
        world.open_account("a1")
        error = world.reject_raw(
            world.sign(PLATFORM, "open_accounts", {"ids": ["a0", "a1", "a2", "a2", "alice"]})
        )
        assert error.code == "rows_rejected"
        assert [(r["row"], r["code"]) for r in error.details["rows"]] == [
            (1, "duplicate_account"),
            (3, "duplicate_account"),
            (4, "duplicate_account"),
        ]

    def test_only_a_platform_opens_personal_accounts(self, world: World) -> None:
        assert world.reject("alice", "open_accounts", {"ids": ["a1"]}) == "not_authorised"

    def test_an_identifier_that_is_not_pseudonymous_in_form_is_refused(self, world: World) -> None:
        assert world.reject(PLATFORM, "open_accounts", {"ids": ["Zhang San"]}) == "invalid_input"
