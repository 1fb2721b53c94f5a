"""Replaying a log from genesis: the one check that proves a ledger is what it claims.

Every record must be canonical, sit at its index, chain to the previous record's hash, carry
valid signatures from live keys and obey every rule when re-applied to state built from the
records before it; every signed checkpoint must verify under the log's key and match the root
recomputed from the records. The first record that fails is named in ``TamperDetected``.
``replay`` is used by ``verify`` on a database and by the offline bundle verifier alike.

Records go in chunks: a chunk's signatures are checked in a worker process
(``ledger.sigcheck``) while its rules are applied here. With ``lookahead`` the next chunk is
read, parsed and handed to the worker before this chunk's verdicts are awaited, so the worker
always has work queued and the two cores stay busy.
"""

from __future__ import annotations

import gc
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from ledger.apply import apply_entry, collect_signatures
from ledger.checkpoint import open_checkpoint
from ledger.entry import Entry, parse_entry, parse_record
from ledger.errors import LedgerError, TamperDetected
from ledger.merkle.compact import CompactRange
from ledger.merkle.hashing import leaf_hash
from ledger.note import Verifier
from ledger.sigcheck import SignatureChecker
from ledger.state import State

GENESIS_PREV = bytes(32)
Node = tuple[int, int, bytes]
Parsed = tuple[int, int, bytes, Entry]
"""(index, sequencing time, record bytes, entry) of a record that parsed and chained."""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as found in storage: its claimed index, bytes and (optionally) stored hash."""

    index: int
    raw: bytes
    stored_hash: bytes | None = None


@dataclass
class ReplayReport:
    """What a successful replay checked."""

    entries: int = 0
    checkpoints: int = 0
    root: bytes = b""
    operations: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "checkpoints_verified": self.checkpoints,
            "root": self.root.hex(),
            "operations": dict(sorted(self.operations.items())),
            "seconds": round(self.seconds, 3),
        }


def tamper(index: int, reason: str) -> TamperDetected:
    return TamperDetected(f"entry {index}: {reason}", index=index, reason=reason)


def replay(
    records: Iterable[StoredRecord],
    checkpoints: Mapping[int, bytes],
    *,
    origin: str,
    log_verifier: Verifier,
    state: State,
    after_chunk: Callable[[Sequence[Node]], None] | None = None,
    chunk_size: int = 2000,
    lookahead: bool = False,
) -> ReplayReport:
    """Check ``records`` (in index order) and the signed ``checkpoints`` (by tree size).

    ``after_chunk`` is called after each chunk of records with the Merkle nodes they completed
    (to flush state and compare stored nodes). ``lookahead`` lets the next chunk be read from
    ``records`` before ``after_chunk`` sees this one (so only for an iterator with no side
    effects). Raises TamperDetected at the first wrong record.
    """
    started = time.perf_counter()
    report = ReplayReport()
    compact = CompactRange()
    checker = SignatureChecker()
    replayer = _Replayer(checkpoints, origin, log_verifier, state, compact, report)
    # Only when nothing else froze objects: unfreezing at the end must not undo another's.
    replayer.freeze = gc.isenabled() and gc.get_freeze_count() == 0
    try:
        replayer.run(_Reader(records, chunk_size), checker, after_chunk, lookahead)
    finally:
        checker.close()
        if replayer.freeze:
            gc.unfreeze()
    beyond = [size for size in checkpoints if size > compact.size]
    if beyond:
        raise tamper(compact.size, f"a checkpoint claims size {min(beyond)}, beyond the log")
    report.entries = compact.size
    report.root = compact.root()
    report.seconds = time.perf_counter() - started
    return report


class _Reader:
    """Reads records chunk by chunk and makes the checks that need no state: each record is
    canonical, at its index, chained to the one before, matches its stored hash, and is not
    sequenced before it."""

    def __init__(self, records: Iterable[StoredRecord], chunk_size: int) -> None:
        self._records = iter(records)
        self._chunk_size = chunk_size
        self._next = 0
        self._prev = GENESIS_PREV
        self._last_time = 0
        self._done = False

    def read(self) -> tuple[list[Parsed], TamperDetected | None] | None:
        """The next chunk's parsed records, up to the first wrong one (then its error); None
        once the records are exhausted or a wrong one was found."""
        if self._done:
            return None
        chunk = list(islice(self._records, self._chunk_size))
        if not chunk:
            self._done = True
            return None
        entries: list[Parsed] = []
        failure: TamperDetected | None = None
        prev, last_time, expected = self._prev, self._last_time, self._next
        sha256 = hashlib.sha256
        for stored in chunk:
            try:
                if stored.index != expected:
                    raise tamper(expected, f"missing: the next stored record is {stored.index}")
                record = parse_record(stored.raw)
                if record.index != expected:
                    raise tamper(expected, f"record says it is entry {record.index}")
                if record.prev_hash != prev:
                    raise tamper(
                        expected,
                        "does not chain to the record before it "
                        "(an entry was altered, deleted, inserted or reordered)",
                    )
                digest = sha256(stored.raw).digest()
                if stored.stored_hash is not None and stored.stored_hash != digest:
                    raise tamper(expected, "stored record hash differs from the record")
                if record.time_ms < last_time:
                    raise tamper(expected, "sequencing time goes backwards")
                entry = parse_entry(record.entry_raw)
            except TamperDetected as exc:
                failure = exc
                break
            except LedgerError as exc:
                failure = tamper(expected, f"malformed record: {exc.code}: {exc.message}")
                break
            entries.append((expected, record.time_ms, stored.raw, entry))
            prev, last_time = digest, record.time_ms
            expected += 1
        self._prev, self._last_time, self._next = prev, last_time, expected
        if failure is not None:
            self._done = True
        return entries, failure


@dataclass(slots=True)
class _Chunk:
    """Parsed records whose signatures are being checked beside the rules."""

    entries: list[Parsed]
    failure: TamperDetected | None
    """The record after ``entries`` that could not be read, if any."""
    verdicts: Callable[[], list[bool]]
    owners: list[int]
    known: list[bool]


class _Replayer:
    """Applies chunks to state and grows the Merkle tree, checking checkpoints on the way."""

    def __init__(
        self,
        checkpoints: Mapping[int, bytes],
        origin: str,
        log_verifier: Verifier,
        state: State,
        compact: CompactRange,
        report: ReplayReport,
    ) -> None:
        self.checkpoints = checkpoints
        self.origin = origin
        self.log_verifier = log_verifier
        self.state = state
        self.compact = compact
        self.report = report
        self.freeze = False

    def run(
        self,
        reader: _Reader,
        checker: SignatureChecker,
        after_chunk: Callable[[Sequence[Node]], None] | None,
        lookahead: bool,
    ) -> None:
        current = self._start(reader.read(), checker)
        while current is not None:
            nodes, failure = self._apply(current)
            upcoming: _Chunk | None = None
            deferred: Exception | None = None
            if lookahead and failure is None and current.failure is None:
                # Keys registered in this chunk are live now, so the next chunk's signatures
                # can be collected and queued behind this chunk's in the worker. What reading
                # it raises waits until this chunk is settled, as it would without lookahead.
                try:
                    upcoming = self._start(reader.read(), checker)
                except Exception as exc:  # re-raised below, once this chunk is settled
                    deferred = exc
            failure = _first_failure(current, failure)
            if failure is not None and failure is not current.failure:
                raise failure
            if after_chunk is not None:
                after_chunk(nodes)
            if current.failure is not None:
                raise current.failure
            if deferred is not None:
                raise deferred
            if self.freeze:
                # The replayed state is millions of long-lived objects which the cyclic
                # collector would walk again and again (a third of the replay's time): set
                # what exists aside until the replay ends, so collections walk only new ones.
                gc.freeze()
            current = upcoming if lookahead else self._start(reader.read(), checker)

    def _start(
        self, read: tuple[list[Parsed], TamperDetected | None] | None, checker: SignatureChecker
    ) -> _Chunk | None:
        """Begin checking a chunk's signatures whose keys are already registered."""
        if read is None:
            return None
        entries, failure = read
        if entries and entries[0][0] > 0:  # before the genesis no key is registered
            items, owners, known = collect_signatures(self.state, [e[3] for e in entries])
            return _Chunk(entries, failure, checker.start(items), owners, known)
        return _Chunk(entries, failure, list, [], [False] * len(entries))

    def _apply(self, chunk: _Chunk) -> tuple[list[Node], TamperDetected | None]:
        """Apply a chunk's entries until one fails; the nodes they made and that failure."""
        state, origin, compact, checkpoints = (
            self.state,
            self.origin,
            self.compact,
            self.checkpoints,
        )
        operations = self.report.operations
        known = chunk.known
        nodes: list[Node] = []
        for position, (index, time_ms, raw, entry) in enumerate(chunk.entries):
            try:
                apply_entry(
                    state,
                    entry,
                    index=index,
                    time_ms=time_ms,
                    origin=origin,
                    verified=known[position],
                )
            except LedgerError as exc:
                return nodes, tamper(index, f"re-applying it fails: {exc.code}: {exc.message}")
            operations[entry.op] += 1
            nodes.extend(compact.append(leaf_hash(raw)))
            note = checkpoints.get(compact.size)
            if note is not None:
                try:
                    _check_checkpoint(note, compact, origin, self.log_verifier)
                except TamperDetected as exc:
                    return nodes, exc
                self.report.checkpoints += 1
        return nodes, None


