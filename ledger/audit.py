"""Auditing a ledger database: the invariants check and the full replay from genesis.

``check_invariants`` reads the state tables and proves the credit invariants hold: every
batch's supply adds up, its serial ranges tile the batch with no gap or overlap, batches of a
program never share a serial, and every retirement, cancellation and pledge covers exactly the
ranges recorded for it. ``verify_ledger`` replays every record from genesis (``ledger.replay``)
with the state in memory, written to a scratch database as it goes, compares the stored Merkle
nodes with the recomputed ones, then compares every state table with the replayed state:
inside SQLite for a SQLite ledger, row by row (naming the first differing row) otherwise and
wherever a table differs.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, Table, func, select
from sqlalchemy.exc import DBAPIError

from ledger.errors import TamperDetected, VerificationError
from ledger.note import NoteVerifier
from ledger.personal.invariants import custody_problems
from ledger.replay import Node, ReplayReport, StoredRecord, replay, tamper
from ledger.state import MemoryBackend, State
from ledger.storage import lookups, schema
from ledger.storage.backend import write_changes
from ledger.storage.engine import make_engine
from ledger.storage.migrate import upgrade

LOG_TABLES = frozenset({"entries", "merkle_nodes", "checkpoints", "ledger_meta"})
STATE_TABLES = [
    t
    for t in schema.metadata.sorted_tables
    if t.name not in LOG_TABLES | schema.LOOKUP_TABLES and t.name not in schema.NOT_REPLAYED
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken invariant: a stable code, what is wrong, and where."""

    code: str
    message: str
    ref: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "ref": self.ref}


def check_invariants(engine: Engine) -> list[Problem]:
    """Every broken credit invariant in the database (an empty list when all hold)."""
    problems: list[Problem] = []
    b, h = schema.batches, schema.holdings
    with engine.connect() as conn:
        counters = {
            row.id: row
            for row in conn.execute(
                select(
                    b.c.id,
                    b.c.program,
                    b.c.serial_start,
                    b.c.serial_end,
                    b.c.issued,
                    b.c.held,
                    b.c.pledged,
                    b.c.retired,
                    b.c.cancelled,
                )
            )
        }
        for bid, row in counters.items():
            parts = (row.held, row.pledged, row.retired, row.cancelled)
            if row.issued != sum(parts) or min(parts) < 0 or row.issued <= 0:
                problems.append(
                    Problem(
                        "supply_mismatch",
                        f"issued {row.issued} != held {row.held} + pledged {row.pledged} + retired "
                        f"{row.retired} + cancelled {row.cancelled}",
                        bid,
                    )
                )
        sums: dict[tuple[str, str], int] = defaultdict(int)
        for total in conn.execute(
            select(h.c.batch, h.c.status, func.sum(h.c.serial_end - h.c.serial_start)).group_by(
                h.c.batch, h.c.status
            )
        ):
            sums[(total[0], total[1])] = int(total[2])
        for bid, row in counters.items():
            for status in ("held", "pledged", "retired", "cancelled"):
                if sums.get((bid, status), 0) != getattr(row, status):
                    problems.append(
                        Problem(
                            "supply_mismatch",
                            f"{status} ranges add up to {sums.get((bid, status), 0)} g, "
                            f"the batch says {getattr(row, status)} g",
                            bid,
                        )
                    )
        problems.extend(_check_tiling(conn, counters))
        problems.extend(_check_program_serials(counters.values()))
        problems.extend(_check_locks(conn))
        problems.extend(Problem(*p) for p in custody_problems(conn))
    return problems


def _check_tiling(conn: Connection, counters: dict[str, Any]) -> Iterator[Problem]:
    h = schema.holdings
    current: str | None = None
    cursor = 0
    rows = conn.execute(
        select(h.c.batch, h.c.serial_start, h.c.serial_end).order_by(h.c.batch, h.c.serial_start)
    )
    seen: set[str] = set()
    for batch, start, end in rows:
        if batch != current:
            if current is not None and cursor != counters[current].serial_end:
                yield Problem("serial_gap", f"serials {cursor}.. are in no holding", current)
            if batch not in counters:
                yield Problem("serial_outside_batch", f"holding of unknown batch {batch}", batch)
                current, cursor = batch, start
                continue
            current, cursor = batch, counters[batch].serial_start
            seen.add(batch)
        if end <= start:
            yield Problem("empty_range", f"range {start}-{end} is empty", batch)
        if start < cursor:
            yield Problem(
                "serial_overlap", f"range {start}-{end} overlaps serial {cursor - 1}", batch
            )
        elif start > cursor:
            yield Problem("serial_gap", f"serials {cursor}-{start} are in no holding", batch)
        cursor = max(cursor, end)
    if current is not None and current in counters and cursor != counters[current].serial_end:
        yield Problem(
            "serial_outside_batch" if cursor > counters[current].serial_end else "serial_gap",
            f"ranges end at {cursor}, the batch at {counters[current].serial_end}",
            current,
        )
    for bid in counters.keys() - seen:
        yield Problem("serial_gap", "the batch has no holdings at all", bid)


