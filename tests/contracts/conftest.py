"""Chains to test against: the in-process EVM always, a real anvil node when npm installed it.

``deployment`` is parametrised over both chains and gives every test its own freshly deployed
contract, owner, anchoring key and outsider. The in-process chain is fresh per test; one anvil
node serves the whole session (each test still deploys its own contract), except for the
restart tests, which start their own node with ``anvil_factory``.

anvil comes from ``npm ci`` (package ``@foundry-rs/anvil``). The anvil tests are skipped only
when ``node_modules/`` is absent; with ``node_modules/`` present, a missing binary fails them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from contracts.client import AnchorClient
from contracts.devnode import NODE_MODULES, AnvilNode, find_anvil, free_port

ORIGIN = "carbonledger.test/log"


@dataclass(frozen=True)
class Deployment:
    """A freshly deployed anchor contract and the three roles that use it."""

    chain: str
    owner: AnchorClient
    anchorer: AnchorClient
    outsider: AnchorClient
    origin: str


def anvil_binary() -> Path:
    """The anvil binary from node_modules; skips if npm never ran, fails if it is broken."""
    if not NODE_MODULES.is_dir():
        pytest.skip("node_modules/ absent: run `npm ci` to install anvil (@foundry-rs/anvil)")
    binary = find_anvil()
    if binary is None:
        pytest.fail(f"{NODE_MODULES} exists but holds no anvil binary: rerun `npm ci`")
    return binary


@pytest.fixture(scope="session")
def anvil_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    node = AnvilNode(anvil_binary(), free_port(), workdir=tmp_path_factory.mktemp("anvil"))
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def anvil_factory(tmp_path: Path) -> Iterator[Callable[[], AnvilNode]]:
    """Starts anvil nodes of this test's own, with their state in ``tmp_path``."""
    nodes: list[AnvilNode] = []

    def start() -> AnvilNode:
        node = AnvilNode(
            anvil_binary(), free_port(), state_path=tmp_path / "state.json", workdir=tmp_path
        )
        node.start()
        nodes.append(node)
        return node

    yield start
    for node in nodes:
        node.stop()


def _deploy_in_process() -> Deployment:
    owner = AnchorClient.connect_in_process()
    owner.deploy()
    accounts = owner.funded_accounts()
    anchorer = owner.with_sender(accounts[1])
    outsider = owner.with_sender(accounts[2])
    owner.register_log(ORIGIN, [anchorer.sender])
    return Deployment("in_process", owner, anchorer, outsider, ORIGIN)


def _deploy_anvil(node: AnvilNode) -> Deployment:
    owner = AnchorClient.connect_rpc(node.rpc_url, node.private_keys[0])
    owner.deploy()
    anchorer = owner.with_sender(private_key=node.private_keys[1])
    outsider = owner.with_sender(private_key=node.private_keys[2])
    owner.register_log(ORIGIN, [anchorer.sender])
    return Deployment("anvil", owner, anchorer, outsider, ORIGIN)


@pytest.fixture(params=["in_process", "anvil"])
def deployment(request: pytest.FixtureRequest) -> Deployment:
    """A new anchor contract with ``ORIGIN`` registered, on each chain in turn."""
    if request.param == "in_process":
        return _deploy_in_process()
    node: AnvilNode = request.getfixturevalue("anvil_session")
    return _deploy_anvil(node)
