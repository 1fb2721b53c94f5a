"""A signer's entries and an account's transfers in tables filled behind the log, not indexes.

The unique index ``entries_signer_seq`` and the indexes ``transfers_from`` and ``transfers_to``
put one row per entry on a random page of each (signers and accounts interleave), about a page
written per entry and index once a ledger is large. They are replaced by ``signer_entries``
(signer, seq, idx) and ``account_transfers`` (account, idx), which the writer fills in sorted
runs (``ledger.storage.lookups``); entries from the mark ``lookups_to`` (``ledger_meta``) on are
read from the log's tail. This revision copies every existing row and sets the mark past the
last entry. Replays stay refused by ``nonces``, as they were before the unique index existed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MARK = "lookups_to"


def upgrade() -> None:
    """Create and fill the two tables, set the mark, drop the three indexes."""
    op.create_table(
        "signer_entries",
        sa.Column(
            "signer",
            sa.String(length=128),
            nullable=False,
            comment="participant that signed the entry",
        ),
        sa.Column("seq", sa.BigInteger(), nullable=False, comment="its sequence number"),
        sa.Column("idx", sa.BigInteger(), nullable=False, comment="log index of the entry"),
        sa.PrimaryKeyConstraint("signer", "seq", name="signer_entries_pkey"),
        comment="A signer's entries in sequence order, up to the indexed mark (ledger_meta).",
        sqlite_with_rowid=False,
    )
    op.create_table(
        "account_transfers",
        sa.Column(
            "account", sa.String(length=128), nullable=False, comment="sending or receiving account"
        ),
        sa.Column("idx", sa.BigInteger(), nullable=False, comment="log index"),
        sa.PrimaryKeyConstraint("account", "idx", name="account_transfers_pkey"),
        comment="An account's transfers in log order, up to the indexed mark (ledger_meta).",
        sqlite_with_rowid=False,
    )
    end = op.get_bind().execute(sa.text("SELECT max(idx) FROM entries")).scalar()
    if end is not None:
        op.execute(
            "INSERT INTO signer_entries (signer, seq, idx) "
            "SELECT signer, seq, idx FROM entries ORDER BY signer, seq"
        )
        op.execute(
            "INSERT INTO account_transfers (account, idx) SELECT account, idx FROM ("
            "SELECT from_account AS account, idx FROM transfers "
            "UNION SELECT to_account AS account, idx FROM transfers) AS parties "
            "ORDER BY account, idx"
        )
        op.execute(
            sa.text("INSERT INTO ledger_meta (key, value) VALUES (:key, :value)").bindparams(
                key=_MARK, value=str(end + 1)
            )
        )
    op.drop_index("entries_signer_seq", table_name="entries")
    op.drop_index("transfers_from", table_name="transfers")
    op.drop_index("transfers_to", table_name="transfers")


def downgrade() -> None:
    """Back to revision 0007: the three indexes again, the tables and the mark dropped."""
    op.create_index("entries_signer_seq", "entries", ["signer", "seq"], unique=True)
    op.create_index("transfers_from", "transfers", ["from_account"])
    op.create_index("transfers_to", "transfers", ["to_account"])
    op.execute(sa.text("DELETE FROM ledger_meta WHERE key = :key").bindparams(key=_MARK))
    op.drop_table("account_transfers")
    op.drop_table("signer_entries")
