"""Anchor receipts served by the API: the list, one size, and the problems for bad requests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger.queries.anchors import SPLIT_VIEW, AnchorView
from ledger.storage.anchors import record_anchor
from ledger.storage.engine import make_engine
from node.anchor_chain import ChainSettings
from node.anchoring import anchor_latest
from tests.api.conftest import serve
from tests.api.routes.test_entries import assert_problem
from tests.builders import World


@pytest.fixture
def anchored(world: World, tmp_path: Path) -> Iterator[tuple[TestClient, AnchorView]]:
    """The world's genesis checkpoint anchored on the in-process chain, and the API over it."""
    receipt = anchor_latest(world.url, ChainSettings(journal=tmp_path / "chain.evm.jsonl")).receipt
    with serve(world, seal_ms=0) as client:
        yield client, receipt


def as_served(receipt: AnchorView) -> dict[str, object]:
    return {
        "size": receipt.size,
        "root": receipt.root.hex(),
        "status": receipt.status,
        "chain_id": receipt.chain_id,
        "contract": receipt.contract,
        "tx_hash": receipt.tx_hash.hex(),
        "block_number": receipt.block_number,
        "block_time": receipt.block_time,
        "chain_root": receipt.chain_root.hex(),
        "recorded_ms": receipt.recorded_ms,
    }


class TestAnchors:
    def test_the_list_and_one_size_serve_the_recorded_receipt(
        self, anchored: tuple[TestClient, AnchorView]
    ) -> None:
        client, receipt = anchored
        page = client.get("/v1/anchors").json()
        assert page["items"] == [as_served(receipt)]
        assert page["next_offset"] is None
        assert client.get(f"/v1/anchors/{receipt.size}").json() == as_served(receipt)

    def test_a_split_view_is_served_as_evidence_and_filtered_by_status(
        self, anchored: tuple[TestClient, AnchorView], world: World
    ) -> None:
        client, receipt = anchored
        evidence = dataclasses.replace(
            receipt, status=SPLIT_VIEW, tx_hash=bytes(32), chain_root=b"\xee" * 32
        )
        engine = make_engine(world.url)
        try:
            record_anchor(engine, evidence)
        finally:
            engine.dispose()
        found = client.get("/v1/anchors", params={"status": "split_view"}).json()["items"]
        assert found == [as_served(evidence)]
        # The size's anchored receipt still answers for it.
        assert client.get(f"/v1/anchors/{receipt.size}").json()["status"] == "anchored"

    def test_a_size_never_anchored_is_404(self, anchored: tuple[TestClient, AnchorView]) -> None:
        client, _ = anchored
        assert_problem(client.get("/v1/anchors/999"), 404, "unknown_anchor")

    @pytest.mark.parametrize(
        "target",
        ["/v1/anchors/0", "/v1/anchors/x", "/v1/anchors?status=lost", "/v1/anchors?limit=0"],
    )
    def test_bad_parameters_are_400(
        self, anchored: tuple[TestClient, AnchorView], target: str
    ) -> None:
        client, _ = anchored
        assert_problem(client.get(target), 400, "invalid_input")
