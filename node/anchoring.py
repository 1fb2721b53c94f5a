"""Anchoring one checkpoint and recording its receipt; finding receipts the chain has lost.

``anchor_checkpoint`` is idempotent and safe to run again after any failure or crash: a
checkpoint with a receipt already recorded for the chain and contract is not sent again; one the
chain holds without a recorded receipt (a crash between sending and recording, or another
anchorer) is recovered from the contract's ``CheckpointAnchored`` event; otherwise it is sent.
The receipt is written only once the transaction is ``confirmations`` blocks deep, and only
after reading back the root the contract holds for that size.

A split view (the contract already holds another root for that size) is not an error of the
transaction: the contract keeps its root and emits ``SplitViewDetected``, and the receipt is
recorded with status ``split_view`` and the conflicting root, as evidence. Callers raise the
alarm (``AnchorOutcome.split_view``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from contracts.client import AnchorClient, AnchorTransaction, log_id
from contracts.errors import AnchorReverted, AnchorUnavailable
from ledger import queries
from ledger.queries.anchors import ANCHORED, SPLIT_VIEW, AnchorView, anchors, receipts_for
from ledger.storage.anchors import mark_orphaned, record_anchor
from ledger.storage.engine import make_engine
from node.anchor_chain import ChainConnection, ChainSettings, anchor_contract

RECONCILE_DEPTH = 100
"""Receipts checked against the chain, newest first, when looking for lost transactions."""


@dataclass(frozen=True, slots=True)
class AnchorOutcome:
    """The receipt of a checkpoint's anchoring; ``sent`` if this call sent or recorded it."""

    receipt: AnchorView
    sent: bool

    @property
    def split_view(self) -> bool:
        return self.receipt.status == SPLIT_VIEW


def anchor_checkpoint(
    client: AnchorClient,
    engine: Engine,
    origin: str,
    size: int,
    root: bytes,
    *,
    confirmations: int = 0,
    clock: Callable[[], float] = time.time,
) -> AnchorOutcome:
    """Anchor the ledger's checkpoint (``size``, ``root``) with ``client``'s contract and record
    the receipt once final.

    Requires ``client`` bound to a contract where ``origin`` is registered with the client's
    key. Raises the client's errors (``anchor_unavailable``, ``anchor_unauthorized``,
    ``anchor_size_regression``...); nothing is recorded then.
    """
    chain_id, contract = client.chain_id, client.address
    known = [
        r
        for r in receipts_for(engine, chain_id, contract, size)
        if r.status in (ANCHORED, SPLIT_VIEW) and r.root == root
    ]
    if known:
        return AnchorOutcome(min(known, key=lambda r: r.status != ANCHORED), sent=False)
    onchain = client.checkpoint_at(origin, size)
    if onchain is not None and onchain.root == root:
        found = client.find_anchor(origin, size)
        if found is None:
            raise AnchorUnavailable(
                f"the chain holds root {root.hex()} for size {size} but its anchoring "
                "transaction was not found"
            )
        tx_hash = found.tx_hash
    else:
        tx_hash = client.anchor(origin, size, root).tx_hash
    final = client.confirm(tx_hash, confirmations)
    receipt = _receipt(client, origin, size, root, final, clock)
    record_anchor(engine, receipt)
    return AnchorOutcome(receipt, sent=True)


def anchor_latest(db_url: str, settings: ChainSettings, *, deploy: bool = False) -> AnchorOutcome:
    """Anchor the ledger's newest sealed checkpoint now, on its own connection (one-shot).

    ``deploy`` deploys a new contract on a JSON-RPC chain first (see ``anchor_contract``).
    Raises NotFound (``unknown_checkpoint``) if nothing was sealed yet.
    """
    engine = make_engine(db_url)
    try:
        origin = queries.ledger_info(engine).origin
        newest = queries.checkpoint(engine)
        with ChainConnection.open(settings) as connection:
            client = anchor_contract(connection, settings, engine, origin, deploy=deploy)
            find_orphans(client, engine, origin)
            return anchor_checkpoint(
                client,
                engine,
                origin,
                newest.size,
                newest.root,
                confirmations=settings.confirmations,
            )
    finally:
        engine.dispose()


def _receipt(
    client: AnchorClient,
    origin: str,
    size: int,
    root: bytes,
    final: AnchorTransaction,
    clock: Callable[[], float],
) -> AnchorView:
    """The receipt of ``final``, with the root the contract holds for ``size`` read back."""
    lid = log_id(origin)
    if not final.succeeded:
        raise AnchorReverted(f"transaction {final.tx_hash.hex()} failed on chain")
    onchain = client.checkpoint_at(origin, size)
    if onchain is None:
        raise AnchorUnavailable(f"size {size} is not anchored after {final.tx_hash.hex()}")
    if onchain.root == root:
        status = ANCHORED
        if (lid, size, root) not in final.anchored:
            # The root is there, anchored by another transaction: find that one instead.
            other = client.find_anchor(origin, size)
            if other is None:
                raise AnchorUnavailable(f"size {size} is anchored by no transaction found")
            final = other
    else:
        status = SPLIT_VIEW
    return AnchorView(
        size=size,
        root=root,
        status=status,
        chain_id=client.chain_id,
        contract=client.address,
        tx_hash=final.tx_hash,
        block_number=final.block_number,
        block_time=final.block_time,
        chain_root=onchain.root,
        recorded_ms=int(clock() * 1000),
    )


def find_orphans(client: AnchorClient, engine: Engine, origin: str) -> list[AnchorView]:
    """Mark ``orphaned`` the newest anchored receipts whose transaction or root the chain no
    longer holds (a development chain restarted without its latest blocks, a reorganisation);
    return them. Stops at the first receipt the chain still holds, at most
    ``RECONCILE_DEPTH`` receipts back: a chain loses its newest blocks first.
    """
    lost: list[AnchorView] = []
    recent = anchors(
        engine,
        status=ANCHORED,
        chain_id=client.chain_id,
        contract=client.address,
        limit=RECONCILE_DEPTH,
    )
    for receipt in recent:
        onchain = client.checkpoint_at(origin, receipt.size)
        held = onchain is not None and onchain.root == receipt.root
        if held and client.transaction(receipt.tx_hash) is not None:
            break
        mark_orphaned(engine, receipt)
        lost.append(receipt)
    return lost
