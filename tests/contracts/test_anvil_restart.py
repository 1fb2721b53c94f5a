"""Anchoring survives the node going away: anvil stopped or killed mid-run, then restarted.

anvil keeps its chain in ``--state`` (loaded at start, dumped every second and on a clean
exit). A clean stop loses nothing. A kill (SIGKILL, a crash) loses the blocks mined since the
last periodic dump; the anchorer then calls ``resume`` with the log's own checkpoints, which
re-anchors whatever the chain lost. Either way, once the run completes every checkpoint the
log published is on chain with its root. While the node is down, calls fail with
``AnchorUnavailable`` and the anchorer retries the checkpoint it was sending.

If anvil were to lose even the deployment (killed before its first dump), the contract would
have to be re-deployed and the log re-registered before ``resume``; the tests wait for a dump
after deployment so that they exercise the resume path rather than that one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import pytest

from contracts.client import AnchorClient
from contracts.devnode import AnvilNode
from contracts.errors import AnchorUnavailable

ORIGIN = "carbonledger.test/restart"
CHECKPOINTS = [(size, hashlib.sha256(f"root {size}".encode()).digest()) for size in range(1, 13)]


def setup_chain(node: AnvilNode) -> tuple[AnchorClient, AnchorClient]:
    owner = AnchorClient.connect_rpc(node.rpc_url, node.private_keys[0], timeout=10)
    owner.deploy()
    anchorer = owner.with_sender(private_key=node.private_keys[1])
    owner.register_log(ORIGIN, [anchorer.sender])
    return owner, anchorer


def assert_all_anchored(client: AnchorClient) -> None:
    for size, root in CHECKPOINTS:
        at = client.checkpoint_at(ORIGIN, size)
        assert at is not None, f"checkpoint {size} lost"
        assert at.root == root
    info = client.log_info(ORIGIN)
    assert (info.latest_size, info.anchored_count, info.split_view_count) == (12, 12, 0)


class TestAnvilRestart:
    def test_clean_stop_and_restart_keeps_every_anchor(
        self, anvil_factory: Callable[[], AnvilNode]
    ) -> None:
        node = anvil_factory()
        owner, anchorer = setup_chain(node)
        before = {}
        for size, root in CHECKPOINTS[:6]:
            before[size] = anchorer.anchor(ORIGIN, size, root).block_number

        node.stop()
        with pytest.raises(AnchorUnavailable):
            anchorer.anchor(ORIGIN, *CHECKPOINTS[6])
        node.start()  # same port, same state file

        # The same client objects carry on: same chain, same contract, same blocks.
        assert owner.w3.eth.chain_id == owner.chain_id
        for size, block in before.items():
            at = owner.checkpoint_at(ORIGIN, size)
            assert at is not None and at.block_number == block
        for size, root in CHECKPOINTS[6:]:
            assert anchorer.anchor(ORIGIN, size, root).status == "anchored"
        assert_all_anchored(owner)

    def test_kill_mid_run_then_resume_loses_nothing(
        self, anvil_factory: Callable[[], AnvilNode]
    ) -> None:
        node = anvil_factory()
        owner, anchorer = setup_chain(node)
        deployed_at = time.time()
        node.wait_for_state_dump(after=deployed_at + 0.01)

        published: list[tuple[int, bytes]] = []
        resent = []
        killed = False
        for size, root in CHECKPOINTS:
            published.append((size, root))
            if size == 7 and not killed:
                node.kill()  # a crash: no final dump, recent blocks may be gone
                killed = True
            try:
                anchorer.anchor(ORIGIN, size, root)
            except AnchorUnavailable:
                node.start()
                resent = anchorer.resume(ORIGIN, published)
        assert killed
        # At least the checkpoint in flight at the kill was re-sent, plus whatever the chain lost.
        assert 1 <= len(resent) <= 7
        assert_all_anchored(owner)
        assert anchorer.resume(ORIGIN, CHECKPOINTS) == []

    def test_restart_after_kill_resumes_from_the_state_file(
        self, anvil_factory: Callable[[], AnvilNode]
    ) -> None:
        node = anvil_factory()
        owner, anchorer = setup_chain(node)
        for size, root in CHECKPOINTS[:4]:
            anchorer.anchor(ORIGIN, size, root)
        dumped_after = time.time()
        node.wait_for_state_dump(after=dumped_after + 0.01)
        node.kill()
        node.start()
        # Everything up to the dump survived the kill.
        for size, root in CHECKPOINTS[:4]:
            at = owner.checkpoint_at(ORIGIN, size)
            assert at is not None and at.root == root
        anchorer.resume(ORIGIN, CHECKPOINTS)
        assert_all_anchored(owner)