def _first_failure(chunk: _Chunk, failure: TamperDetected | None) -> TamperDetected | None:
    """The earliest of a bad signature in ``chunk``, ``failure`` and the chunk's own failure
    (a record that could not be read, after every entry of the chunk)."""
    bad = [chunk.owners[i] for i, ok in enumerate(chunk.verdicts()) if not ok]
    if bad and (failure is None or chunk.entries[min(bad)][0] <= failure.details["index"]):
        return tamper(chunk.entries[min(bad)][0], "a signature does not verify")
    return failure if failure is not None else chunk.failure


def _check_checkpoint(
    note: bytes, compact: CompactRange, origin: str, log_verifier: Verifier
) -> None:
    last = compact.size - 1
    try:
        checkpoint = open_checkpoint(note, log_verifier, origin=origin)
    except LedgerError as exc:
        raise tamper(
            last, f"checkpoint at size {compact.size} does not verify: {exc.message}"
        ) from exc
    if checkpoint.size != compact.size:
        raise tamper(last, f"checkpoint stored for size {compact.size} says {checkpoint.size}")
    root = compact.root()
    if checkpoint.root != root:
        raise tamper(
            last,
            f"the signed checkpoint at size {compact.size} has root {checkpoint.root.hex()}, "
            f"the records give {root.hex()}",
        )
