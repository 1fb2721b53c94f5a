"""The anchor contract's rules through its client, on the in-process EVM and on anvil."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hexbytes import HexBytes

from contracts.client import AnchorClient, load_artefact, log_id
from contracts.devnode import free_port
from contracts.errors import (
    AnchorInvalidCheckpoint,
    AnchorLogExists,
    AnchorSizeRegression,
    AnchorUnauthorized,
    AnchorUnavailable,
    AnchorUnknownLog,
)
from contracts.reverts import decode_revert, revert_payload, to_error
from ledger.errors import InvalidInput
from tests.contracts.conftest import Deployment


def root(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


class TestRegistration:
    def test_registered_log_lists_its_anchoring_key(self, deployment: Deployment) -> None:
        d = deployment
        info = d.owner.log_info(d.origin)
        assert info.registered
        assert (info.latest_size, info.anchored_count, info.split_view_count) == (0, 0, 0)
        assert d.owner.is_anchorer(d.origin, d.anchorer.sender)
        assert not d.owner.is_anchorer(d.origin, d.outsider.sender)

    def test_only_owner_registers_logs(self, deployment: Deployment) -> None:
        with pytest.raises(AnchorUnauthorized) as caught:
            deployment.outsider.register_log("other.test/log", [deployment.outsider.sender])
        assert caught.value.code == "anchor_unauthorized"

    def test_registering_a_log_twice_is_rejected(self, deployment: Deployment) -> None:
        with pytest.raises(AnchorLogExists):
            deployment.owner.register_log(deployment.origin, [])

    def test_added_key_anchors_and_removed_key_no_longer_does(self, deployment: Deployment) -> None:
        d = deployment
        d.owner.add_anchorer(d.origin, d.outsider.sender)
        assert d.outsider.anchor(d.origin, 3, root("a")).status == "anchored"
        d.owner.remove_anchorer(d.origin, d.outsider.sender)
        with pytest.raises(AnchorUnauthorized):
            d.outsider.anchor(d.origin, 4, root("b"))

    def test_only_owner_manages_anchoring_keys(self, deployment: Deployment) -> None:
        with pytest.raises(AnchorUnauthorized):
            deployment.anchorer.add_anchorer(deployment.origin, deployment.outsider.sender)


class TestAnchoring:
    def test_anchored_checkpoint_reads_back_with_its_block(self, deployment: Deployment) -> None:
        d = deployment
        receipt = d.anchorer.anchor(d.origin, 10, root("ten"))
        assert receipt.status == "anchored"
        assert receipt.chain_id == d.owner.chain_id
        assert receipt.contract == d.owner.address
        assert receipt.gas_used > 21_000
        block = d.owner.w3.eth.get_block(receipt.block_number)
        assert block["hash"] is not None
        at = d.owner.checkpoint_at(d.origin, 10)
        assert at is not None
        assert (at.size, at.root, at.block_number) == (10, root("ten"), receipt.block_number)
        assert at.timestamp == block["timestamp"]
        assert d.owner.latest(d.origin) == at

    def test_anchor_emits_checkpoint_anchored(self, deployment: Deployment) -> None:
        d = deployment
        receipt = d.anchorer.anchor(d.origin, 7, root("seven"))
        tx = d.owner.w3.eth.get_transaction_receipt(HexBytes(receipt.tx_hash))
        contract = d.owner.w3.eth.contract(address=d.owner.address, abi=_abi(d.owner))
        (event,) = contract.events.CheckpointAnchored().process_receipt(tx)
        assert event["args"]["logId"] == log_id(d.origin)
        assert event["args"]["size"] == 7
        assert event["args"]["root"] == root("seven")
        assert event["args"]["blockNumber"] == receipt.block_number

    def test_sizes_grow_and_every_checkpoint_stays_readable(self, deployment: Deployment) -> None:
        d = deployment
        for size in (1, 2, 5, 100, 1_000_000):
            assert d.anchorer.anchor(d.origin, size, root(str(size))).status == "anchored"
        for size in (1, 2, 5, 100, 1_000_000):
            at = d.owner.checkpoint_at(d.origin, size)
            assert at is not None and at.root == root(str(size))
        assert d.owner.checkpoint_at(d.origin, 3) is None
        info = d.owner.log_info(d.origin)
        assert (info.latest_size, info.anchored_count) == (1_000_000, 5)

    def test_same_checkpoint_again_is_an_idempotent_no_op(self, deployment: Deployment) -> None:
        d = deployment
        first = d.anchorer.anchor(d.origin, 8, root("eight"))
        again = d.anchorer.anchor(d.origin, 8, root("eight"))
        assert (first.status, again.status) == ("anchored", "duplicate")
        at = d.owner.checkpoint_at(d.origin, 8)
        assert at is not None and at.block_number == first.block_number
        assert d.owner.log_info(d.origin).anchored_count == 1

    def test_older_checkpoint_again_is_a_no_op_too(self, deployment: Deployment) -> None:
        d = deployment
        d.anchorer.anchor(d.origin, 4, root("four"))
        d.anchorer.anchor(d.origin, 9, root("nine"))
        assert d.anchorer.anchor(d.origin, 4, root("four")).status == "duplicate"

    def test_size_regression_is_rejected(self, deployment: Deployment) -> None:
        d = deployment
        d.anchorer.anchor(d.origin, 20, root("twenty"))
        with pytest.raises(AnchorSizeRegression) as caught:
            d.anchorer.anchor(d.origin, 19, root("nineteen"))
        assert caught.value.code == "anchor_size_regression"
        assert caught.value.details["latest_size"] == 20
        assert d.owner.checkpoint_at(d.origin, 19) is None

    def test_unauthorised_anchor_is_rejected(self, deployment: Deployment) -> None:
        d = deployment
        with pytest.raises(AnchorUnauthorized) as caught:
            d.outsider.anchor(d.origin, 5, root("forged"))
        assert caught.value.code == "anchor_unauthorized"
        assert d.owner.latest(d.origin) is None

    def test_owner_is_not_an_anchoring_key_by_default(self, deployment: Deployment) -> None:
        with pytest.raises(AnchorUnauthorized):
            deployment.owner.anchor(deployment.origin, 5, root("owner"))

    def test_unknown_log_is_rejected(self, deployment: Deployment) -> None:
        with pytest.raises(AnchorUnknownLog):
            deployment.anchorer.anchor("unregistered.test/log", 5, root("x"))

    def test_client_refuses_malformed_checkpoints_before_sending(
        self, deployment: Deployment
    ) -> None:
        d = deployment
        with pytest.raises(InvalidInput):
            d.anchorer.anchor(d.origin, 0, root("zero"))
        with pytest.raises(InvalidInput):
            d.anchorer.anchor(d.origin, 5, b"short")
        with pytest.raises(InvalidInput):
            d.anchorer.anchor(d.origin, 2**64, root("big"))

    def test_contract_refuses_size_zero_and_zero_root(self, deployment: Deployment) -> None:
        d = deployment
        contract = d.owner.w3.eth.contract(address=d.owner.address, abi=_abi(d.owner))
        for size, bad_root in ((0, root("zero")), (5, bytes(32))):
            call = contract.functions.anchor(log_id(d.origin), size, bad_root)
            with pytest.raises(Exception) as caught:
                call.call({"from": d.anchorer.sender})
            payload = revert_payload(caught.value)
            assert payload is not None
            error = to_error(decode_revert(_abi(d.owner), payload), "anchor")
            assert isinstance(error, AnchorInvalidCheckpoint)


class TestSplitView:
    def test_conflicting_root_is_recorded_and_anchored_root_kept(
        self, deployment: Deployment
    ) -> None:
        d = deployment
        d.anchorer.anchor(d.origin, 12, root("honest"))
        receipt = d.anchorer.anchor(d.origin, 12, root("forked"))
        assert receipt.status == "split_view"

        tx = d.owner.w3.eth.get_transaction_receipt(HexBytes(receipt.tx_hash))
        assert tx["status"] == 1  # the evidence is in a successful transaction
        contract = d.owner.w3.eth.contract(address=d.owner.address, abi=_abi(d.owner))
        (event,) = contract.events.SplitViewDetected().process_receipt(tx)
        assert event["args"]["logId"] == log_id(d.origin)
        assert event["args"]["size"] == 12
        assert event["args"]["anchoredRoot"] == root("honest")
        assert event["args"]["conflictingRoot"] == root("forked")
        assert event["args"]["submitter"] == d.anchorer.sender

        at = d.owner.checkpoint_at(d.origin, 12)
        assert at is not None and at.root == root("honest")
        info = d.owner.log_info(d.origin)
        assert (info.latest_size, info.anchored_count, info.split_view_count) == (12, 1, 1)

    def test_conflict_on_an_older_size_is_detected(self, deployment: Deployment) -> None:
        d = deployment
        d.anchorer.anchor(d.origin, 3, root("three"))
        d.anchorer.anchor(d.origin, 30, root("thirty"))
        assert d.anchorer.anchor(d.origin, 3, root("other three")).status == "split_view"
        latest = d.owner.latest(d.origin)
        assert latest is not None and (latest.size, latest.root) == (30, root("thirty"))
        assert d.owner.log_info(d.origin).split_view_count == 1

    def test_outsider_cannot_file_split_view_evidence(self, deployment: Deployment) -> None:
        d = deployment
        d.anchorer.anchor(d.origin, 3, root("three"))
        with pytest.raises(AnchorUnauthorized):
            d.outsider.anchor(d.origin, 3, root("noise"))
        assert d.owner.log_info(d.origin).split_view_count == 0


class TestResume:
    def test_resume_anchors_only_what_is_missing(self, deployment: Deployment) -> None:
        d = deployment
        checkpoints = [(size, root(f"cp{size}")) for size in (2, 4, 6, 8)]
        d.anchorer.anchor(d.origin, 2, root("cp2"))
        d.anchorer.anchor(d.origin, 4, root("cp4"))
        sent = d.anchorer.resume(d.origin, checkpoints)
        assert [r.status for r in sent] == ["anchored", "anchored"]
        assert d.anchorer.resume(d.origin, checkpoints) == []
        for size, digest in checkpoints:
            at = d.owner.checkpoint_at(d.origin, size)
            assert at is not None and at.root == digest

    def test_resume_files_a_split_view_for_a_conflicting_anchor(
        self, deployment: Deployment
    ) -> None:
        d = deployment
        d.anchorer.anchor(d.origin, 5, root("someone else's root"))
        (receipt,) = d.anchorer.resume(d.origin, [(5, root("ours"))])
        assert receipt.status == "split_view"


class TestConnection:
    def test_binding_to_an_existing_deployment(self, deployment: Deployment) -> None:
        d = deployment
        d.anchorer.anchor(d.origin, 6, root("six"))
        again = d.outsider.at(d.owner.address)
        at = again.checkpoint_at(d.origin, 6)
        assert at is not None and at.root == root("six")

    def test_binding_to_an_address_without_code_is_anchor_unavailable(
        self, deployment: Deployment
    ) -> None:
        with pytest.raises(AnchorUnavailable):
            deployment.owner.at(deployment.outsider.sender)

    def test_unreachable_node_is_anchor_unavailable(self) -> None:
        with pytest.raises(AnchorUnavailable) as caught:
            AnchorClient.connect_rpc(f"http://127.0.0.1:{free_port()}", "0x" + "11" * 32)
        assert caught.value.code == "anchor_unavailable"


def _abi(client: AnchorClient) -> list[dict[str, Any]]:
    """The ABI of the contract ``client`` is bound to."""
    abi: list[dict[str, Any]] = load_artefact("CheckpointAnchor")["abi"]
    return abi
