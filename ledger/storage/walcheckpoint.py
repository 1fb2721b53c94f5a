"""Checkpointing a SQLite write-ahead log beside the writer instead of inside its commits.

In WAL mode a commit appends pages to the log file and, by default, the commit that takes the
log past 1,000 pages also copies the logged pages back into the database file (a checkpoint).
For the sequencer that copy is a good part of the writer's time, spent while the next group
waits. ``WalCheckpointer`` turns the automatic checkpoint off on the writer's connection and
runs PASSIVE checkpoints from a thread of its own on its own connection: SQLite copies pages
without the interpreter lock, without blocking the writer or any reader, and a commit is as
durable as before (it is on disk in the log, ``synchronous=FULL``, before it returns).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)

INTERVAL_S = 0.05
"""Seconds between two checkpoints."""


class WalCheckpointer:
    """PASSIVE checkpoints of one SQLite database file, every ``interval`` seconds."""

    def __init__(self, engine: Engine, interval: float = INTERVAL_S) -> None:
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def applies(engine: Engine) -> bool:
        """True for a SQLite database in a file (an in-memory one has no write-ahead log)."""
        database = engine.url.database
        return engine.url.get_backend_name() == "sqlite" and database not in (None, "", ":memory:")

    def start(self, writer: Connection) -> None:
        """Take checkpoints off ``writer``'s commits and start the thread (once)."""
        if self._thread is not None:
            return
        dbapi = writer.connection.dbapi_connection
        assert dbapi is not None
        dbapi.execute("PRAGMA wal_autocheckpoint=0")
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None

    def _run(self) -> None:
        """Checkpoint until stopped; a failed checkpoint is logged and tried again (the log
        file grows meanwhile, and nothing committed is lost)."""
        while not self._stop.is_set():
            try:
                with self._engine.connect() as conn:
                    dbapi = conn.connection.dbapi_connection
                    assert dbapi is not None
                    while not self._stop.wait(self._interval):
                        dbapi.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    dbapi.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except Exception:
                log.exception("checkpointing the write-ahead log failed; trying again")
                self._stop.wait(1.0)
