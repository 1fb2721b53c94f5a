"""The sequencer's ledger: accepting entries in order, hash-chaining them, sealing checkpoints.

``Ledger`` is the single writer of one log. ``submit`` applies a group of entries and makes
them durable in ONE database transaction together with the state they changed, their Merkle
nodes and, when due, a signed checkpoint: an entry is acknowledged only after that commit, and
a crash before it leaves no trace of the group. A rejected entry writes nothing; the others in
its group go ahead.
"""

from __future__ import annotations

import gc
import hashlib
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Connection, Engine, insert, select

from ledger.apply import apply_entry, collect_signatures, prefetch
from ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.client import Identity
from ledger.entry import Entry, parse_entry, parse_record, record_bytes
from ledger.errors import LedgerError, NotFound, RootMismatch, RuleViolation, VerificationError
from ledger.merkle.compact import CompactRange, range_nodes
from ledger.merkle.hashing import EMPTY_ROOT, leaf_hash, node_hash
from ledger.merkle.proofs import NodeId, consistency_proof, inclusion_proof
from ledger.note import NoteSigner, NoteVerifier
from ledger.ops import Event
from ledger.replay import tamper
from ledger.sigcheck import SignatureChecker
from ledger.state import GC_THRESHOLDS, Change, State
from ledger.storage import lookups, schema
from ledger.storage.backend import DatabaseBackend, execute_many, write_changes
from ledger.storage.engine import make_engine
from ledger.storage.rows import entry_row
from ledger.storage.walcheckpoint import WalCheckpointer

GENESIS_PREV = bytes(32)
GC_FREEZE_EVERY = 1
"""Groups between two ``gc.freeze()`` calls (see ``Ledger._pace_collector``)."""
GC_THAW_EVERY = 1000
"""Groups between two ``gc.unfreeze()`` calls."""
SWITCH_INTERVAL_S = 0.0002
"""How long a thread holding the interpreter lock keeps it while another waits, in a process
that writes a ledger (``sys.setswitchinterval``; Python's default is 5 ms). The writer thread
needs the lock back after each SQL statement it runs; with the default it waits up to 5 ms
each time behind the thread applying the next group, which made writes about a fifth slower
(measured with scripts/bench_ingest.py and bench_personal.py)."""
FORMAT_VERSION = "1"


@dataclass(frozen=True, slots=True)
class Accepted:
    """An entry in the log at ``index``; ``duplicate`` if it was already there."""

    index: int
    entry_hash: bytes
    event: Event | None
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class Rejected:
    """An entry refused, with the error that says why; nothing of it was written."""

    error: LedgerError


Outcome = Accepted | Rejected


@dataclass
class _Group:
    """What applying one group produced, before it is written."""

    outcomes: list[Outcome] = field(default_factory=list)
    entries: list[dict[str, object]] = field(default_factory=list)
    nodes: list[dict[str, object]] = field(default_factory=list)


@dataclass
class _Flight:
    """A group being written: its commit, and the head to return to if the write fails."""

    future: Future[None]
    head: tuple[CompactRange, bytes, int]
    sealed: int


class PendingGroup:
    """A group applied by ``Ledger.begin`` and being written."""

    def __init__(self, ledger: Ledger, flight: _Flight, outcomes: list[Outcome]) -> None:
        self._ledger = ledger
        self._flight = flight
        self.outcomes = outcomes

    def wait(self) -> list[Outcome]:
        """The outcomes, once the group is durable; raises if its write failed (then nothing
        of it, nor of a group applied after it, was kept)."""
        if self._ledger._in_flight is self._flight:
            self._ledger._settle()
        futures.wait([self._flight.future])
        error = self._flight.future.exception()
        if error is not None:
            raise error
        return self.outcomes