def _check_program_serials(batches: Any) -> Iterator[Problem]:
    ordered = sorted(batches, key=lambda r: (r.program, r.serial_start))
    for before, after in pairwise(ordered):
        if before.program == after.program and after.serial_start < before.serial_end:
            yield Problem("serial_overlap", f"serials overlap batch {before.id}", after.id)


def _check_locks(conn: Connection) -> Iterator[Problem]:
    h = schema.holdings
    locked: dict[str, int] = defaultdict(int)
    for ref, amount in conn.execute(
        select(h.c.ref, func.sum(h.c.serial_end - h.c.serial_start))
        .where(h.c.status != "held")
        .group_by(h.c.ref)
    ):
        locked[ref] = int(amount)
    tables: Sequence[tuple[Table, str]] = (
        (schema.retirements, "retired"),
        (schema.cancellations, "cancelled"),
    )
    for table, what in tables:
        for rid, quantity in conn.execute(select(table.c.id, table.c.quantity)):
            if locked.get(rid, 0) != quantity:
                yield Problem(
                    "lock_mismatch",
                    f"{what} {quantity} g but its ranges hold {locked.get(rid, 0)} g",
                    rid,
                )
    p = schema.pledges
    for pid, quantity, status in conn.execute(select(p.c.id, p.c.quantity, p.c.status)):
        want = quantity if status == "active" else 0
        if locked.get(pid, 0) != want:
            yield Problem(
                "lock_mismatch",
                f"pledge {status} with {want} g expected locked, {locked.get(pid, 0)} g found",
                pid,
            )


CHUNK_SIZE = 2000
"""Entries replayed between two checks of their stored Merkle nodes (and signature batches)."""
FLUSH_EVERY = 20_000
"""Replayed entries between two writes of the replayed state to the scratch database."""


def verify_ledger(
    url: str,
    *,
    log_vkey: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    flush_every: int = FLUSH_EVERY,
) -> ReplayReport:
    """Replay the ledger at ``url`` from genesis and compare everything stored with it.

    ``log_vkey``, if given, is the checkpoint key the caller trusts; otherwise the key recorded
    in the database is used (and only proves self-consistency). Raises TamperDetected.

    The replayed state lives in memory (nothing is read back from storage while replaying, as
    in the offline verifier) and is written to a scratch SQLite database every ``flush_every``
    entries, where the final comparison with the stored tables reads it.
    """
    engine = make_engine(url)
    scratch_dir = tempfile.mkdtemp(prefix="carbonledger-verify-")
    scratch_path = os.path.join(scratch_dir, "replay.db")
    scratch = make_engine(f"sqlite:///file:{scratch_path}?uri=true", durable=False)
    try:
        upgrade(scratch)
        with engine.connect() as conn, scratch.connect() as out:
            _write_only(out)
            meta = dict(conn.execute(select(schema.meta.c.key, schema.meta.c.value)).all())
            if log_vkey is not None and meta.get("log_vkey") != log_vkey:
                raise VerificationError(
                    f"the ledger's checkpoint key is {meta.get('log_vkey')}, "
                    f"the trusted key is {log_vkey}",
                    code="wrong_log_key",
                )
            c = schema.checkpoints
            checkpoints = {int(s): bytes(n) for s, n in conn.execute(select(c.c.size, c.c.note))}
            state = State(MemoryBackend(), cache_limit=sys.maxsize)
            generated = [0]
            unflushed = [0]

            def flush() -> None:
                write_changes(out, state.changes())
                out.commit()
                state.commit()
                unflushed[0] = 0

            def after_chunk(nodes: Sequence[Node]) -> None:
                _compare_nodes(conn, nodes)
                generated[0] += len(nodes)
                unflushed[0] += sum(1 for node in nodes if node[0] == 0)  # leaves: entries
                if unflushed[0] >= flush_every:
                    flush()

            records = _stored_records(engine)
            try:
                report = replay(
                    records,
                    checkpoints,
                    origin=meta["origin"],
                    log_verifier=NoteVerifier.from_vkey(log_vkey or meta["log_vkey"]),
                    state=state,
                    after_chunk=after_chunk,
                    chunk_size=chunk_size,
                    lookahead=True,
                )
            finally:
                records.close()  # its connection goes back now, not when collected
            flush()
            stored_nodes = conn.execute(
                select(func.count()).select_from(schema.merkle_nodes)
            ).scalar()
            if stored_nodes != generated[0]:
                raise TamperDetected(
                    f"{stored_nodes} Merkle nodes are stored, the records make {generated[0]}",
                    index=None,
                )
            wrong = lookups.mismatch(conn)
            if wrong is not None:
                raise TamperDetected(f"lookup table {wrong}", index=None)
            same = _identical_tables(out, engine)
            for table in STATE_TABLES:
                if table.name not in same:
                    _compare_table(conn, out, table)
        return report
    finally:
        scratch.dispose()
        engine.dispose()
        for name in os.listdir(scratch_dir):
            os.remove(os.path.join(scratch_dir, name))
        os.rmdir(scratch_dir)


