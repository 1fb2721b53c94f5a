"""The anchorer: when it anchors, what it refuses, split views, and outages of the chain.

Every test runs on the in-process chain and on a real anvil node (each test deploys its own
contract), with the ledger on SQLite or PostgreSQL (``CARBONLEDGER_TEST_DB``). The ledger keeps
sequencing in the test's thread through its own ``Ledger`` while the anchorer reads and writes
through an engine of its own, as beside a running sequencer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from contracts.devnode import AnvilNode, free_port
from contracts.inprocess import InProcessChain
from ledger.queries.anchors import (
    ANCHORED,
    ORPHANED,
    SPLIT_VIEW,
    AnchorView,
    anchors,
    latest_anchor,
)
from ledger.storage import schema
from node.anchorer import FAILED, IDLE, Anchorer, AnchorPolicy, RoundReport
from node.backoff import BackoffPolicy
from tests.builders import World
from tests.contracts.chains import CHAINS, Clients, TestChain
from tests.contracts.conftest import anvil_binary

FAKE_ROOT = bytes.fromhex("ee" * 32)


class Clock:
    """The anchorer's clock, moved by hand; starts at the real time (checkpoints carry it)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def anvil_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    node = AnvilNode(anvil_binary(), free_port(), workdir=tmp_path_factory.mktemp("anvil"))
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(params=CHAINS)
def chain(request: pytest.FixtureRequest, world: World, tmp_path: Path) -> TestChain:
    """A contract with the world's log registered, on each chain in turn."""
    if request.param == "in_process":
        made = TestChain.in_process(tmp_path)
    else:
        made = TestChain.anvil(request.getfixturevalue("anvil_node"))
    made.deploy(world.ledger.engine, world.ledger.origin)
    return made


def seal(world: World, count: int = 1) -> int:
    """Accept one entry and seal a checkpoint, ``count`` times; the sealed size."""
    for _ in range(count):
        world.add_participant(f"p{world.ledger.size}")
        assert world.ledger.seal() is not None
    return world.ledger.sealed_size


def signed_roots(world: World) -> dict[int, bytes]:
    """Every checkpoint the ledger signed: size to root."""
    c = schema.checkpoints
    with world.ledger.engine.connect() as conn:
        return {int(size): bytes(root) for size, root in conn.execute(select(c.c.size, c.c.root))}


def latest_anchored(world: World) -> int:
    found = latest_anchor(world.ledger.engine)
    return 0 if found is None else found.size


class Harness:
    """An anchorer over the world's ledger, with what it reported and alarmed."""

    def __init__(self, world: World, chain: TestChain, policy: AnchorPolicy) -> None:
        self.world = world
        self.chain = chain
        self.clock = Clock()
        self.reports: list[RoundReport] = []
        self.alarms: list[AnchorView] = []
        self.anchorer = Anchorer(
            world.url,
            chain.settings,
            policy,
            on_report=self.reports.append,
            on_alarm=self.alarms.append,
            clock=self.clock,
            jitter=lambda: 1.0,
        )

    def seal(self, count: int = 1) -> int:
        return seal(self.world, count)

    def receipts(self) -> list[AnchorView]:
        return anchors(self.world.ledger.engine, limit=1000)

    def signed_roots(self) -> dict[int, bytes]:
        return signed_roots(self.world)

    @contextmanager
    def clients(self) -> Iterator[Clients]:
        """The chain opened by the test, the anchorer's connection dropped first."""
        self.anchorer.disconnect()
        with self.chain.clients() as clients:
            yield clients

    def close(self) -> None:
        self.anchorer.close()


@pytest.fixture
def harness_factory(world: World, chain: TestChain) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(**policy: object) -> Harness:
        settings = {"every_checkpoints": 1000, "every_seconds": 3600.0, "poll_seconds": 0.02,
                    "backoff": BackoffPolicy(0.05, 0.4), **policy}  # fmt: skip
        harness = Harness(world, chain, AnchorPolicy(**settings))  # type: ignore[arg-type]
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s")
        time.sleep(0.05)


