"""Bringing a database's schema up to date (Alembic migrations under ledger/migrations)."""

from __future__ import annotations

from sqlalchemy import Engine

from ledger.storage import schema


def upgrade(engine: Engine) -> None:
    """Create or migrate every table of the ledger schema."""
    schema.metadata.create_all(engine)
