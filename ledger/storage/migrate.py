"""Bringing a database's schema up to date: the Alembic migrations under ``ledger/migrations``.

Alembic is configured in code, with no ``alembic.ini``: ``script_location`` is the package
directory ``ledger/migrations`` and the connection to migrate reaches ``env.py`` through
``Config.attributes["connection"]``, so one path serves SQLite files, in-memory SQLite and
PostgreSQL. A migration runs in one transaction that first takes the database's write lock
(``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL): two processes opening the same
fresh database do not both try to create the schema.

A new revision, once ``schema.py`` has changed::

    from alembic import command
    from ledger.storage.migrate import alembic_config
    command.revision(alembic_config(), "what changed", rev_id="0002")

then write its operations out by hand (``ledger/migrations/versions/0001_initial.py`` is the
model) and check them with ``tests/ledger/storage/test_migrations.py``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from ledger.storage import schema

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
BASELINE = "0001"
"""The initial revision: exactly the tables ``metadata.create_all`` made before migrations."""

# Any fixed 64-bit key ("carbonlg"); a transaction-level lock is released at commit.
_PG_LOCK_KEY = 0x636172626F6E6C67


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the ledger's migrations, bound to ``connection`` if given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """The newest revision under ``ledger/migrations/versions``."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations under {MIGRATIONS_DIR / 'versions'}")
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database on ``connection`` is at; None before any migration."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Create or migrate every table of the ledger schema, up to the newest revision.

    Idempotent: a database already at the head is only read. A database made before migrations
    existed (the tables present, no ``alembic_version``) is stamped with ``BASELINE`` first,
    since that revision creates exactly those tables.
    """
    head = head_revision()
    with engine.connect() as conn:
        if current_revision(conn) == head:
            return
        conn.rollback()
        with conn.begin():
            _lock(conn)
            # Checked again under the lock: another process may have migrated meanwhile.
            current = current_revision(conn)
            if current == head:
                return
            config = alembic_config(conn)
            if current is None and inspect(conn).has_table(schema.meta.name):
                command.stamp(config, BASELINE)
            command.upgrade(config, "head")


def _lock(conn: Connection) -> None:
    """Take the database's write lock for the rest of ``conn``'s transaction."""
    if conn.dialect.name == "sqlite":
        # pysqlite does not begin a transaction before DDL; begin one that holds the write lock
        # now, so the whole migration commits or rolls back as one.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
