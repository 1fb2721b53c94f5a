"""Which chain anchors a ledger: settings from options and the environment, and binding to the
ledger's contract (deployed once on the in-process chain, remembered per chain)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.devnode import AnvilNode, free_port
from contracts.errors import AnchorNotConfigured
from ledger.errors import InvalidInput
from ledger.storage.anchors import remembered_contract
from node.anchor_chain import (
    CHAIN_ENV,
    CONTRACT_ENV,
    KEY_ENV,
    STATE_ENV,
    ChainConnection,
    ChainSettings,
    anchor_contract,
)
from tests.builders import World
from tests.contracts.conftest import anvil_binary

SQLITE = "sqlite:////srv/ledger/ledger.db"
POSTGRES = "postgresql://db.example/ledger"


@pytest.fixture(autouse=True)
def no_chain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (CHAIN_ENV, STATE_ENV, KEY_ENV, CONTRACT_ENV):
        monkeypatch.delenv(name, raising=False)


class TestSettings:
    def test_the_default_is_the_in_process_chain_journaled_beside_a_sqlite_ledger(self) -> None:
        settings = ChainSettings.resolve(None, SQLITE)
        assert settings.in_process
        assert settings.journal == Path("/srv/ledger/ledger.db.evm.jsonl")

    def test_a_postgresql_ledger_must_name_the_in_process_journal(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with pytest.raises(AnchorNotConfigured) as caught:
            ChainSettings.resolve(None, POSTGRES)
        assert caught.value.code == "anchor_not_configured"
        monkeypatch.setenv(STATE_ENV, "/srv/chain.jsonl")
        assert ChainSettings.resolve(None, POSTGRES).journal == Path("/srv/chain.jsonl")

    def test_a_json_rpc_chain_takes_its_key_and_contract_from_the_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(CHAIN_ENV, "http://127.0.0.1:8545")
        monkeypatch.setenv(KEY_ENV, "0x" + "11" * 32)
        monkeypatch.setenv(CONTRACT_ENV, "0x" + "22" * 20)
        settings = ChainSettings.resolve(None, POSTGRES)
        assert (settings.chain, settings.private_key, settings.contract, settings.journal) == (
            "http://127.0.0.1:8545", "0x" + "11" * 32, "0x" + "22" * 20, None
        )  # fmt: skip
        assert "11" * 32 not in repr(settings)
        # An option given on the command line wins over the environment.
        assert ChainSettings.resolve(None, POSTGRES, contract="0x" + "33" * 20).contract == (
            "0x" + "33" * 20
        )

    @pytest.mark.parametrize(
        "settings",
        [
            ChainSettings(chain="ws://127.0.0.1:8546"),
            ChainSettings(private_key="0x" + "11" * 32),
            ChainSettings(contract="0x" + "22" * 20),
            ChainSettings(confirmations=-1),
            ChainSettings(timeout=0),
        ],
    )
    def test_settings_that_do_not_fit_together_are_refused(self, settings: ChainSettings) -> None:
        with pytest.raises(InvalidInput):
            settings.check()

    def test_a_json_rpc_chain_without_a_key_can_only_be_read(self) -> None:
        with pytest.raises(AnchorNotConfigured):
            ChainConnection.open(ChainSettings(chain="http://127.0.0.1:9"))


class TestTheContract:
    def test_the_in_process_chain_deploys_once_and_remembers_the_address(
        self, world: World, tmp_path: Path
    ) -> None:
        settings = ChainSettings(journal=tmp_path / "chain.evm.jsonl")
        engine, origin = world.ledger.engine, world.ledger.origin
        with ChainConnection.open(settings) as connection:
            first = anchor_contract(connection, settings, engine, origin)
            assert first.is_anchorer(origin, first.sender)
            chain_id, address, height = first.chain_id, first.address, first.w3.eth.block_number
        assert remembered_contract(engine, chain_id) == address
        with ChainConnection.open(settings) as connection:
            again = anchor_contract(connection, settings, engine, origin)
            assert again.address == address
            assert again.w3.eth.block_number == height  # nothing deployed or registered again

    def test_a_json_rpc_chain_needs_the_contract_or_deploys_one_when_asked(
        self, world: World, tmp_path: Path
    ) -> None:
        node = AnvilNode(anvil_binary(), free_port(), workdir=tmp_path)
        node.start()
        try:
            settings = ChainSettings(chain=node.rpc_url, private_key=node.private_keys[3])
            engine, origin = world.ledger.engine, world.ledger.origin
            with ChainConnection.open(settings) as connection:
                with pytest.raises(AnchorNotConfigured):
                    anchor_contract(connection, settings, engine, origin)
                deployed = anchor_contract(connection, settings, engine, origin, deploy=True)
                assert deployed.is_anchorer(origin, deployed.sender)
            # Remembered: the next connection finds it with no address given.
            with ChainConnection.open(settings) as connection:
                found = anchor_contract(connection, settings, engine, origin)
                assert found.address == deployed.address
            with ChainConnection.open(settings, read_only=True) as connection:
                assert connection.client.chain_id == deployed.chain_id
        finally:
            node.stop()