def _write_only(scratch: Connection) -> None:
    """Make the scratch database cheaper to write: nothing reads it until the final
    comparison, which reads tables whole in primary-key order, so no secondary index."""
    names = scratch.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    ).scalars()
    for name in list(names):
        scratch.exec_driver_sql(f'DROP INDEX "{name}"')
    scratch.commit()


def _stored_records(engine: Engine) -> Generator[StoredRecord, None, None]:
    e = schema.entries
    with engine.connect() as conn:
        rows = conn.execution_options(yield_per=5000).execute(
            select(e.c.idx, e.c.record, e.c.record_hash).order_by(e.c.idx)
        )
        for idx, record, record_hash in rows:
            yield StoredRecord(int(idx), bytes(record), bytes(record_hash))


def _compare_nodes(conn: Connection, nodes: Sequence[Node]) -> None:
    """The stored Merkle nodes equal the ones recomputed for this chunk.

    A chunk's nodes of one level are consecutive, so each level is one range query whose rows
    are compared as a whole; only a level that differs is searched for its first wrong node.
    """
    by_level: dict[int, list[tuple[int, bytes]]] = defaultdict(list)
    for level, idx, digest in nodes:
        by_level[level].append((idx, digest))
    if not conn.in_transaction():
        conn.begin()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"SELECT idx, hash FROM {schema.merkle_nodes.name} "
        f"WHERE level = {mark} AND idx BETWEEN {mark} AND {mark} ORDER BY idx"
    )
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for level, want in by_level.items():
            cursor.execute(sql, (level, want[0][0], want[-1][0]))
            got = [(idx, bytes(digest)) for idx, digest in cursor.fetchall()]
            if got != want:
                stored = dict(got)
                for idx, digest in want:
                    if stored.get(idx) != digest:
                        raise tamper(idx << level, f"stored Merkle node ({level}, {idx}) is wrong")
    finally:
        cursor.close()


def _identical_tables(replayed: Connection, stored: Engine) -> set[str]:
    """The state tables a SQLite ledger holds exactly as replayed, compared inside SQLite.

    The stored file is attached read-only to the scratch database; a table is identical when
    it has as many rows as the replayed one and every replayed row is among them (primary keys
    make rows distinct). Tables not shown identical here (and every table of a PostgreSQL
    ledger) are walked row by row, which names the first differing row.
    """
    path = stored.url.database
    if stored.dialect.name != "sqlite" or not path or path == ":memory:":
        return set()
    same: set[str] = set()
    try:
        replayed.exec_driver_sql(
            "ATTACH DATABASE ? AS stored", (f"file:{quote(os.path.abspath(path))}?mode=ro",)
        )
    except DBAPIError:
        return same
    try:
        for table in STATE_TABLES:
            columns = ", ".join(c.name for c in table.columns)
            differs = replayed.exec_driver_sql(
                f"SELECT (SELECT count(*) FROM main.{table.name}) "
                f"!= (SELECT count(*) FROM stored.{table.name}) OR EXISTS ("
                f"SELECT {columns} FROM main.{table.name} "
                f"EXCEPT SELECT {columns} FROM stored.{table.name})"
            ).scalar()
            if differs == 0:
                same.add(table.name)
    except DBAPIError:
        pass  # a table altered beyond recognition: the row walk says what is wrong
    finally:
        replayed.rollback()  # the scratch database is dropped next, with the attachment
    return same


def _compare_table(stored: Connection, replayed: Connection, table: Table) -> None:
    """Raise TamperDetected at the first row where ``table`` differs from the replay."""
    order = list(table.primary_key.columns)
    columns = [c.name for c in table.columns]
    a = stored.execute(select(table).order_by(*order))
    b = replayed.execute(select(table).order_by(*order))
    for position, (left, right) in enumerate(_zip_longest(a, b)):
        if left != right:
            key = left or right
            pk = {c.name: key[columns.index(c.name)] for c in order} if key else {}
            raise TamperDetected(
                f"table {table.name} differs from the replayed state at row {position} ({pk}): "
                f"stored {left}, replayed {right}",
                table=table.name,
                key=str(pk),
                index=None,
            )


def _zip_longest(a: Any, b: Any) -> Iterator[tuple[Any, Any]]:
    ia, ib = iter(a), iter(b)
    while True:
        left, right = next(ia, None), next(ib, None)
        if left is None and right is None:
            return
        yield (
            tuple(left) if left is not None else None,
            tuple(right) if right is not None else None,
        )
