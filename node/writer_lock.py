"""At most one writer per database: a lock held for as long as a sequencer holds the ledger.

Two processes appending to one log would fork it, so the sequencer takes an exclusive lock
before it opens the ledger for writing and keeps it until it stops: a PostgreSQL session-level
advisory lock on a connection of its own (released by the server if the process dies), or on
SQLite an ``flock`` on the file ``<database>.writer-lock`` beside the database (released by the
kernel if the process dies). An in-memory SQLite database belongs to one process anyway.
"""

from __future__ import annotations

import fcntl
import os
from typing import IO

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url

from ledger.errors import RuleViolation

# Any fixed 64-bit key, distinct from the migration lock's ("carbonwr").
PG_WRITER_KEY = 0x636172626F6E7772


class WriterLock:
    """An exclusive, process-wide claim to be the writer of one database."""

    def __init__(self, conn: Connection | None, file: IO[bytes] | None) -> None:
        self._conn = conn
        self._file = file

    @classmethod
    def acquire(cls, engine: Engine) -> WriterLock:
        """Take the writer lock of ``engine``'s database; RuleViolation ``writer_locked`` if
        another process holds it."""
        if engine.dialect.name == "postgresql":
            conn = engine.connect()
            got = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({PG_WRITER_KEY})").scalar()
            conn.commit()
            if not got:
                conn.close()
                raise _locked(engine)
            return cls(conn, None)
        database = make_url(str(engine.url)).database
        if engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return cls(None, None)
        file = open(f"{database}.writer-lock", "ab")  # noqa: SIM115 -- held until release()
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            file.close()
            raise _locked(engine) from exc
        os.set_inheritable(file.fileno(), False)
        return cls(None, file)

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        if self._conn is not None:
            self._conn.exec_driver_sql(f"SELECT pg_advisory_unlock({PG_WRITER_KEY})")
            self._conn.commit()
            self._conn.close()
            self._conn = None
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def _locked(engine: Engine) -> RuleViolation:
    return RuleViolation(
        f"another process is the writer of {engine.url.render_as_string(hide_password=True)}",
        code="writer_locked",
    )
