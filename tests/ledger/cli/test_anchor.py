"""``carbonledger anchor``, ``anchors`` and ``anchorer`` on the embedded in-process chain."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from contracts.inprocess import InProcessChain
from ledger.cli.anchor import start_anchorer
from ledger.cli.main import app
from ledger.queries.anchors import latest_anchor
from ledger.storage.engine import make_engine
from node.anchor_chain import default_journal
from tests.builders import World, build_world


class AnchorCli:
    """Commands against the world's database, the chain journaled in the test's directory."""

    def __init__(self, world: World, directory: Path) -> None:
        self.world = world
        self.journal = directory / "chain.evm.jsonl"
        self.env = {"CARBONLEDGER_DB": world.url, "CARBONLEDGER_CHAIN_STATE": str(self.journal)}

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=self.env)

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def cli(ledger_url: str, tmp_path: Path) -> Iterator[AnchorCli]:
    world = build_world(ledger_url)
    try:
        yield AnchorCli(world, tmp_path)
    finally:
        world.close()


class TestAnchorNow:
    def test_the_newest_checkpoint_is_anchored_once_and_listed(self, cli: AnchorCli) -> None:
        cli.world.ledger.seal()
        size = cli.world.ledger.sealed_size
        first = cli.json("anchor")
        assert first["sent"] is True
        receipt = first["receipt"]
        assert (receipt["size"], receipt["status"]) == (size, "anchored")
        again = cli.json("anchor")
        assert again == {"receipt": receipt, "sent": False}
        assert cli.json("anchors") == [receipt]
        table = cli.run("anchors")
        assert table.exit_code == 0 and f"0x{receipt['tx_hash'][:16]}…" in table.stdout

    def test_a_split_view_is_recorded_and_exits_1_with_its_code(self, cli: AnchorCli) -> None:
        origin = cli.world.ledger.origin
        cli.json("anchor")  # deploys the contract on the in-process chain
        cli.world.add_participant("late")
        cli.world.ledger.seal()
        size = cli.world.ledger.sealed_size
        address = cli.json("anchors")[0]["contract"]
        with InProcessChain.open(cli.journal) as chain:
            owner, rogue = chain.client(1).at(address), chain.client(2).at(address)
            owner.add_anchorer(origin, rogue.sender)
            rogue.anchor(origin, size, b"\xee" * 32)
        result = cli.run("anchor")
        assert result.exit_code == 1
        assert "error: anchor_split_view: SPLIT VIEW" in result.stderr
        (evidence,) = cli.json("anchors", "--status", "split_view")
        assert (evidence["size"], evidence["chain_root"]) == (size, "ee" * 32)

    def test_a_chain_that_is_not_a_url_is_refused(self, cli: AnchorCli) -> None:
        result = cli.run("anchor", "--chain", "ftp://chain.example")
        assert result.exit_code == 1
        assert "error: invalid_input:" in result.stderr

    def test_a_json_rpc_chain_without_a_key_is_refused_before_connecting(
        self, cli: AnchorCli
    ) -> None:
        result = cli.run("anchor", "--chain", "http://127.0.0.1:9")
        assert result.exit_code == 1
        assert "error: anchor_not_configured:" in result.stderr
        assert latest_anchor(cli.world.ledger.engine) is None


class TestAnchorer:
    def test_the_loop_anchors_until_terminated(self, cli: AnchorCli) -> None:
        cli.world.ledger.seal()
        env = {**os.environ, **cli.env}
        process = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli.main", "anchorer", "--every-checkpoints", "1",
             "--poll-seconds", "0.05", "--json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            engine = make_engine(cli.world.url)
            deadline = time.monotonic() + 60
            while latest_anchor(engine) is None and time.monotonic() < deadline:
                time.sleep(0.1)
            engine.dispose()
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err.decode()
        report = json.loads(out.decode().splitlines()[0])
        assert report["kind"] == "anchored"
        assert report["receipt"]["size"] == cli.world.ledger.sealed_size


class TestJournalPlace:
    def test_a_sqlite_ledger_keeps_its_chain_beside_it(self) -> None:
        assert default_journal("sqlite:///var/demo/ledger.db") == Path(
            "var/demo/ledger.db.evm.jsonl"
        )
        assert default_journal("sqlite:///:memory:") is None
        assert default_journal("postgresql://db.example/ledger") is None


class TestBesideTheSequencer:
    def test_serve_anchor_runs_the_loop_configured_by_the_environment(
        self, cli: AnchorCli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name, value in {**cli.env, "CARBONLEDGER_ANCHOR_EVERY_CHECKPOINTS": "1"}.items():
            monkeypatch.setenv(name, value)
        lines: list[str] = []
        worker = start_anchorer(cli.world.url, lines.append)
        try:
            cli.world.ledger.seal()
            deadline = time.monotonic() + 30
            while latest_anchor(cli.world.ledger.engine) is None and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            worker.stop()
        size = cli.world.ledger.sealed_size
        assert lines[0] == "anchoring on in-process every 1 checkpoints or 600.0 s"
        assert any(line.startswith(f"anchorer: anchored size {size} in block") for line in lines)
