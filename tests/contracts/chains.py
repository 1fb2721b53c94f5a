"""Chains for the anchorer's and the end-to-end proof's tests: in-process or a real anvil node.

``TestChain`` gives a ledger an anchor contract with its log registered and says how the
anchorer reaches it (``settings``). On the in-process chain the anchorer's connection deploys
the contract (the development key 1 is owner and anchoring key, as in production use of the
embedded default); on anvil the owner is key 0 and the anchoring key key 1, as on a public
chain. ``clients`` opens the chain for the test itself (the owner, a second anchoring key), and
``mark``/``rewind`` take the chain back in time, as a reorganisation would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from web3.types import RPCEndpoint

from contracts.client import AnchorClient
from contracts.devnode import AnvilNode
from contracts.inprocess import InProcessChain
from node.anchor_chain import ChainConnection, ChainSettings, anchor_contract

CHAINS = ["in_process", "anvil"]


@dataclass
class Clients:
    """The chain opened by the test: the contract's owner and a second anchoring key."""

    owner: AnchorClient
    anchorer_address: str
    rogue: AnchorClient
    """An account the owner may register as a second anchoring key (a compromised one)."""


class TestChain:
    """An anchor contract for one ledger, on one chain."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, kind: str, settings: ChainSettings, node: AnvilNode | None) -> None:
        self.kind = kind
        self.settings = settings
        self.node = node
        self.address = ""

    @classmethod
    def in_process(cls, directory: Path) -> TestChain:
        return cls("in_process", ChainSettings(journal=directory / "chain.evm.jsonl"), None)

    @classmethod
    def anvil(cls, node: AnvilNode, *, timeout: float = 10.0) -> TestChain:
        settings = ChainSettings(
            chain=node.rpc_url, private_key=node.private_keys[1], timeout=timeout
        )
        return cls("anvil", settings, node)

    def deploy(self, engine: Engine, origin: str) -> str:
        """Deploy the contract with ``origin`` registered; remember it for the anchorer."""
        if self.node is None:
            with ChainConnection.open(self.settings) as connection:
                client = anchor_contract(connection, self.settings, engine, origin)
                self.address = client.address
            return self.address
        owner = AnchorClient.connect_rpc(self.node.rpc_url, self.node.private_keys[0])
        owner.deploy()
        owner.register_log(origin, [AnchorClient.connect_rpc(
            self.node.rpc_url, self.node.private_keys[1]).sender])  # fmt: skip
        self.address = owner.address
        self.settings = ChainSettings(
            chain=self.settings.chain,
            private_key=self.settings.private_key,
            contract=self.address,
            timeout=self.settings.timeout,
        )
        return self.address

    @contextmanager
    def clients(self) -> Iterator[Clients]:
        """The chain, opened for the test (the anchorer must not hold the in-process one)."""
        if self.node is None:
            with InProcessChain.open(self.settings.journal) as chain:
                owner = chain.client(1).at(self.address)
                yield Clients(owner, owner.sender, chain.client(2).at(self.address))
            return
        keys = self.node.private_keys
        owner = AnchorClient.connect_rpc(self.node.rpc_url, keys[0]).at(self.address)
        anchorer = owner.with_sender(private_key=keys[1])
        yield Clients(owner, anchorer.sender, owner.with_sender(private_key=keys[2]))

    def mark(self) -> object:
        """A point in the chain's history to ``rewind`` to."""
        if self.node is None:
            assert self.settings.journal is not None
            return self.settings.journal.read_bytes()
        with self.clients() as clients:
            return clients.owner.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]

    def rewind(self, mark: object) -> None:
        """Drop every block mined since ``mark``: a reorganisation (a rewritten journal)."""
        if self.node is None:
            assert self.settings.journal is not None and isinstance(mark, bytes)
            self.settings.journal.write_bytes(mark)
            return
        with self.clients() as clients:
            reply = clients.owner.w3.provider.make_request(RPCEndpoint("evm_revert"), [mark])
            assert reply["result"] is True
