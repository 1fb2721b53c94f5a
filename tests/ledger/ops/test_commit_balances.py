"""commit_balances: a platform's signed sum-tree root, accepted only at the log size its
balances are as of and only if its total and account count are what the ledger holds."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.storage import schema
from tests.builders import DIGEST, World
from tests.ledger.personal.scene import PLATFORM, enable_recording, open_accounts, record, row


@pytest.fixture
def scene(world: World) -> World:
    enable_recording(world)
    open_accounts(world, ["p1", "p2", "p3"])
    record(world, [row("p1", 600, 1), row("p2", 400, 2)])
    return world


def body(world: World, total: int = 1000, leaves: int = 3, **extra: Any) -> dict[str, Any]:
    return {"root": DIGEST, "total": total, "leaves": leaves, "as_of": world.ledger.size, **extra}


class TestCommitBalances:
    def test_the_platforms_totals_are_committed_at_their_log_size(self, scene: World) -> None:
        event = scene.accept(PLATFORM, "commit_balances", body(scene))
        assert event.data == {"platform": PLATFORM, "root": DIGEST, "total": 1000, "leaves": 3}
        stored = scene.row(schema.balance_commitments, idx=event.index)
        assert stored is not None
        assert (stored["platform"], stored["root"], stored["total"], stored["leaves"]) == (
            PLATFORM,
            bytes.fromhex(DIGEST),
            1000,
            3,
        )

    @pytest.mark.parametrize(("total", "leaves"), [(999, 3), (1001, 3), (1000, 2), (1000, 4)])
    def test_a_total_or_count_other_than_the_ledgers_is_refused(
        self, scene: World, total: int, leaves: int
    ) -> None:
        error = scene.reject_raw(
            scene.sign(PLATFORM, "commit_balances", body(scene, total, leaves))
        )
        assert error.code == "balance_total_mismatch"
        assert (error.details["ledger_total"], error.details["ledger_accounts"]) == (1000, 3)

    def test_balances_as_of_another_size_are_stale(self, scene: World) -> None:
        stale = body(scene, as_of=scene.ledger.size - 1)
        assert scene.reject(PLATFORM, "commit_balances", stale) == "stale_commitment"

    def test_only_a_platform_commits(self, scene: World) -> None:
        assert scene.reject("alice", "commit_balances", body(scene)) == "not_authorised"
