"""The HTTP service's own tables: idempotency records and witness cosignatures.

Neither is derived from the log: ``idempotency_keys`` holds the response to a write request
that carried an ``Idempotency-Key`` (committed in the same transaction as its entries), and
``checkpoint_cosignatures`` the witness cosignature lines verified for a sealed checkpoint.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``idempotency_keys`` and ``checkpoint_cosignatures``."""
    op.create_table(
        "idempotency_keys",
        sa.Column(
            "key", sa.String(255), nullable=False, comment="the client's Idempotency-Key header"
        ),
        sa.Column(
            "fingerprint",
            sa.LargeBinary(32),
            nullable=False,
            comment="SHA-256 of the request's method, path and body",
        ),
        sa.Column(
            "status", sa.Integer(), nullable=False, comment="HTTP status of the original response"
        ),
        sa.Column("content_type", sa.String(100), nullable=False, comment="its media type"),
        sa.Column(
            "body",
            sa.LargeBinary(),
            nullable=False,
            comment="its body bytes, returned on a retry",
        ),
        sa.Column(
            "created_ms",
            sa.BigInteger(),
            nullable=False,
            comment="when it was committed, Unix ms",
        ),
        sa.PrimaryKeyConstraint("key", name="idempotency_keys_pkey"),
        comment="Responses to write requests that carried an Idempotency-Key, committed with "
        "their entries.",
    )
    op.create_table(
        "checkpoint_cosignatures",
        sa.Column(
            "size", sa.BigInteger(), autoincrement=False, nullable=False, comment="checkpoint size"
        ),
        sa.Column("witness", sa.String(255), nullable=False, comment="witness key name"),
        sa.Column(
            "key_hash", sa.LargeBinary(4), nullable=False, comment="the line's 4-byte key hash"
        ),
        sa.Column(
            "timestamp", sa.BigInteger(), nullable=False, comment="cosignature time, Unix seconds"
        ),
        sa.Column(
            "line", sa.Text(), nullable=False, comment="the signature line, as served with the note"
        ),
        sa.PrimaryKeyConstraint("size", "witness", "key_hash", name="checkpoint_cosignatures_pkey"),
        comment="Witness cosignatures (C2SP tlog-cosignature) verified for a sealed checkpoint.",
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("checkpoint_cosignatures")
    op.drop_table("idempotency_keys")
