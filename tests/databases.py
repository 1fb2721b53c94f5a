"""Fresh databases for tests, and snapshots of everything a ledger database holds.

``fresh_database`` gives a URL to an empty database: a SQLite file in a given directory by
default, or, when ``CARBONLEDGER_TEST_DB=postgresql``, a uniquely named PostgreSQL database on
127.0.0.1:5432 (trust authentication, user ``postgres``) created through the ``postgres``
database and dropped afterwards. ``snapshot`` reads every table of ``ledger.storage.schema``
in primary-key order, so that a test can show that a rejected entry changed nothing at all.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Engine, select

from ledger.storage import schema

DB_ENV = "CARBONLEDGER_TEST_DB"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_ADMIN_DSN = f"{PG_SERVER}/postgres"

Snapshot = dict[str, list[tuple[Any, ...]]]
"""Table name to its rows, in primary-key order."""


def database_kind() -> str:
    """``sqlite`` or ``postgresql``, from the environment."""
    kind = os.environ.get(DB_ENV, "sqlite") or "sqlite"
    if kind not in ("sqlite", "postgresql"):
        raise ValueError(f"{DB_ENV}={kind!r}, want 'sqlite' or 'postgresql'")
    return kind


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """The URL of a new, empty database that is removed when the block ends."""
    if database_kind() == "sqlite":
        yield f"sqlite:///{directory / 'ledger.db'}"
        return
    name = f"carbonledger_test_{uuid.uuid4().hex[:20]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            # FORCE: a test that failed half-way may have left a connection open.
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every ledger table, each table ordered by its primary key."""
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in schema.metadata.sorted_tables
        }


def changed_tables(before: Snapshot, after: Snapshot) -> list[str]:
    """Names of the tables whose rows differ between two snapshots."""
    return sorted(name for name in before.keys() | after.keys()
                  if before.get(name) != after.get(name))
