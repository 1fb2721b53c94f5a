"""Alembic's environment for the ledger's migrations: which connection, which metadata.

Run through ``ledger.storage.migrate``: the connection to migrate arrives in
``config.attributes["connection"]`` and the migrations run inside the caller's transaction, which
commits them. Without a connection the ``sqlalchemy.url`` option names the database: online, an
engine from ``ledger.storage.engine.make_engine``; offline (``sql=True``), the SQL is written out
for a DBA to apply instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from ledger.storage.engine import make_engine
from ledger.storage.schema import metadata

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection in config.attributes and no sqlalchemy.url option")
    return url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: later migrations rebuild its tables in batch mode.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Write the migrations' SQL for the ``sqlalchemy.url`` database's dialect."""
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate the caller's connection, or else the ``sqlalchemy.url`` database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
