"""Replaying a log from genesis: the one check that proves a ledger is what it claims.

Every record must be canonical, sit at its index, chain to the previous record's hash, carry
valid signatures from live keys and obey every rule when re-applied to state built from the
records before it; every signed checkpoint must verify under the log's key and match the root
recomputed from the records. The first record that fails is named in ``TamperDetected``.
``replay`` is used by ``verify`` on a database and by the offline bundle verifier alike.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
) -> ReplayReport:
    """Check ``records`` (in index order) and the signed ``checkpoints`` (by tree size).

    ``after_chunk`` is called after each chunk of records with the Merkle nodes they completed
    (to flush state and compare stored nodes). Raises TamperDetected at the first wrong record.
    """
    started = time.perf_counter()
    report = ReplayReport()
    compact = CompactRange()
    checker = SignatureChecker()
    try:
        _replay_records(
            records,
            checkpoints,
            origin,
            log_verifier,
            state,
            after_chunk,
            chunk_size,
            checker,
            compact,
            report,
        )
    finally:
        checker.close()
    beyond = [size for size in checkpoints if size > compact.size]
    if beyond:
        raise tamper(compact.size, f"a checkpoint claims size {min(beyond)}, beyond the log")
    report.entries = compact.size
    report.root = compact.root()
    report.seconds = time.perf_counter() - started
    return report


def _replay_records(
    records: Iterable[StoredRecord],
    checkpoints: Mapping[int, bytes],
    origin: str,
    log_verifier: Verifier,
    state: State,
    after_chunk: Callable[[Sequence[Node]], None] | None,
    chunk_size: int,
    checker: SignatureChecker,
    compact: CompactRange,
    report: ReplayReport,
) -> None:
    prev = GENESIS_PREV
    last_time = 0
    for chunk in _chunks(iter(records), chunk_size):
        entries: list[tuple[int, int, bytes, Entry]] = []
        failure: TamperDetected | None = None
        for stored in chunk:
            expected = compact.size + len(entries)
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
                digest = hashlib.sha256(stored.raw).digest()
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
        nodes = _apply_chunk(
            entries, checkpoints, origin, log_verifier, state, compact, report, checker
        )
        if after_chunk is not None:
            after_chunk(nodes)
        if failure is not None:
            raise failure


def _apply_chunk(
    entries: Sequence[tuple[int, int, bytes, Entry]],
    checkpoints: Mapping[int, bytes],
    origin: str,
    log_verifier: Verifier,
    state: State,
    compact: CompactRange,
    report: ReplayReport,
    checker: SignatureChecker,
) -> list[Node]:
    """Apply a chunk with its signatures checked beside it; the first failure is raised."""
    owners: list[int] = []
    known = [False] * len(entries)
    collect: Callable[[], list[bool]] = list
    if compact.size:  # before the genesis no key is registered to look up
        items, owners, known = collect_signatures(state, [e for _, _, _, e in entries])
        collect = checker.start(items)
    nodes: list[Node] = []
    failure: TamperDetected | None = None
    for position, (index, time_ms, raw, entry) in enumerate(entries):
        try:
            apply_entry(
                state, entry, index=index, time_ms=time_ms, origin=origin, verified=known[position]
            )
        except LedgerError as exc:
            failure = tamper(index, f"re-applying it fails: {exc.code}: {exc.message}")
            break
        report.operations[entry.op] += 1
        nodes.extend(compact.append(leaf_hash(raw)))
        note = checkpoints.get(compact.size)
        if note is not None:
            try:
                _check_checkpoint(note, compact, origin, log_verifier)
            except TamperDetected as exc:
                failure = exc
                break
            report.checkpoints += 1
    bad = [owners[i] for i, ok in enumerate(collect()) if not ok]
    if bad and (failure is None or entries[min(bad)][0] <= failure.details["index"]):
        raise tamper(entries[min(bad)][0], "a signature does not verify")
    if failure is not None:
        raise failure
    return nodes


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


def _chunks(items: Iterator[StoredRecord], size: int) -> Iterator[list[StoredRecord]]:
    while chunk := list(islice(items, size)):
        yield chunk
