"""Writing anchor receipts, and remembering which contract anchors this ledger on which chain.

Only the anchorer writes here, through an engine of its own and short transactions, so it never
holds up the sequencer. A receipt is written once its transaction is final; writing the same
transaction twice (two anchorers, or a restart between sending and recording) keeps the first.
The contract address is kept in ``ledger_meta`` under ``anchor_contract:<chain id>``.
"""

from __future__ import annotations

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger.errors import InvalidInput
from ledger.queries.anchors import ORPHANED, STATUSES, AnchorView
from ledger.storage import schema

CONTRACT_KEY = "anchor_contract:{chain_id}"


def record_anchor(engine: Engine, receipt: AnchorView) -> bool:
    """Write ``receipt``; False if that transaction was recorded already (nothing changes).

    A transaction recorded ``orphaned`` and mined again (after a reorganisation a transaction
    returns to the pool and is mined anew, with the same hash) gets the new receipt instead.
    """
    if receipt.status not in STATUSES:
        raise InvalidInput(f"anchor status {receipt.status!r}, want one of {STATUSES}")
    row = {
        "chain_id": receipt.chain_id,
        "contract": receipt.contract,
        "tx_hash": receipt.tx_hash,
        "size": receipt.size,
        "root": receipt.root,
        "status": receipt.status,
        "chain_root": receipt.chain_root,
        "block_number": receipt.block_number,
        "block_time": receipt.block_time,
        "recorded_ms": receipt.recorded_ms,
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(schema.anchors), row)
    except IntegrityError:
        a = schema.anchors
        same_tx = (
            a.c.chain_id == receipt.chain_id,
            a.c.contract == receipt.contract,
            a.c.tx_hash == receipt.tx_hash,
        )
        with engine.begin() as conn:
            known = conn.execute(select(a.c.status).where(*same_tx)).scalar()
            if known is None:
                raise  # a constraint other than the primary key: a bad receipt
            if known != ORPHANED:
                return False
            conn.execute(update(a).where(*same_tx, a.c.status == ORPHANED).values(**row))
    return True


def mark_orphaned(engine: Engine, receipt: AnchorView) -> None:
    """Record that the chain no longer holds ``receipt``'s transaction."""
    a = schema.anchors
    with engine.begin() as conn:
        conn.execute(
            update(a)
            .where(
                a.c.chain_id == receipt.chain_id,
                a.c.contract == receipt.contract,
                a.c.tx_hash == receipt.tx_hash,
            )
            .values(status=ORPHANED)
        )


def remembered_contract(engine: Engine, chain_id: int) -> str | None:
    """The anchoring contract this ledger last used on ``chain_id``, if any."""
    m = schema.meta
    key = CONTRACT_KEY.format(chain_id=chain_id)
    with engine.connect() as conn:
        value = conn.execute(select(m.c.value).where(m.c.key == key)).scalar()
    return None if value is None else str(value)


def remember_contract(engine: Engine, chain_id: int, address: str) -> None:
    """Keep ``address`` as this ledger's anchoring contract on ``chain_id``."""
    m = schema.meta
    key = CONTRACT_KEY.format(chain_id=chain_id)
    with engine.begin() as conn:
        done = conn.execute(update(m).where(m.c.key == key).values(value=address)).rowcount
        if not done:
            conn.execute(insert(m), {"key": key, "value": address})
