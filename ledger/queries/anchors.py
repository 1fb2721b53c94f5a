"""Receipts of checkpoints anchored on an EVM chain, as the anchorer recorded them.

A receipt names the chain, the ``CheckpointAnchor`` contract, the transaction and its block,
and the checkpoint submitted (tree size and the ledger's signed root). ``status`` is
``anchored`` (the contract holds that root for that size), ``split_view`` (it holds another
root: ``chain_root``, kept as evidence) or ``orphaned`` (the chain later lost the transaction,
as a development chain restarted without its state does). Anyone can check a receipt against
the chain with ``carbonledger prove entry``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, case, func, select

from ledger.errors import NotFound
from ledger.queries.rows import DEFAULT_LIMIT, page
from ledger.storage import schema

ANCHORED = "anchored"
SPLIT_VIEW = "split_view"
ORPHANED = "orphaned"
STATUSES = (ANCHORED, SPLIT_VIEW, ORPHANED)


@dataclass(frozen=True, slots=True)
class AnchorView:
    """One anchoring transaction and the checkpoint it submitted."""

    size: int
    root: bytes
    status: str
    chain_id: int
    contract: str
    tx_hash: bytes
    block_number: int
    block_time: int
    """Timestamp of the block, Unix seconds."""
    chain_root: bytes
    """The root the contract holds for ``size``: ``root`` unless this is a split view."""
    recorded_ms: int


def _select() -> Select[Any]:
    a = schema.anchors
    return select(
        a.c.size,
        a.c.root,
        a.c.status,
        a.c.chain_id,
        a.c.contract,
        a.c.tx_hash,
        a.c.block_number,
        a.c.block_time,
        a.c.chain_root,
        a.c.recorded_ms,
    )


def _view(row: Any) -> AnchorView:
    return AnchorView(
        int(row.size),
        bytes(row.root),
        str(row.status),
        int(row.chain_id),
        str(row.contract),
        bytes(row.tx_hash),
        int(row.block_number),
        int(row.block_time),
        bytes(row.chain_root),
        int(row.recorded_ms),
    )


def anchors(
    engine: Engine,
    *,
    status: str | None = None,
    chain_id: int | None = None,
    contract: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[AnchorView]:
    """Receipts, largest tree size first (the newest receipt first within a size), with
    ``status``, on ``chain_id`` and at ``contract`` when given."""
    a = schema.anchors
    query = _select().order_by(a.c.size.desc(), a.c.recorded_ms.desc(), a.c.tx_hash)
    if status is not None:
        query = query.where(a.c.status == status)
    if chain_id is not None:
        query = query.where(a.c.chain_id == chain_id)
    if contract is not None:
        query = query.where(a.c.contract == contract)
    with engine.connect() as conn:
        return [_view(row) for row in conn.execute(page(query, limit, offset))]


def anchor(engine: Engine, size: int) -> AnchorView:
    """The receipt for tree ``size``: an ``anchored`` one if any, else the newest recorded.

    Raises NotFound (``unknown_anchor``) if no transaction ever submitted that size.
    """
    a = schema.anchors
    anchored_first = case((a.c.status == ANCHORED, 0), else_=1)
    query = (
        _select()
        .where(a.c.size == size)
        .order_by(anchored_first, a.c.recorded_ms.desc(), a.c.tx_hash)
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no anchor receipt for tree size {size}", code="unknown_anchor")
    return _view(row)


def latest_anchor(
    engine: Engine,
    *,
    chain_id: int | None = None,
    contract: str | None = None,
    status: str = ANCHORED,
) -> AnchorView | None:
    """The receipt of largest size with ``status``, on ``chain_id`` and ``contract`` if given."""
    a = schema.anchors
    query = _select().where(a.c.status == status)
    if chain_id is not None:
        query = query.where(a.c.chain_id == chain_id)
    if contract is not None:
        query = query.where(a.c.contract == contract)
    query = query.order_by(a.c.size.desc(), a.c.recorded_ms.desc()).limit(1)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else _view(row)


def receipts_for(engine: Engine, chain_id: int, contract: str, size: int) -> list[AnchorView]:
    """Every receipt for ``size`` on that chain and contract, newest first."""
    a = schema.anchors
    query = (
        _select()
        .where(a.c.chain_id == chain_id, a.c.contract == contract, a.c.size == size)
        .order_by(a.c.recorded_ms.desc(), a.c.tx_hash)
    )
    with engine.connect() as conn:
        return [_view(row) for row in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class Unanchored:
    """Checkpoints sealed above an anchored size: how many, the oldest's time, the newest."""

    count: int
    oldest_ms: int
    newest_size: int
    newest_root: bytes


def unanchored(engine: Engine, after_size: int) -> Unanchored | None:
    """The checkpoints sealed with a size above ``after_size``; None if there are none."""
    c = schema.checkpoints
    with engine.connect() as conn:
        count, oldest = conn.execute(
            select(func.count(), func.min(c.c.time_ms)).where(c.c.size > after_size)
        ).one()
        if not count:
            return None
        newest = conn.execute(
            select(c.c.size, c.c.root)
            .where(c.c.size > after_size)
            .order_by(c.c.size.desc())
            .limit(1)
        ).first()
    assert newest is not None
    return Unanchored(int(count), int(oldest), int(newest.size), bytes(newest.root))
