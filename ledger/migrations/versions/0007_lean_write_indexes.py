"""Fewer index pages written per entry: entries found by (signer, seq), rowid-free tables.

Every commit of the sequencer rewrites each index page one of its rows lands on; with keys
spread at random (hashes, account ids) that is about one page per row and index once the
ledger is large. This revision drops what the rules already guarantee or nothing reads:

- ``entries`` gets the entry's ``seq`` (from its payload) and a unique index on
  ``(signer, seq)``: a participant's sequence numbers only grow, so that index also lists its
  entries in log order, and it is where a resubmitted entry is found. It replaces the unique
  index on ``entry_hash`` (random keys; an entry cannot be applied twice anyway, its sequence
  number would be replayed) and ``entries_signer``.
- On SQLite, ``entries.idx`` becomes the table's rowid (one tree instead of a table and its
  key index), and ``merkle_nodes`` and ``holdings`` are clustered on their primary keys
  (``WITHOUT ROWID``): a moved serial range is then one tree row, not a table row and a key.

Rows are kept as they were; PostgreSQL gets the column and the indexes only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ENTRY_COLUMNS = "idx, record, record_hash, entry_hash, op, signer, time_ms"
_SEQ_SQLITE = "json_extract(CAST(record AS TEXT), '$.entry.payload.seq')"
_SEQ_POSTGRES = "(convert_from(record, 'UTF8')::jsonb #>> '{entry,payload,seq}')::bigint"
_HASH_COMMENT = "SHA-256 of the signed entry inside the record"
_OLD = f"{_HASH_COMMENT} (idempotency key)"
_SEQ_COMMENT = "the entry's sequence number: unique per signer, growing with idx"


def upgrade() -> None:
    """Add ``entries.seq`` and its unique index; drop the indexes it replaces; on SQLite
    rebuild ``entries``, ``merkle_nodes`` and ``holdings``."""
    if op.get_bind().dialect.name != "sqlite":
        op.add_column("entries", sa.Column("seq", sa.BigInteger(), comment=_SEQ_COMMENT))
        op.execute(f"UPDATE entries SET seq = {_SEQ_POSTGRES}")
        op.alter_column("entries", "seq", nullable=False)
        op.drop_index("entries_signer", table_name="entries")
        op.drop_constraint("entries_entry_hash_key", "entries", type_="unique")
        op.create_index("entries_signer_seq", "entries", ["signer", "seq"], unique=True)
        op.alter_column("entries", "entry_hash", comment=_HASH_COMMENT, existing_comment=_OLD)
        return
    _rebuild(
        "entries",
        "idx INTEGER NOT NULL, record BLOB NOT NULL, record_hash BLOB NOT NULL, "
        "entry_hash BLOB NOT NULL, op VARCHAR(32) NOT NULL, signer VARCHAR(128) NOT NULL, "
        "time_ms BIGINT NOT NULL, seq BIGINT NOT NULL, "
        "CONSTRAINT entries_pkey PRIMARY KEY (idx)",
        f"{_ENTRY_COLUMNS}, seq",
        f"{_ENTRY_COLUMNS}, {_SEQ_SQLITE}",
        "idx",
    )
    op.create_index("entries_signer_seq", "entries", ["signer", "seq"], unique=True)
    _rebuild_nodes_and_holdings(without_rowid=True)


def downgrade() -> None:
    """Back to revision 0006: ``entry_hash`` unique, ``entries_signer``, no ``seq``."""
    if op.get_bind().dialect.name != "sqlite":
        op.drop_index("entries_signer_seq", table_name="entries")
        op.create_unique_constraint("entries_entry_hash_key", "entries", ["entry_hash"])
        op.create_index("entries_signer", "entries", ["signer", "idx"])
        op.drop_column("entries", "seq")
        op.alter_column("entries", "entry_hash", comment=_OLD, existing_comment=_HASH_COMMENT)
        return
    _rebuild(
        "entries",
        "idx BIGINT NOT NULL, record BLOB NOT NULL, record_hash BLOB NOT NULL, "
        "entry_hash BLOB NOT NULL, op VARCHAR(32) NOT NULL, signer VARCHAR(128) NOT NULL, "
        "time_ms BIGINT NOT NULL, CONSTRAINT entries_pkey PRIMARY KEY (idx), "
        "CONSTRAINT entries_entry_hash_key UNIQUE (entry_hash)",
        _ENTRY_COLUMNS,
        _ENTRY_COLUMNS,
        "idx",
    )
    op.create_index("entries_signer", "entries", ["signer", "idx"])
    _rebuild_nodes_and_holdings(without_rowid=False)


def _rebuild_nodes_and_holdings(*, without_rowid: bool) -> None:
    suffix = " WITHOUT ROWID" if without_rowid else ""
    _rebuild(
        "merkle_nodes",
        "level INTEGER NOT NULL, idx BIGINT NOT NULL, hash BLOB NOT NULL, "
        "CONSTRAINT merkle_nodes_pkey PRIMARY KEY (level, idx)",
        "level, idx, hash",
        "level, idx, hash",
        "level, idx",
        suffix,
    )
    _rebuild(
        "holdings",
        "batch VARCHAR(128) NOT NULL, serial_start BIGINT NOT NULL, "
        "serial_end BIGINT NOT NULL, account VARCHAR(128) NOT NULL, "
        "status VARCHAR(16) NOT NULL, ref VARCHAR(64), "
        "CONSTRAINT holdings_pkey PRIMARY KEY (batch, serial_start), "
        "CONSTRAINT holdings_non_empty CHECK (serial_end > serial_start)",
        "batch, serial_start, serial_end, account, status, ref",
        "batch, serial_start, serial_end, account, status, ref",
        "batch, serial_start",
        suffix,
    )
    op.create_index("holdings_account", "holdings", ["account", "batch", "status"])


def _rebuild(
    table: str, columns: str, into: str, values: str, order: str, options: str = ""
) -> None:
    """Replace SQLite ``table`` by ``CREATE TABLE table ({columns}){options}``, its rows
    (``values`` selected from the old table into the columns ``into``) copied over in
    ``order``. The old table's indexes go with it."""
    op.execute(f"CREATE TABLE {table}_rebuilt ({columns}){options}")
    op.execute(
        f"INSERT INTO {table}_rebuilt ({into}) SELECT {values} FROM {table} ORDER BY {order}"
    )
    op.drop_table(table)
    op.rename_table(f"{table}_rebuilt", table)
