"""``accounts`` clustered by account id on SQLite (``WITHOUT ROWID``).

A bulk ``record_reductions`` entry looks up thousands of random personal accounts among
millions. In a rowid table each lookup descends the primary-key index and then the table; a
table clustered on its primary key is one descent, and has no separate key index to store and
update. The columns, keys, index and rows are unchanged, and PostgreSQL (where a table is never
clustered this way) is left as it is.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "id, holder, custodian, kind, opened_at"


def upgrade() -> None:
    """Rebuild ``accounts`` without a rowid (SQLite only), rows and index as they were."""
    _rebuild(with_rowid=False)


def downgrade() -> None:
    """Rebuild ``accounts`` as a rowid table again (SQLite only)."""
    _rebuild(with_rowid=True)


def _rebuild(*, with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    suffix = "" if with_rowid else " WITHOUT ROWID"
    # The definition of ``schema.accounts`` as SQLAlchemy creates it, under a new name first.
    op.execute(
        "CREATE TABLE accounts_rebuilt ("
        "id VARCHAR(128) NOT NULL, "
        "holder VARCHAR(128), "
        "custodian VARCHAR(128), "
        "kind VARCHAR(16) NOT NULL, "
        "opened_at BIGINT NOT NULL, "
        f"CONSTRAINT accounts_pkey PRIMARY KEY (id)){suffix}"
    )
    op.execute(
        f"INSERT INTO accounts_rebuilt ({_COLUMNS}) SELECT {_COLUMNS} FROM accounts ORDER BY id"
    )
    op.drop_table("accounts")  # and its index
    op.rename_table("accounts_rebuilt", "accounts")
    op.create_index("accounts_custodian", "accounts", ["custodian"])
