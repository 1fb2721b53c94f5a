"""Receipts of checkpoints anchored on an EVM chain (``node.anchorer``).

``anchors`` holds one row per anchoring transaction once it is final: the chain, the contract,
the transaction and its block, the checkpoint (size, root) submitted, and the root the contract
holds for that size. A split view (the contract already held another root) is kept as evidence
with status ``split_view``; a receipt whose transaction the chain later lost is marked
``orphaned``. Not derived from the log, so no replay reproduces it (``schema.NOT_REPLAYED``).

Revision ID: 0005
Revises: 0004
Create Date: 2025-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``anchors`` and its index by tree size."""
    op.create_table(
        "anchors",
        sa.Column(
            "chain_id",
            sa.BigInteger(),
            autoincrement=False,
            nullable=False,
            comment="EIP-155 chain id",
        ),
        sa.Column(
            "contract", sa.String(42), nullable=False, comment="CheckpointAnchor address (EIP-55)"
        ),
        sa.Column(
            "tx_hash", sa.LargeBinary(32), nullable=False, comment="the anchoring transaction"
        ),
        sa.Column(
            "size", sa.BigInteger(), nullable=False, comment="tree size of the checkpoint submitted"
        ),
        sa.Column(
            "root", sa.LargeBinary(32), nullable=False, comment="the ledger's signed root at size"
        ),
        sa.Column(
            "status",
            sa.String(16),
            nullable=False,
            comment="anchored; split_view (the chain holds another root for size); orphaned (the "
            "chain no longer holds the transaction)",
        ),
        sa.Column(
            "chain_root",
            sa.LargeBinary(32),
            nullable=False,
            comment="root the contract holds for size: root itself, or the conflicting one",
        ),
        sa.Column(
            "block_number", sa.BigInteger(), nullable=False, comment="block of the transaction"
        ),
        sa.Column(
            "block_time", sa.BigInteger(), nullable=False, comment="its timestamp, Unix seconds"
        ),
        sa.Column(
            "recorded_ms",
            sa.BigInteger(),
            nullable=False,
            comment="when recorded (final), Unix ms",
        ),
        sa.CheckConstraint(
            "(status IN ('anchored', 'orphaned') AND chain_root = root) "
            "OR (status = 'split_view' AND chain_root <> root)",
            name="anchors_status",
        ),
        sa.PrimaryKeyConstraint("chain_id", "contract", "tx_hash", name="anchors_pkey"),
        comment="Receipts of checkpoints anchored on a chain, written once final; split views "
        "kept as evidence.",
    )
    op.create_index("anchors_size", "anchors", ["size"])


def downgrade() -> None:
    """Drop ``anchors`` (its index goes with it)."""
    op.drop_table("anchors")
