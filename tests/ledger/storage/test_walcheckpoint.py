"""The write-ahead log of a SQLite ledger is checkpointed beside the writer."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import create_engine

from ledger.storage.engine import make_engine
from ledger.storage.walcheckpoint import WalCheckpointer
from tests.builders import build_world, lots


class TestWalCheckpointer:
    def test_pages_written_with_automatic_checkpoints_off_reach_the_database_file(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "wal.db"
        engine = make_engine(f"sqlite:///{path}")
        checkpointer = WalCheckpointer(engine, interval=0.01)
        with engine.connect() as writer:
            writer.exec_driver_sql("CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB)")
            writer.commit()
            checkpointer.start(writer)
            dbapi = writer.connection.dbapi_connection
            assert dbapi is not None
            assert dbapi.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
            writer.exec_driver_sql(
                "INSERT INTO t (a, b) VALUES (?, ?)", [(i, bytes(1000)) for i in range(3000)]
            )
            writer.commit()
            # The writer never copies its pages into the file: only the thread can.
            deadline = time.monotonic() + 30
            while path.stat().st_size < 3_000_000 and time.monotonic() < deadline:
                time.sleep(0.02)
            checkpointer.close()
        engine.dispose()
        assert path.stat().st_size >= 3_000_000

    def test_a_ledger_checkpoints_beside_its_writer_and_keeps_every_entry(
        self, tmp_path: Path
    ) -> None:
        world = build_world(f"sqlite:///{tmp_path / 'ledger.db'}")
        lg = world.ledger
        batch = world.issue(1_000, to="alice")
        for _ in range(5):
            world.submit(
                "alice",
                "transfer",
                {"from_account": "alice", "to_account": "bob", "lots": lots(batch, 1)},
            )
        dbapi = lg._conn.connection.dbapi_connection
        assert dbapi is not None
        assert dbapi.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        size = lg.size
        reopened = world.reopen()
        assert reopened.size == size
        assert world.held("bob", batch) == 5

    def test_only_a_sqlite_file_has_a_write_ahead_log_to_checkpoint(self) -> None:
        assert WalCheckpointer.applies(create_engine("sqlite:////tmp/x.db"))
        assert not WalCheckpointer.applies(create_engine("sqlite://"))
        assert not WalCheckpointer.applies(create_engine("sqlite:///:memory:"))
