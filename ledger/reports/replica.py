"""The regulator's own copy of a ledger: a database it reads, or a bundle it replays.

``open_copy`` takes a database URL (a follower's database, say) and reads it as it is, or the
path of an export bundle, which it checks and replays from genesis into a temporary SQLite
database (log records, Merkle nodes, checkpoints and every state table), removed afterwards.
A replayed bundle is only as trusted as the checkpoint key it is checked against.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from ledger.bundle import Bundle
from ledger.checkpoint import open_checkpoint
from ledger.entry import parse_entry, parse_record
from ledger.errors import InvalidInput, LedgerError, VerificationError
from ledger.note import NoteVerifier
from ledger.replay import Node, ReplayReport, StoredRecord, replay
from ledger.state import State
from ledger.storage import lookups, schema
from ledger.storage.backend import DatabaseBackend, execute_many, write_changes
from ledger.storage.engine import make_engine
from ledger.storage.migrate import upgrade
from ledger.storage.rows import entry_row


def is_url(source: str) -> bool:
    return "://" in source


@contextmanager
def open_copy(source: str, *, log_vkey: str | None = None) -> Iterator[Engine]:
    """An engine on ``source``: a database URL as is, or a bundle replayed into a temporary
    SQLite database (checked against ``log_vkey``, or the bundle's own key)."""
    if is_url(source):
        engine = make_engine(source)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    if not Path(source).is_file():
        raise InvalidInput(
            f"{source} is neither a database URL nor a bundle file", code="bad_bundle"
        )
    directory = tempfile.mkdtemp(prefix="carbonledger-copy-")
    try:
        url = f"sqlite:///{os.path.join(directory, 'copy.db')}"
        load_bundle(source, url, log_vkey=log_vkey)
        engine = make_engine(url, durable=False)
        try:
            yield engine
        finally:
            engine.dispose()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def load_bundle(path: str | Path, url: str, *, log_vkey: str | None = None) -> ReplayReport:
    """Replay the bundle at ``path`` into the empty database at ``url``: a whole ledger.

    Raises TamperDetected at the first bad record, ``wrong_log_key`` when the bundle is signed
    by another key than ``log_vkey``.
    """
    bundle = Bundle(path)
    if log_vkey is not None and bundle.header.log_vkey != log_vkey:
        raise VerificationError(
            f"bundle is signed by {bundle.header.log_vkey}, the trusted key is {log_vkey}",
            code="wrong_log_key",
        )
    verifier = NoteVerifier.from_vkey(log_vkey or bundle.header.log_vkey)
    checkpoints = {open_checkpoint(note, verifier).size: note for note in bundle.checkpoints}
    engine = make_engine(url, durable=False)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            conn.execute(
                insert(schema.meta),
                [
                    {"key": "origin", "value": bundle.header.origin},
                    {"key": "log_vkey", "value": bundle.header.log_vkey},
                    {"key": "format", "value": "1"},
                ],
            )
            state = State(DatabaseBackend(conn))
            pending: list[dict[str, Any]] = []

            def records() -> Iterator[StoredRecord]:
                for stored in bundle.records():
                    pending.append(_entry_row(stored))
                    yield stored

            def after_chunk(nodes: Sequence[Node]) -> None:
                write_changes(conn, state.changes())
                rows = [row for row in pending if row]
                if rows:
                    execute_many(conn, "insert", schema.entries, rows)
                if nodes:
                    rows = [{"level": lv, "idx": i, "hash": h} for lv, i, h in nodes]
                    execute_many(conn, "insert", schema.merkle_nodes, rows)
                pending.clear()
                conn.commit()
                state.commit()

            report = replay(
                records(),
                checkpoints,
                origin=bundle.header.origin,
                log_verifier=verifier,
                state=state,
                after_chunk=after_chunk,
            )
            for size, note in sorted(checkpoints.items()):
                root = open_checkpoint(note, verifier).root
                row = {
                    "size": size,
                    "root": root,
                    "time_ms": _time_of(conn, size - 1),
                    "note": note,
                }
                conn.execute(insert(schema.checkpoints), row)
            lookups.catch_up(conn, 0, report.entries)
            conn.commit()
        return report
    finally:
        engine.dispose()


def _entry_row(stored: StoredRecord) -> dict[str, Any]:
    """The ``entries`` row of a record; empty if it is malformed (the replay names it)."""
    try:
        record = parse_record(stored.raw)
        entry = parse_entry(record.entry_raw)
    except (LedgerError, KeyError, TypeError, ValueError):
        return {}  # the replay raises TamperDetected at this record before it is written
    raw = stored.raw
    return entry_row(entry, stored.index, raw, hashlib.sha256(raw).digest(), record.time_ms)


def _time_of(conn: Connection, index: int) -> int:
    """Sequencing time of entry ``index``: when the checkpoint after it was sealed, or just
    before (a bundle does not carry sealing times)."""
    e = schema.entries
    value = conn.execute(select(e.c.time_ms).where(e.c.idx == index)).scalar()
    return 0 if value is None else int(value)
