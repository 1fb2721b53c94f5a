"""Reconciliation: a platform's balance file against the ledger, every difference found.

The large case plants each kind of difference among 200,000 lines and sorts the file in small
runs, so the external sort spills and merges; the others check the sources of the ledger's
side (the current state, a past balance commitment) and the refusals."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from ledger.errors import LedgerError
from ledger.personal.commitments import build_tree
from ledger.personal.reconcile import Summary, reconcile
from tests.builders import World
from tests.ledger.personal.scene import PLATFORM, enable_recording, open_accounts, record, row

ACCOUNTS = 200_000
RECORDED = 10_000


def run(world: World, path: Path, **options: int) -> tuple[Summary, list[list[str]]]:
    out = io.StringIO()
    summary = reconcile(world.ledger.engine, PLATFORM, path, out, **options)  # type: ignore[arg-type]
    return summary, list(csv.reader(io.StringIO(out.getvalue())))[1:]


class TestLargeFile:
    def test_every_planted_difference_is_found_among_200k_lines(
        self, world: World, tmp_path: Path
    ) -> None:
        enable_recording(world)
        ids = [f"u{i:06d}" for i in range(ACCOUNTS)]
        open_accounts(world, ids)
        rng = random.Random(42)
        held: dict[str, int] = {}
        rows = []
        for n in range(RECORDED):
            account, grams = ids[rng.randrange(ACCOUNTS)], rng.randrange(1, 900)
            held[account] = held.get(account, 0) + grams
            rows.append(row(account, grams, n))
        for start in range(0, RECORDED, 5000):
            record(world, rows[start : start + 5000])

        balances = {a: held.get(a, 0) for a in ids}
        missing = ["u000007", "u123456", "u199999"]
        extra = ["stranger-1", "u999999", "a0"]
        differs = {"u000100": 1, "u054321": 5_000, "u150000": 77}
        duplicated = ["u000200", "u100000"]
        lines = [(a, differs.get(a, balances[a])) for a in ids if a not in missing]
        lines += [(a, 9) for a in extra]
        rng.shuffle(lines)
        lines += [(a, 1) for a in duplicated]  # after the first line, which is compared
        path = tmp_path / "balances.csv"
        path.write_text("account,grams\n" + "".join(f"{a},{g}\n" for a, g in lines))

        summary, report = run(world, path, chunk=50_000)

        assert summary.differences == {
            "missing_account": 3,
            "extra_account": 3,
            "amount_differs": 3,
            "duplicate_account": 2,
        }
        found = {(r[0], r[1]) for r in report}
        assert found == (
            {("missing_account", a) for a in missing}
            | {("extra_account", a) for a in extra}
            | {("amount_differs", a) for a in differs}
            | {("duplicate_account", a) for a in duplicated}
        )
        for kind, account, mine, theirs, difference, _line in report:
            if kind == "amount_differs":
                assert (int(mine), int(theirs), int(difference)) == (
                    balances[account],
                    differs[account],
                    differs[account] - balances[account],
                )
            if kind == "missing_account":
                assert int(mine) == balances[account]
        assert summary.ledger_accounts == ACCOUNTS
        assert summary.ledger_total == sum(held.values())
        assert summary.file_rows == len(lines)
        assert summary.matched == ACCOUNTS - 3 - 3
        expected_file_total = sum(g for a, g in lines) - len(duplicated)  # repeats not counted
        assert summary.file_total == expected_file_total
        assert not summary.consistent


@pytest.fixture
def scene(world: World) -> World:
    enable_recording(world)
    open_accounts(world, ["p1", "p2", "p3"])
    record(world, [row("p1", 600, 1), row("p2", 400, 2)])
    return world


class TestSources:
    def test_a_file_that_agrees_has_no_difference(self, scene: World, tmp_path: Path) -> None:
        path = tmp_path / "b.jsonl"
        path.write_text(
            "".join(
                f'{{"account": "{a}", "grams": {g}}}\n'
                for a, g in (("p3", 0), ("p1", 600), ("p2", 400))
            )
        )
        summary, report = run(scene, path)
        assert (summary.consistent, report, summary.source) == (True, [], "state")
        assert (summary.ledger_total, summary.file_total, summary.size) == (
            1000,
            1000,
            scene.ledger.size,
        )

    def test_a_past_commitment_is_reconciled_as_it_was(self, scene: World, tmp_path: Path) -> None:
        tree = build_tree(scene.ledger.engine, PLATFORM)
        scene.accept(
            PLATFORM,
            "commit_balances",
            {
                "root": tree.root.hex(),
                "total": tree.total,
                "leaves": tree.leaves,
                "as_of": tree.size,
            },
        )
        record(scene, [row("p3", 50, 3)])  # after the commitment
        path = tmp_path / "b.csv"
        path.write_text("p1,600\np2,400\np3,0\n")
        summary, report = run(scene, path, size=tree.size)
        assert (summary.source, summary.consistent) == ("commitment", True)
        _, report = run(scene, path)
        assert report == [["amount_differs", "p3", "50", "0", "-50", "3"]]

    def test_a_size_with_no_balances_is_refused(self, scene: World, tmp_path: Path) -> None:
        path = tmp_path / "b.csv"
        path.write_text("p1,600\n")
        with pytest.raises(LedgerError) as caught:
            run(scene, path, size=3)
        assert caught.value.code == "no_balances_at_size"

    def test_other_platforms_accounts_are_extra(self, scene: World, tmp_path: Path) -> None:
        scene.add_participant("other", ["platform"], kind="platform")
        scene.open_account("q1", "other")
        path = tmp_path / "b.csv"
        path.write_text("p1,600\np2,400\np3,0\nq1,0\n")
        _, report = run(scene, path)
        assert report == [["extra_account", "q1", "", "0", "0", "4"]]