class TestWhenToAnchor:
    def test_every_k_checkpoints_the_newest_is_anchored(
        self, harness_factory: Callable[..., Harness]
    ) -> None:
        h = harness_factory(every_checkpoints=3)
        # The genesis checkpoint is one; two more make three.
        assert h.anchorer.step().kind == IDLE
        h.seal()
        assert h.anchorer.step().kind == IDLE
        third = h.seal()
        report = h.anchorer.step()
        assert report.kind == ANCHORED and report.receipt is not None
        assert report.receipt.size == third
        h.seal(2)
        assert h.anchorer.step().kind == IDLE
        sixth = h.seal()
        assert h.anchorer.step().kind == ANCHORED
        assert [r.size for r in h.receipts()] == [sixth, third]
        roots = h.signed_roots()
        with h.clients() as clients:
            for receipt in h.receipts():
                onchain = clients.owner.checkpoint_at(h.world.ledger.origin, receipt.size)
                assert onchain is not None and onchain.root == roots[receipt.size]
                assert onchain.block_number == receipt.block_number
                assert onchain.timestamp == receipt.block_time

    def test_after_t_seconds_a_lone_checkpoint_is_anchored(
        self, harness_factory: Callable[..., Harness]
    ) -> None:
        h = harness_factory(every_checkpoints=100, every_seconds=60)
        first = h.seal()
        assert h.anchorer.step().kind == IDLE  # younger than a minute
        h.clock.advance(61)
        report = h.anchorer.step()
        assert report.kind == ANCHORED and report.receipt is not None
        assert report.receipt.size == first
        second = h.seal()
        h.clock.now = time.time()
        assert h.anchorer.step().kind == IDLE
        h.clock.advance(60)
        report = h.anchorer.step()
        assert report.receipt is not None and report.receipt.size == second

    def test_nothing_new_sends_nothing(self, harness_factory: Callable[..., Harness]) -> None:
        h = harness_factory(every_checkpoints=1)
        h.seal()
        assert h.anchorer.step().kind == ANCHORED
        with h.clients() as clients:
            before = clients.owner.log_info(h.world.ledger.origin)
        for _ in range(3):
            assert h.anchorer.step().kind == IDLE
        with h.clients() as clients:
            assert clients.owner.log_info(h.world.ledger.origin) == before
        assert len(h.receipts()) == 1


class TestRefusals:
    def test_an_anchoring_key_the_log_does_not_list_is_refused_and_nothing_is_recorded(
        self, harness_factory: Callable[..., Harness], chain: TestChain
    ) -> None:
        h = harness_factory(every_checkpoints=1)
        origin = h.world.ledger.origin
        with h.clients() as clients:
            clients.owner.remove_anchorer(origin, clients.anchorer_address)
        size = h.seal()
        report = h.anchorer.step()
        assert report.kind == FAILED and report.error is not None
        assert report.error.code == "anchor_unauthorized"
        assert report.retry_in == pytest.approx(0.05)
        assert h.receipts() == []
        with h.clients() as clients:
            assert clients.owner.latest(origin) is None
            clients.owner.add_anchorer(origin, clients.anchorer_address)
        report = h.anchorer.step()
        assert report.kind == ANCHORED and report.receipt is not None
        assert report.receipt.size == size

    def test_a_conflicting_root_is_kept_as_evidence_and_raises_the_alarm(
        self, harness_factory: Callable[..., Harness], chain: TestChain
    ) -> None:
        h = harness_factory(every_checkpoints=1)
        origin = h.world.ledger.origin
        size = h.seal()
        # A second anchoring key (stolen, or a forked sequencer's) anchors another root first.
        with h.clients() as clients:
            clients.owner.add_anchorer(origin, clients.rogue.sender)
            assert clients.rogue.anchor(origin, size, FAKE_ROOT).status == ANCHORED
        report = h.anchorer.step()
        assert report.kind == SPLIT_VIEW and report.receipt is not None
        evidence = report.receipt
        assert h.alarms == [evidence]
        assert (evidence.size, evidence.root) == (size, h.signed_roots()[size])
        assert evidence.chain_root == FAKE_ROOT
        assert h.receipts() == [evidence]
        with h.clients() as clients:
            info = clients.owner.log_info(origin)
            assert info.split_view_count == 1
            held = clients.owner.checkpoint_at(origin, size)
            assert held is not None and held.root == FAKE_ROOT
            tx = clients.owner.transaction(evidence.tx_hash)
            assert tx is not None and tx.split_views[0][1:] == (size, FAKE_ROOT, evidence.root)
        # Not submitted again; the next checkpoint is anchored as usual.
        assert h.anchorer.step().kind == IDLE
        later = h.seal()
        report = h.anchorer.step()
        assert report.kind == ANCHORED and report.receipt is not None
        assert report.receipt.size == later
        with h.clients() as clients:
            assert clients.owner.log_info(origin).split_view_count == 1