class Ledger:
    """One log, opened by its single writer (or read-only when ``signer`` is None)."""

    def __init__(self, engine: Engine, signer: NoteSigner | None, *, seal_every: int = 1000):
        self.engine = engine
        self.signer = signer
        self.seal_every = seal_every
        self._conn: Connection = engine.connect()
        # State is read on a connection of its own: while a group's write is in flight on
        # ``_conn``, the next group reads what is committed, and the cache holds the rest.
        self._reader: Connection = engine.connect()
        self._in_flight: _Flight | None = None
        self.state = State(DatabaseBackend(self._reader), forget_appended=True)
        self._checker = SignatureChecker()
        self._flusher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-writer")
        self._groups = 0
        self._wal = WalCheckpointer(engine) if WalCheckpointer.applies(engine) else None
        if signer is not None:
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
            gc.set_threshold(*map(max, gc.get_threshold(), GC_THRESHOLDS))
        self._load_head()
        if signer is not None and signer.verifier().vkey() != self.log_vkey:
            self._flusher.shutdown()
            self._reader.close()
            self._conn.close()
            raise RuleViolation(
                f"the log key given ({signer.verifier().vkey()}) is not this ledger's "
                f"({self.log_vkey})",
                code="wrong_log_key",
            )

    # -- creation -------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        url: str,
        origin: str,
        operator: Identity,
        signer: NoteSigner,
        *,
        operator_name: str = "Ledger operator",
        seal_every: int = 1000,
    ) -> Ledger:
        """Create the schema, record the log's identity, append and seal the genesis entry."""
        from ledger.storage.migrate import upgrade

        engine = make_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            if conn.execute(select(schema.meta.c.value)).first() is not None:
                raise RuleViolation(f"a ledger already exists at {url}", code="ledger_exists")
            conn.execute(
                insert(schema.meta),
                [
                    {"key": "origin", "value": origin},
                    {"key": "log_vkey", "value": signer.verifier().vkey()},
                    {"key": "format", "value": FORMAT_VERSION},
                ],
            )
        ledger = cls(engine, signer, seal_every=seal_every)
        genesis = operator.sign(
            origin,
            "genesis",
            {
                "origin": origin,
                "log_key": signer.verifier().vkey(),
                "operator_id": operator.participant,
                "operator_name": operator_name,
                "operator_key": operator.public_key_b64,
            },
        )
        (outcome,) = ledger.submit([genesis], seal=True)
        if isinstance(outcome, Rejected):
            raise outcome.error
        return ledger

    @classmethod
    def open(cls, url: str, signer: NoteSigner | None = None, *, seal_every: int = 1000) -> Ledger:
        engine = make_engine(url)
        from ledger.storage.migrate import upgrade

        upgrade(engine)
        return cls(engine, signer, seal_every=seal_every)

    def close(self) -> None:
        try:
            self._settle()
        finally:
            if self._groups >= GC_FREEZE_EVERY:
                gc.unfreeze()
            if self._wal is not None:
                self._wal.close()
            self._flusher.shutdown()
            self._checker.close()
            self._reader.close()
        self._conn.close()
        self.engine.dispose()

    # -- the head of the log ----------------------------------------------------------------
    def _load_head(self) -> None:
        conn = self._conn
        meta = dict(conn.execute(select(schema.meta.c.key, schema.meta.c.value)).all())
        if "origin" not in meta:
            raise NotFound("no ledger has been initialised in this database", code="no_ledger")
        self.origin = meta["origin"]
        self.log_vkey = meta["log_vkey"]
        e = schema.entries
        last = conn.execute(
            select(e.c.idx, e.c.record_hash, e.c.time_ms).order_by(e.c.idx.desc()).limit(1)
        ).first()
        size = 0 if last is None else last.idx + 1
        self._prev_hash = GENESIS_PREV if last is None else last.record_hash
        self._last_time = 0 if last is None else last.time_ms
        self._compact = CompactRange(size, self._fetch_nodes(conn, range_nodes(0, size)))
        c = schema.checkpoints
        sealed = conn.execute(select(c.c.size).order_by(c.c.size.desc()).limit(1)).scalar()
        self._sealed: int = sealed or 0
        self._lookups_to = lookups.marked(conn)  # read and moved by the writer only
        conn.commit()

    @property
    def size(self) -> int:
        return self._compact.size

    @property
    def sealed_size(self) -> int:
        return self._sealed

    # -- accepting entries -------------------------------------------------------------------
    def submit(
        self,
        raws: Sequence[bytes],
        *,
        seal: bool = False,
        before_commit: Callable[[Connection, list[Outcome]], None] | None = None,
    ) -> list[Outcome]:
        """Apply ``raws`` in order and make the accepted ones durable; one outcome each.

        Seals a checkpoint when ``seal`` is set or ``seal_every`` entries are unsealed.
        ``before_commit(connection, outcomes)``, if given, writes further rows in the group's
        own transaction just before it commits (the API's idempotency records); if it raises,
        the whole group is rolled back and the error propagates.
        Signatures are checked in a worker process while the rules run; if one turns out bad,
        the group is applied again with that entry checked inline, and so rejected.
        """
        return self.begin(raws, seal=seal, before_commit=before_commit).wait()

    def begin(
        self,
        raws: Sequence[bytes],
        *,
        seal: bool = False,
        before_commit: Callable[[Connection, list[Outcome]], None] | None = None,
    ) -> PendingGroup:
        """Apply ``raws`` now and start writing them; ``wait()`` on the result returns the
        outcomes once they are durable (what ``submit`` does at once).

        The pipelined form of ``submit``: the database write of one group runs in a writer
        thread (the database releases the interpreter lock while it works) while the caller
        parses and applies the next group. At most one group is written at a time: the next
        one reads committed state on a connection of its own (the cache holds what is being
        written), and its own write starts after the previous commit. If a write fails, that
        group and the one applied after it are both undone and both raise; nothing of either
        was acknowledged.
        """
        if self.signer is None:
            raise RuleViolation("this ledger was opened read-only", code="read_only")
        parsed: list[Entry | LedgerError] = []
        for raw in raws:
            try:
                parsed.append(parse_entry(raw))
            except LedgerError as exc:
                parsed.append(exc)
        head = self._head()
        sealed = self._sealed
        try:
            owners: list[int] = []
            known = [False] * len(parsed)
            collect: Callable[[], list[bool]] = list
            if self.size:  # before the genesis no key is registered to look up
                items, owners, known = collect_signatures(self.state, parsed)
                collect = self._checker.start(items)
                prefetch(self.state, parsed)
            group = self._apply_group(parsed, known)
            verdicts = collect()
            bad = {owners[i] for i, ok in enumerate(verdicts) if not ok}
            if bad:
                self._settle()  # the cache is dropped: what it holds of the previous group too
                self.state.discard()
                self._restore(head, sealed)
                head = self._head()
                group = self._apply_group(parsed, [k and p not in bad for p, k in enumerate(known)])
            changes = list(self.state.changes())
            checkpoint = self._checkpoint_due(seal)
        except BaseException:
            self._abandon(head, sealed)
            raise
        self._settle()  # the previous group's commit; if it failed, this group is undone too
        self.state.commit()
        if self._wal is not None:
            self._wal.start(self._conn)
        flight = _Flight(
            self._flusher.submit(self._write_group, group, changes, checkpoint, before_commit),
            head,
            sealed,
        )
        self._in_flight = flight
        self._pace_collector()
        return PendingGroup(self, flight, group.outcomes)

    def _pace_collector(self) -> None:
        """Keep the cyclic garbage collector off the state cache.

        The cache is hundreds of thousands of long-lived objects that every full collection
        would walk again (a fifth of the sequencer's time). After every group what exists is
        set aside (``gc.freeze``), so collections walk only what is new; now and then it is handed
        back, so cyclic garbage that was set aside (an error and its traceback) is collected
        in the end. Records are freed by reference counting either way.
        """
        if not gc.isenabled():
            return
        self._groups += 1
        if self._groups % GC_THAW_EVERY == 0:
            gc.unfreeze()
        elif self._groups % GC_FREEZE_EVERY == 0:
            gc.freeze()

    def _head(self) -> tuple[CompactRange, bytes, int]:
        return (
            CompactRange(self._compact.size, self._compact.frontier),
            self._prev_hash,
            self._last_time,
        )

    def _restore(self, head: tuple[CompactRange, bytes, int], sealed: int) -> None:
        compact, self._prev_hash, self._last_time = head
        self._compact = CompactRange(compact.size, compact.frontier)
        self._sealed = sealed

    def _abandon(self, head: tuple[CompactRange, bytes, int], sealed: int) -> None:
        """Undo a group that failed while being applied (after the write before it ends)."""
        flight = self._in_flight
        if flight is not None:
            futures.wait([flight.future])
            if flight.future.exception() is not None:
                self._settle_failed(flight)
                return
            self._in_flight = None
        self._conn.rollback()
        self._reader.rollback()
        self.state.discard()
        self._restore(head, sealed)

    def _wait_write(self) -> None:
        """Block until the group being written is committed (or failed)."""
        flight = self._in_flight
        if flight is not None and not flight.future.done():
            futures.wait([flight.future])

    def _settle(self) -> None:
        """Wait for the group being written; if its write failed, undo it (and anything
        applied after it) and raise its error."""
        flight = self._in_flight
        if flight is None:
            return
        futures.wait([flight.future])
        if flight.future.exception() is not None:
            self._settle_failed(flight)
        self._in_flight = None
        self._reader.rollback()  # the next read takes a snapshot with this group in it

    def _settle_failed(self, flight: _Flight) -> None:
        self._in_flight = None
        error = flight.future.exception()
        assert error is not None
        self._conn.rollback()
        self._reader.rollback()
        self.state.discard()
        self._restore(flight.head, flight.sealed)
        raise error

    def _apply_group(
        self, parsed: Sequence[Entry | LedgerError], verified: Sequence[bool]
    ) -> _Group:
        group = _Group()
        pending: dict[bytes, int] = {}
        now = max(int(time.time() * 1000), self._last_time)
        for entry, ok in zip(parsed, verified, strict=True):
            if isinstance(entry, LedgerError):
                group.outcomes.append(Rejected(entry))
                continue
            index = self._compact.size
            try:
                event = apply_entry(
                    self.state, entry, index=index, time_ms=now, origin=self.origin, verified=ok
                )
            except LedgerError as exc:
                group.outcomes.append(self._duplicate_or(exc, entry, pending))
                continue
            record = record_bytes(entry.raw, index, self._prev_hash, now)
            record_hash = hashlib.sha256(record).digest()
            entry_hash = entry.hash
            group.entries.append(entry_row(entry, index, record, record_hash, now))
            for level, idx, digest in self._compact.append(leaf_hash(record)):
                group.nodes.append({"level": level, "idx": idx, "hash": digest})
            self._prev_hash = record_hash
            pending[entry_hash] = index
            group.outcomes.append(Accepted(index, entry_hash, event))
        self._last_time = now
        return group

    def _checkpoint_due(self, seal: bool) -> dict[str, object] | None:
        """The row of a checkpoint signed now for the new head, when one is due."""
        # Nothing new to seal when every entry of the group was rejected or a duplicate.
        if self.size > self._sealed and (seal or self.size - self._sealed >= self.seal_every):
            return self._sign_head(self._last_time)
        return None

    def _write_group(
        self,
        group: _Group,
        changes: list[Change],
        checkpoint: dict[str, object] | None,
        before_commit: Callable[[Connection, list[Outcome]], None] | None,
    ) -> None:
        """Write a group's state changes, records, nodes and checkpoint, and commit (in the
        writer thread); roll back if anything fails."""
        conn = self._conn
        try:
            marked = self._write_rows(conn, changes, group)
            if checkpoint is not None:
                conn.execute(insert(schema.checkpoints), checkpoint)
            if before_commit is not None:
                before_commit(conn, group.outcomes)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        self._lookups_to = marked

    def _write_rows(self, conn: Connection, changes: Iterable[Change], group: _Group) -> int:
        """Write a group's state changes, records and nodes, and the lookup tables' next run
        once a run's worth of entries is past their mark; return the mark as committed."""
        write_changes(conn, changes)
        if not group.entries:
            return self._lookups_to
        execute_many(conn, "insert", schema.entries, group.entries)
        execute_many(conn, "insert", schema.merkle_nodes, group.nodes)
        end = cast(int, group.entries[-1]["idx"]) + 1
        if end - self._lookups_to < lookups.RUN:
            return self._lookups_to
        lookups.catch_up(conn, self._lookups_to, end)
        return end

    def seal(self) -> bytes | None:
        """Seal a checkpoint now if entries are unsealed; return its signed note."""
        self._settle()
        if self.size == self._sealed:
            return None
        now = max(int(time.time() * 1000), self._last_time)
        sealed = self._sealed
        try:
            row = self._sign_head(now)
            self._conn.execute(insert(schema.checkpoints), row)
            self._conn.commit()
        except BaseException:
            self._conn.rollback()
            self._sealed = sealed
            raise
        note = row["note"]
        assert isinstance(note, bytes)
        return note

    def _sign_head(self, now: int) -> dict[str, object]:
        """A checkpoint of the current head, signed; the ledger counts it as sealed."""
        assert self.signer is not None
        checkpoint = Checkpoint(self.origin, self.size, self._compact.root())
        note = sign_checkpoint(checkpoint, self.signer)
        self._sealed = checkpoint.size
        return {"size": checkpoint.size, "root": checkpoint.root, "time_ms": now, "note": note}

    def _duplicate_or(self, exc: LedgerError, entry: Entry, pending: dict[bytes, int]) -> Outcome:
        """A resubmitted entry is acknowledged again with its index, not applied twice.

        Looked up whatever the error: an entry in the log may since have become unacceptable
        for other reasons than its sequence number (its key revoked, the genesis resubmitted).
        """
        entry_hash = entry.hash
        index = pending.get(entry_hash)
        if index is None:
            self._wait_write()
            e = schema.entries
            found = self._conn.execute(
                select(e.c.idx, e.c.entry_hash).where(
                    e.c.idx.in_(lookups.signer_entry_ids(entry.signer, entry.seq))
                )
            ).first()
            if found is not None and bytes(found.entry_hash) == entry_hash:
                index = found.idx
        if index is None:
            return Rejected(exc)
        return Accepted(index, entry_hash, None, duplicate=True)

    # -- following another sequencer's log ---------------------------------------------------
    def append_records(
        self,
        records: Sequence[bytes],
        *,
        check_root: Callable[[int, bytes], None] | None = None,
        checkpoint: bytes | None = None,
    ) -> int:
        """Append records sequenced elsewhere, keeping their index and time; return the size.

        The write path of a follower, which holds no log key. Each record must be canonical,
        sit at the next index, chain to the record before it, not go back in time, and its
        entry must carry valid signatures from live keys and obey every rule when applied to
        this ledger's state: the first that fails raises TamperDetected naming its index.
        Then ``check_root(size, root)`` may refuse the new tree head, and ``checkpoint`` (a
        signed note, stored with the records) must verify under this log's key at exactly the
        new size and root. Everything is written in one transaction, or nothing at all.
        """
        self._settle()
        if self._wal is not None:
            self._wal.start(self._conn)
        head = self._head()
        sealed = self._sealed
        try:
            group = self._apply_records(*self._parse_records(records))
            root = self._compact.root()
            if check_root is not None:
                check_root(self.size, root)
            conn = self._conn
            marked = self._write_rows(conn, self.state.changes(), group)
            if checkpoint is not None:
                self._store_checkpoint(conn, checkpoint, root)
            conn.commit()
        except BaseException:
            self._conn.rollback()
            self._reader.rollback()
            self.state.discard()
            self._restore(head, sealed)
            raise
        self._lookups_to = marked
        self._reader.rollback()  # the next read takes a snapshot with these records in it
        self.state.commit()
        self._pace_collector()
        return self.size

    def _parse_records(
        self, records: Sequence[bytes]
    ) -> tuple[list[tuple[int, int, bytes, Entry]], LedgerError | None]:
        """(index, time, record bytes, entry) of the records before the first whose index,
        chain or time is wrong, and the error about that one (None if all are right)."""
        parsed: list[tuple[int, int, bytes, Entry]] = []
        prev, last_time = self._prev_hash, self._last_time
        for position, raw in enumerate(records):
            index = self.size + position
            try:
                record = parse_record(raw)
                entry = parse_entry(record.entry_raw)
            except LedgerError as exc:
                return parsed, tamper(index, f"malformed record: {exc.code}: {exc.message}")
            if record.index != index:
                return parsed, tamper(index, f"record says it is entry {record.index}")
            if record.prev_hash != prev:
                return parsed, tamper(index, "does not chain to the record before it")
            if record.time_ms < last_time:
                return parsed, tamper(index, "sequencing time goes backwards")
            parsed.append((index, record.time_ms, raw, entry))
            prev, last_time = hashlib.sha256(raw).digest(), record.time_ms
        return parsed, None

    def _apply_records(
        self, parsed: Sequence[tuple[int, int, bytes, Entry]], failure: LedgerError | None
    ) -> _Group:
        """Apply parsed records, signatures checked beside the rules; the first failure raises.

        ``failure`` is about the record after the last parsed one: an edited record shows first
        as a bad signature, then as a broken chain at the next record, and the first is named.
        """
        owners: list[int] = []
        known = [False] * len(parsed)
        collect: Callable[[], list[bool]] = list
        if self.size:  # before the genesis no key is registered to look up
            items, owners, known = collect_signatures(self.state, [p[3] for p in parsed])
            collect = self._checker.start(items)
            prefetch(self.state, [p[3] for p in parsed])
        group = _Group()
        for position, (index, time_ms, raw, entry) in enumerate(parsed):
            try:
                event = apply_entry(
                    self.state,
                    entry,
                    index=index,
                    time_ms=time_ms,
                    origin=self.origin,
                    verified=known[position],
                )
            except LedgerError as exc:
                failure = tamper(index, f"re-applying it fails: {exc.code}: {exc.message}")
                break
            record_hash = hashlib.sha256(raw).digest()
            group.entries.append(entry_row(entry, index, raw, record_hash, time_ms))
            for level, idx, digest in self._compact.append(leaf_hash(raw)):
                group.nodes.append({"level": level, "idx": idx, "hash": digest})
            self._prev_hash, self._last_time = record_hash, time_ms
            group.outcomes.append(Accepted(index, entry.hash, event))
        # A bad signature before the first rule failure is the first thing wrong.
        bad = [parsed[owners[i]][0] for i, ok in enumerate(collect()) if not ok]
        if bad and (failure is None or min(bad) <= failure.details["index"]):
            raise tamper(min(bad), "a signature does not verify")
        if failure is not None:
            raise failure
        return group

    def _store_checkpoint(self, conn: Connection, note: bytes, root: bytes) -> None:
        """Store a signed checkpoint made elsewhere, once it verifies for this size and root."""
        cp = open_checkpoint(note, NoteVerifier.from_vkey(self.log_vkey), origin=self.origin)
        if cp.size != self.size:
            raise VerificationError(
                f"checkpoint is for size {cp.size}, the log has {self.size}",
                code="checkpoint_size_mismatch",
            )
        if cp.root != root:
            raise RootMismatch(expected=cp.root, calculated=root)
        c = schema.checkpoints
        if conn.execute(select(c.c.size).where(c.c.size == cp.size)).first() is None:
            now = max(int(time.time() * 1000), self._last_time)
            conn.execute(
                insert(c), {"size": cp.size, "root": cp.root, "time_ms": now, "note": note}
            )
        self._sealed = max(self._sealed, cp.size)

    # -- reading the log ---------------------------------------------------------------------
    @staticmethod
    def _fetch_nodes(conn: Connection, ids: Sequence[NodeId]) -> list[bytes]:
        """Hashes of the stored nodes ``ids``, in order: one indexed query."""
        if not ids:
            return []
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        # An OR of primary-key equalities: both SQLite and PostgreSQL answer it from the index
        # (SQLite scans the whole table for a row-value IN list).
        where = " OR ".join([f"(level = {mark} AND idx = {mark})"] * len(ids))
        params = [value for node in ids for value in node]
        rows = conn.exec_driver_sql(
            f"SELECT level, idx, hash FROM merkle_nodes WHERE {where}", tuple(params)
        ).all()
        found = {(r[0], r[1]): bytes(r[2]) for r in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"Merkle nodes {missing[:3]} are not stored", code="missing_nodes")
        return [found[i] for i in ids]

    def root_at(self, size: int) -> bytes:
        """The Merkle root of the first ``size`` entries. Requires 0 <= size <= self.size."""
        if not 0 <= size <= self.size:
            raise NotFound(f"tree size {size} is beyond the log's {self.size}", code="bad_size")
        if size == 0:
            return EMPTY_ROOT
        with self.engine.connect() as conn:
            hashes = self._fetch_nodes(conn, range_nodes(0, size))
        root = hashes[-1]
        for digest in reversed(hashes[:-1]):
            root = node_hash(digest, root)
        return root

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self.engine.connect() as conn:
            return inclusion_proof(index, size, lambda ids: self._fetch_nodes(conn, ids))

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        with self.engine.connect() as conn:
            return consistency_proof(size1, size2, lambda ids: self._fetch_nodes(conn, ids))

    def record(self, index: int) -> bytes:
        e = schema.entries
        with self.engine.connect() as conn:
            raw = conn.execute(select(e.c.record).where(e.c.idx == index)).scalar()
        if raw is None:
            raise NotFound(f"no entry at index {index}", code="unknown_entry")
        return bytes(raw)

    def checkpoint(self, size: int | None = None) -> bytes:
        """The signed checkpoint note at ``size`` (the latest if None)."""
        c = schema.checkpoints
        query = select(c.c.note)
        query = (
            query.order_by(c.c.size.desc()).limit(1)
            if size is None
            else query.where(c.c.size == size)
        )
        with self.engine.connect() as conn:
            note = conn.execute(query).scalar()
        if note is None:
            raise NotFound(f"no checkpoint at size {size}", code="unknown_checkpoint")
        return bytes(note)
