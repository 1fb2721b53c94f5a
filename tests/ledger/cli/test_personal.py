"""The platform commands: open accounts and record reductions in bulk from files, redeem,
commit balances, hand out and check a balance proof, reconcile a balance file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.cli.keyfile import save_identity, save_log_key
from tests.builders import DIGEST, World, build_world
from tests.ledger.cli.test_cli import Cli
from tests.ledger.personal.scene import NOW_MS, TODAY, digest, enable_recording


@pytest.fixture
def platform_cli(ledger_url: str, tmp_path: Path) -> Iterator[Cli]:
    world: World = build_world(ledger_url)
    enable_recording(world)
    world.add_participant("shop", ["holder"], kind="enterprise")
    world.close()
    for identity in world.ids.values():
        save_identity(identity, tmp_path / f"{identity.participant}.json")
    save_log_key(world.signer, tmp_path / "log.key")
    cli = Cli(ledger_url, tmp_path)
    (tmp_path / "ids.txt").write_text("p1\np2\np3\n")
    cli.write("open-accounts", "--as", cli.key("platform"), "--ids", cli.path("ids.txt"))
    yield cli


def rows_file(cli: Cli, name: str, rows: list[tuple[str, int, int]]) -> str:
    lines = ["account,scenario,methodology,grams,time_ms,evidence_digest"]
    lines += [f"{a},metro_ride,pv:1,{g},{NOW_MS},{digest(n)}" for a, g, n in rows]
    path = Path(cli.path(name))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def record(cli: Cli, path: str, *extra: str) -> Any:
    return cli.run(
        "record-reductions", "--as", cli.key("platform"), "--cosign", cli.key("verifier"),
        "--project", "PX", "--period-start", TODAY, "--period-end", TODAY,
        "--verified-on", TODAY, "--report-digest", DIGEST, "--rows", path,
        "--log-key", cli.path("log.key"), "--json", *extra,
    )  # fmt: skip


class TestRecording:
    def test_a_rows_file_is_split_into_entries_of_one_batch_each(self, platform_cli: Cli) -> None:
        path = rows_file(platform_cli, "r.csv", [("p1", 100, 1), ("p2", 50, 2), ("p1", 7, 3)])
        result = record(platform_cli, path, "--per-entry", "2")
        assert result.exit_code == 0, result.output
        outcomes = json.loads(result.stdout)
        assert [o["data"]["quantity"] for o in outcomes] == [150, 7]
        assert platform_cli.json("custody", "platform")["custody"]["held"] == 157

    def test_a_bad_row_is_reported_with_its_number(self, platform_cli: Cli) -> None:
        path = rows_file(platform_cli, "r.csv", [("p1", 100, 1), ("ghost", 5, 2)])
        result = record(platform_cli, path)
        assert result.exit_code == 1
        (outcome,) = json.loads(result.stdout)
        assert outcome["error"]["code"] == "rows_rejected"
        assert outcome["error"]["rows"][0]["row"] == 1


class TestUsing:
    def test_redeem_for_points_shows_points_apart(self, platform_cli: Cli) -> None:
        record(platform_cli, rows_file(platform_cli, "r.csv", [("p1", 500, 1)]))
        made = platform_cli.write(
            "redeem", "--as", platform_cli.key("platform"), "--cosign", platform_cli.key("shop"),
            "--account", "p1", "--to", "shop", "--lot", f"PHCER-{TODAY[:4]}-000001=200g",
            "--points-per-tonne", "100000",
        )  # fmt: skip
        assert made["data"]["points"] == 20
        assert platform_cli.json("points", "p1") == [{"issuer": "shop", "points": 20}]


class TestBalances:
    def test_commit_then_prove_then_verify_offline(self, platform_cli: Cli) -> None:
        cli = platform_cli
        record(cli, rows_file(cli, "r.csv", [("p1", 100, 1), ("p2", 50, 2)]))
        made = cli.write("commit-balances", "--as", cli.key("platform"))
        assert made["data"]["total"] == 150
        proof = cli.path("proof.json")
        cli.ok("balance-proof", "p2", "--out", proof)
        vkey = cli.json("info")["log_vkey"]
        checked = cli.json("verify-balance-proof", proof, "--log-key", vkey)
        assert (checked["verified"], checked["balance"], checked["total"]) == (True, 50, 150)
        document = json.loads(Path(proof).read_text())
        document["balance"] = 51
        Path(proof).write_text(json.dumps(document))
        cli.fails("verify-balance-proof", proof, "--log-key", vkey, code="root_mismatch")

    def test_reconcile_writes_every_difference(self, platform_cli: Cli) -> None:
        cli = platform_cli
        record(cli, rows_file(cli, "r.csv", [("p1", 100, 1), ("p2", 50, 2)]))
        Path(cli.path("b.csv")).write_text("account,grams\np1,100\np2,40\nzz,1\n")
        summary = cli.json(
            "reconcile",
            "--platform",
            "platform",
            "--file",
            cli.path("b.csv"),
            "--report",
            cli.path("diff.csv"),
        )
        assert summary["differences"] == {
            "missing_account": 1,
            "extra_account": 1,
            "amount_differs": 1,
            "duplicate_account": 0,
        }
        report = Path(cli.path("diff.csv")).read_text().splitlines()
        assert report[1:] == [
            "amount_differs,p2,50,40,-10,3",
            "missing_account,p3,0,,0,",
            "extra_account,zz,,1,1,4",
        ]