class TestOutages:
    # The chain made unavailable: the in-process chain's journal held by another writer.
    @pytest.mark.parametrize("chain", ["in_process"], indirect=True)
    def test_a_busy_chain_is_retried_with_growing_waits_and_the_newest_is_anchored(
        self, harness_factory: Callable[..., Harness], chain: TestChain
    ) -> None:
        h = harness_factory(every_checkpoints=1)
        assert chain.settings.journal is not None
        holder = InProcessChain.open(chain.settings.journal)
        try:
            waits = []
            for _ in range(5):
                h.seal()  # the ledger keeps accepting entries and sealing
                report = h.anchorer.step()
                assert report.kind == FAILED and report.error is not None
                assert report.error.code == "chain_journal_busy"
                waits.append(report.retry_in)
        finally:
            holder.close()
        assert waits == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.4])
        report = h.anchorer.step()
        assert report.kind == ANCHORED and report.receipt is not None
        assert report.receipt.size == h.world.ledger.sealed_size
        assert [r.size for r in h.receipts()] == [h.world.ledger.sealed_size]

    def test_an_anchor_the_chain_lost_is_marked_orphaned_and_anchored_again(
        self, harness_factory: Callable[..., Harness], chain: TestChain
    ) -> None:
        h = harness_factory(every_checkpoints=1)
        first = h.seal()
        assert h.anchorer.step().kind == ANCHORED
        h.anchorer.disconnect()
        before_second = chain.mark()
        second = h.seal()
        lost = h.anchorer.step().receipt
        assert lost is not None and lost.size == second
        h.anchorer.disconnect()
        chain.rewind(before_second)  # a reorganisation drops the block that anchored it
        report = h.anchorer.step()
        assert report.kind == ANCHORED and report.receipt is not None
        assert [r.tx_hash for r in report.orphaned] == [lost.tx_hash]
        assert report.receipt.size == second
        # Same key, nonce, call and fees: the very same transaction is mined again, and its
        # receipt, marked orphaned meanwhile, is brought back with the new block.
        assert report.receipt.tx_hash == lost.tx_hash
        assert [(r.size, r.status) for r in h.receipts()] == [(second, ANCHORED), (first, ANCHORED)]
        with h.clients() as clients:
            held = clients.owner.checkpoint_at(h.world.ledger.origin, second)
            assert held is not None and held.block_number == report.receipt.block_number

    def test_anvil_killed_mid_run_entries_keep_coming_and_anchors_catch_up(
        self, world: World, tmp_path: Path
    ) -> None:
        node = AnvilNode(
            anvil_binary(), free_port(), state_path=tmp_path / "anvil.json", workdir=tmp_path
        )
        node.start()
        try:
            chain = TestChain.anvil(node, timeout=2.0)
            chain.deploy(world.ledger.engine, world.ledger.origin)
            node.wait_for_state_dump(after=time.time() + 0.01)  # the deployment survives a kill
            reports: list[RoundReport] = []
            anchorer = Anchorer(
                world.url,
                chain.settings,
                AnchorPolicy(every_checkpoints=1, poll_seconds=0.05,
                             backoff=BackoffPolicy(0.05, 0.4)),
                on_report=reports.append,
            )  # fmt: skip
            anchorer.start()
            try:
                for _ in range(3):
                    seal(world)
                    wait_until(lambda: latest_anchored(world) == world.ledger.sealed_size)
                node.kill()  # a crash: blocks since the last state dump are lost
                sealed_while_down = [seal(world) for _ in range(3)]
                wait_until(lambda: sum(r.kind == FAILED for r in reports) >= 3)
                node.start()  # same port, same state file
                wait_until(lambda: latest_anchored(world) == world.ledger.sealed_size)
            finally:
                anchorer.stop()
            receipts = anchors(world.ledger.engine, limit=1000)
            roots = signed_roots(world)
            failures = [r for r in reports if r.kind == FAILED]
            with chain.clients() as clients:
                owner = clients.owner
                # Every receipt refers to a checkpoint the ledger signed.
                assert all(roots[r.size] == r.root for r in receipts)
                # Every receipt still called anchored is on the chain, with its transaction.
                for r in receipts:
                    if r.status == ANCHORED:
                        held = owner.checkpoint_at(world.ledger.origin, r.size)
                        assert held is not None and held.root == r.root
                        assert owner.transaction(r.tx_hash) is not None
                newest = world.ledger.sealed_size
                held = owner.checkpoint_at(world.ledger.origin, newest)
                assert held is not None and held.root == roots[newest]
        finally:
            node.stop()
        # Caught up with the newest checkpoint only, not each one sealed during the outage.
        assert not {r.size for r in receipts} & set(sealed_while_down[:-1])
        assert {r.status for r in receipts} <= {ANCHORED, ORPHANED}
        assert {f.error.code for f in failures if f.error} == {"anchor_unavailable"}
        assert all(0.025 <= (f.retry_in or 0) <= 0.4 for f in failures)
