"""Creating database engines: SQLite (the embedded default) or PostgreSQL, by URL.

SQLite runs in WAL mode with ``synchronous=FULL``: a commit is on disk before it returns, so an
acknowledged entry survives a crash or power loss. PostgreSQL is durable by default.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

DEFAULT_URL = "sqlite:///carbonledger.db"


def make_engine(url: str, *, durable: bool = True) -> Engine:
    """An engine for ``url``. ``durable=False`` skips fsync (scratch replays only)."""
    if url.startswith("sqlite"):
        # Statements the sequencer runs take a few dozen texts (lookups of each table padded to
        # a few lengths): room for all of them in the driver's prepared-statement cache.
        engine = create_engine(url, connect_args={"cached_statements": 512})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={'FULL' if durable else 'OFF'}")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True)
