"""``carbonledger prove entry``: ✓ for every step on a good ledger, ✗ and exit status 1 for the
step an alteration breaks, JSON for scripts, and clear errors for what cannot be proved."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner, Result

from ledger.cli.main import app
from ledger.note import NoteSigner
from ledger.storage import schema
from node.anchor_chain import ChainSettings
from node.anchoring import anchor_latest
from tests.builders import World, build_world

ENTRY = 3


class ProveCli:
    def __init__(self, world: World, journal: Path) -> None:
        self.world = world
        self.env = {"CARBONLEDGER_DB": world.url, "CARBONLEDGER_CHAIN_STATE": str(journal)}

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(app, ["prove", "entry", *args], env=self.env)


@pytest.fixture
def cli(ledger_url: str, tmp_path: Path) -> Iterator[ProveCli]:
    """The world sealed, its checkpoint anchored on the in-process chain."""
    world = build_world(ledger_url)
    try:
        world.ledger.seal()
        journal = tmp_path / "chain.evm.jsonl"
        anchor_latest(world.url, ChainSettings(journal=journal))
        yield ProveCli(world, journal)
    finally:
        world.close()


class TestProveEntry:
    def test_a_good_entry_is_proved_step_by_step(self, cli: ProveCli) -> None:
        result = cli.run(str(ENTRY), "--log-vkey", cli.world.ledger.log_vkey)
        assert result.exit_code == 0, result.output
        for step in ("record", "checkpoint", "inclusion", "receipt", "chain_root"):
            assert f"✓ {step}" in result.stdout
        assert "✗" not in result.stdout
        assert "proved: every step checks out" in result.stdout
        assert "database's own log key" not in result.stdout

    def test_without_a_trusted_key_the_output_says_whose_key_was_used(self, cli: ProveCli) -> None:
        result = cli.run(str(ENTRY))
        assert result.exit_code == 0
        assert "checked against the database's own log key" in result.stdout

    def test_json_lists_every_step(self, cli: ProveCli) -> None:
        result = cli.run(str(ENTRY), "--json")
        assert result.exit_code == 0
        report = json.loads(result.stdout)
        assert report["ok"] is True and report["first_failure"] is None
        assert [s["name"] for s in report["steps"]] == [
            "record", "checkpoint", "inclusion", "receipt", "chain_root", "chain_inclusion"
        ]  # fmt: skip

    def test_an_altered_record_is_a_failure_named_at_its_step(self, cli: ProveCli) -> None:
        e = schema.entries
        with cli.world.ledger.engine.begin() as conn:
            record = conn.execute(e.select().where(e.c.idx == ENTRY)).one().record
            altered = bytes(record).replace(b'"time":1', b'"time":2', 1)
            conn.execute(update(e).where(e.c.idx == ENTRY).values(record=altered))
        result = cli.run(str(ENTRY))
        assert result.exit_code == 1
        assert "✗ inclusion" in result.stdout and "✓ checkpoint" in result.stdout
        assert "NOT proved: inclusion, chain_inclusion failed" in result.stdout
        report = json.loads(cli.run(str(ENTRY), "--json").stdout)
        assert (report["ok"], report["first_failure"]) == (False, "inclusion")

    def test_another_logs_key_fails_the_checkpoint(self, cli: ProveCli) -> None:
        other = NoteSigner.generate(cli.world.ledger.origin).verifier().vkey()
        result = cli.run(str(ENTRY), "--log-vkey", other)
        assert result.exit_code == 1
        assert "✗ checkpoint" in result.stdout

    def test_an_entry_not_anchored_yet_is_an_error(self, cli: ProveCli) -> None:
        cli.world.add_participant("late")
        result = cli.run(str(cli.world.ledger.size - 1))
        assert result.exit_code == 1
        assert "error: not_anchored_yet:" in result.stderr

    def test_a_malformed_witness_key_is_refused(self, cli: ProveCli) -> None:
        result = cli.run(str(ENTRY), "--witness-vkey", "not-a-key")
        assert result.exit_code == 1
        assert "error: invalid_input: witness key 'not-a-key'" in result.stderr
