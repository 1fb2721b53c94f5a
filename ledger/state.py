"""The rules' view of ledger state: a write-back cache with an undo journal.

Operations read and write records through :class:`State`. Reads fall through to a
:class:`Backend` (the database) once per key; writes stay in memory until the sequencer flushes
a whole group of entries in one transaction. Every write is journalled, so a rejected entry is
rolled back exactly, and nothing it touched reaches storage.

Bulk entries write thousands of new records at once: ``insert_rows`` hands rows to storage as
they are (flushed before every other change) and ``preload`` lets reads see them (a layer of
new records under the cache, until storage holds them), each as one undo step. Every change of
a personal account's held ranges, and every personal account opened or moved to another
custodian, also updates its platform's custody total (``CUSTODY``: accounts and grams),
whichever operation made it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import filterfalse, repeat
from typing import Any, Protocol

from ledger.records import (
    Account,
    Aggregation,
    BalanceCommitment,
    Batch,
    Cancellation,
    CompensationCase,
    Correction,
    Custody,
    EventRecord,
    Holding,
    KeyRecord,
    Methodology,
    Participant,
    Pledge,
    Program,
    Project,
    Range,
    Redemption,
    Retirement,
    RevenueDistribution,
    Transfer,
)

GC_THRESHOLDS = (100_000, 10, 100)
"""The cyclic collector's thresholds in a process that writes a ledger (``gc.set_threshold``,
by ``ledger.log.Ledger``; Python's default is 700, 10, 10). Applying and writing an entry
allocates hundreds of objects, nearly all freed by reference counting at once: with the
default a young collection ran every few entries and found next to nothing, and the full
collections that followed walked every object not yet frozen. With these thresholds and the
state frozen after every group (``Ledger._pace_collector``, every tenth group before), 100,000
entries resumed on a 1M-entry ledger ran at 5,437 and 6,034 ops/s against 5,320 and 5,128
(scripts/bench_ingest.py --resume, alternating)."""


class Table(StrEnum):
    PARTICIPANT = "participant"
    KEY = "key"
    NONCE = "nonce"
    PROGRAM = "program"
    PROGRAM_ROLES = "program_roles"
    METHODOLOGY = "methodology"
    PROJECT = "project"
    ACCOUNT = "account"
    BATCH = "batch"
    HELD = "held"  # (account, batch) -> sorted tuple of held ranges
    HOLDING = "holding"  # (batch, start) -> Holding that is pledged, retired or cancelled
    RETIREMENT = "retirement"
    CANCELLATION = "cancellation"
    PLEDGE = "pledge"
    TRANSFER = "transfer"
    CORRECTION = "correction"
    EVENT = "event"
    EVENT_EMISSION = "event_emission"  # (event, line) -> EmissionLine; insert-only
    CASE = "case"
    ORIGIN = "origin"  # (program, origin_ref) -> batch id; derived from batches
    PROJECT_PERIODS = "project_periods"  # project -> ((start, end, batch), ...); derived
    # (its batches of kind "project": bulk personal batches are not periods of a project)
    # personal carbon accounts; State keeps CUSTODY in step with HELD and ACCOUNT
    CUSTODY = "custody"  # platform -> Custody of its personal accounts
    EVIDENCE = "evidence"  # evidence digest -> log index; derived from evidence_digests
    POINTS = "points"  # (account, issuer) -> points; never grams
    REDEMPTION = "redemption"
    AGGREGATION = "aggregation"
    CONTRIBUTIONS = "contributions"  # aggregation -> ((account, grams), ...); derived
    REVENUE = "revenue"  # sale index -> RevenueDistribution
    REVENUE_SHARES = "revenue_shares"  # insert-only rows, written with insert_rows
    BALANCE_COMMITMENT = "balance_commitment"
    PERSONAL_PROJECT = "personal_project"  # project -> True once it has personal batches
    ACCOUNT_BATCHES = "account_batches"  # account -> batches it holds; read through, not cached


DERIVED_TABLES = frozenset(
    {
        Table.ORIGIN,
        Table.PROJECT_PERIODS,
        Table.EVIDENCE,
        Table.CONTRIBUTIONS,
        Table.PERSONAL_PROJECT,
    }
)
"""Lookups kept in step by the rules but stored as part of another table's rows."""


class Backend(Protocol):
    """Where state comes from when it is not cached: one record (or None) per key."""

    def load(self, table: Table, key: Any) -> Any: ...

    def load_many(self, table: Table, keys: Sequence[Any]) -> dict[Any, Any]:
        """The records of ``keys`` that exist, in one round trip where the table allows it."""
        ...

    def count_in_custody(self, accounts: Sequence[str], custodian: str) -> int:
        """How many of ``accounts`` (distinct ids) are personal accounts kept by ``custodian``."""
        ...


@dataclass(frozen=True, slots=True)
class Change:
    table: Table
    key: Any
    before: Any
    after: Any


_MISSING = object()
_BULK = object()
ROWS = object()
"""The key of a ``Change`` that carries rows written by ``insert_rows`` (its ``after``)."""


class State:
    """Keyed records with write-back caching and an undo journal."""

    def __init__(
        self, backend: Backend, *, cache_limit: int = 200_000, forget_appended: bool = False
    ) -> None:
        self._backend = backend
        self._cache: dict[Table, dict[Any, Any]] = {t: {} for t in Table}
        self._before: dict[Table, dict[Any, Any]] = {t: {} for t in Table}
        self._journal: list[tuple[Table, Any, Any]] = []
        self._rows: list[tuple[Table, list[tuple[Any, ...]]]] = []
        self.cache_limit = cache_limit
        # forget_appended: drop the records a group wrote with ``append`` or ``preload`` (new
        # keys) from the cache at the next group's ``commit``, when the backend is a database
        # that holds them by then. New records (retirements, locked holdings, the ranges and
        # evidence of a bulk entry) are rarely read again, and would push the ones that are
        # (held ranges, batches) out of the cache.
        self.forget_appended = forget_appended
        self._appended: list[tuple[Table, Any]] = []
        self._forget: list[tuple[Table, Any]] = []
        # Layers of new records (``preload``), read under the cache, the newest first: those
        # of the group being applied and, with forget_appended, those of the group being
        # written (dropped when the next group commits).
        self._layers: dict[Table, list[dict[Any, Any]]] = {t: [] for t in Table}
        self._group_layers: list[tuple[Table, dict[Any, Any]]] = []
        self._written_layers: list[tuple[Table, dict[Any, Any]]] = []

    # -- generic access -------------------------------------------------------------------
    def get(self, table: Table, key: Any) -> Any:
        cached = self._cache[table].get(key, _MISSING)
        if cached is not _MISSING:
            return cached
        for layer in self._layers[table]:
            if key in layer:
                return layer[key]
        value = self._backend.load(table, key)
        self._cache[table][key] = value
        return value

    def put(self, table: Table, key: Any, value: Any) -> None:
        previous = self.get(table, key)
        self._record(table, key, previous)
        self._cache[table][key] = value
        if table is Table.HELD:
            self._held_changed(key[0], _grams(value) - _grams(previous))
        elif table is Table.ACCOUNT:
            self._account_changed(previous, value)

    def append(self, table: Table, key: Any, value: Any) -> None:
        """Write a record known to be new (insert-only tables), without reading first."""
        self._record(table, key, None)
        self._cache[table][key] = value
        if self.forget_appended:
            self._appended.append((table, key))

    def _record(self, table: Table, key: Any, previous: Any) -> None:
        self._journal.append((table, key, previous))
        before = self._before[table]
        if key not in before:
            before[key] = previous

    # -- bulk access: one round trip and one undo step for many records ----------------------
    def get_many(self, table: Table, keys: Iterable[Any], *, cache: bool = False) -> dict[Any, Any]:
        """The records of ``keys`` (None where there is none): cached or preloaded ones from
        memory, the rest with one backend call; ``cache`` keeps what was loaded for the writes
        to come."""
        found: dict[Any, Any] = {}
        missing = self._in_memory(table, keys, found)
        if missing:
            loaded = self._backend.load_many(table, missing)
            absent = dict.fromkeys(missing)
            found.update(absent)
            found.update(loaded)
            if cache:
                cached = self._cache[table]
                cached.update(absent)
                cached.update(loaded)
        return found

    def accounts_in_custody(self, accounts: Iterable[str], custodian: str) -> bool:
        """Whether every one of ``accounts`` exists and is a personal account kept by
        ``custodian``: records in memory are checked here, the others counted by the backend
        in one query, none of them loaded (a bulk entry credits thousands among millions)."""
        known: dict[str, Account | None] = {}
        stored = self._in_memory(Table.ACCOUNT, dict.fromkeys(accounts), known)
        for found in known.values():
            if found is None or found.kind != "personal" or found.custodian != custodian:
                return False
        return not stored or self._backend.count_in_custody(stored, custodian) == len(stored)

    def _in_memory(self, table: Table, keys: Iterable[Any], found: dict[Any, Any]) -> list[Any]:
        """Put the records of ``keys`` held in memory (the cache, then the layers) into
        ``found``; return the other keys. The cache is probed key by key (measured faster than
        a set intersection for the tuple keys of held ranges), the layers, thousands of new
        keys each, with set operations."""
        cached = self._cache[table]
        missing: list[Any] = []
        if cached:
            for key in keys:
                value = cached.get(key, _MISSING)
                if value is _MISSING:
                    missing.append(key)
                else:
                    found[key] = value
        else:
            missing.extend(keys)
        for layer in self._layers[table]:  # thousands of keys at a time: set operations
            if not missing:
                break
            hits = layer.keys() & missing
            if hits:
                found.update({key: layer[key] for key in hits})
                missing = list(filterfalse(hits.__contains__, missing))
        return missing

    def insert_rows(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        """Write ``rows`` of ``table`` (values in the stored table's column order) as they are,
        ahead of every other change of the group: the bulk path for records nothing reads back
        one by one. One undo step."""
        self._rows.append((table, rows))
        self._journal.append((table, _BULK, len(self._rows) - 1))

    def preload(self, table: Table, items: Iterable[tuple[Any, Any]]) -> None:
        """Make reads of these keys see these values: new records that the rows given to
        ``insert_rows`` will hold in storage once flushed; they are not flushed themselves.
        One undo step, and no loop per key: the values form a layer read under the cache,
        dropped once storage holds them (with ``forget_appended``), else merged into the cache
        when the group commits. A later ``put`` of a key is flushed as a change from its value.

        Requires keys that hold no record: one may have been read as absent (that reading is
        forgotten), none written.
        """
        layer = dict(items)
        cached, before = self._cache[table], self._before[table]
        for key in cached.keys() & layer.keys():
            if cached[key] is not None or key in before:
                raise ValueError(f"preload of {table} {key!r}, which holds a record")
            del cached[key]
        self._layers[table].insert(0, layer)
        self._group_layers.append((table, layer))
        self._journal.append((table, _BULK, layer))

    def credit_new_batch(
        self, batch: str, ranges: Sequence[tuple[str, int, int]], custodian: str
    ) -> None:
        """Credit serial ranges of a batch that has no holdings yet, one (account, start, end)
        per account, in one step: holdings rows, held ranges, custody total (bulk issuance).
        Requires every account credited to be a personal account kept by ``custodian``."""
        # holdings rows: batch, serial_start, serial_end, account, status, ref
        if not ranges:
            return
        accounts, starts, ends = zip(*ranges, strict=True)
        self.insert_rows(
            Table.HELD,
            list(zip(repeat(batch), starts, ends, accounts, repeat("held"), repeat(None))),
        )
        # (account, batch) -> ((start, end),), built by C-level iterators
        keys = zip(accounts, repeat(batch))
        values = zip(zip(starts, ends, strict=True), strict=True)
        self.preload(Table.HELD, zip(keys, values, strict=True))
        self._put_custody(custodian, 0, sum(ends) - sum(starts))

    # -- custody totals, kept in step with every change of held ranges ----------------------
    def _held_changed(self, account: str, delta: int) -> None:
        if delta == 0:
            return
        found = self.account(account)
        if found is not None and found.kind == "personal" and found.custodian is not None:
            self._put_custody(found.custodian, 0, delta)

    def _account_changed(self, before: Account | None, after: Account | None) -> None:
        """A personal account opened, or moved to another custodian with its balance."""
        if after is None or after.kind != "personal" or after.custodian is None:
            return
        if before is None:
            self._put_custody(after.custodian, 1, 0)
        elif before.custodian != after.custodian and before.custodian is not None:
            held = self.balance(after.id)
            self._put_custody(before.custodian, -1, -held)
            self._put_custody(after.custodian, 1, held)

    def _put_custody(self, platform: str, accounts: int, held: int) -> None:
        found = self.custody(platform)
        total = Custody(platform, found.accounts + accounts, found.held + held)
        self.put(Table.CUSTODY, platform, total if total.accounts else None)

    # -- transactions -----------------------------------------------------------------------
    def savepoint(self) -> int:
        return len(self._journal)

    def rollback(self, savepoint: int) -> None:
        """Undo every write made since ``savepoint``, newest first."""
        journal = self._journal
        while len(journal) > savepoint:
            table, key, previous = journal.pop()
            if key is _BULK:
                self._undo_bulk(table, previous)
            else:
                self._cache[table][key] = previous

    def _undo_bulk(self, table: Table, undo: Any) -> None:
        if isinstance(undo, int):
            del self._rows[undo:]
            return
        _drop(self._layers[table], undo)
        del self._group_layers[-1]  # undone newest first: the group's last layer

    def changes(self) -> Iterator[Change]:
        """Every key whose value differs from what storage holds, for flushing; the rows of
        ``insert_rows`` first, as ``Change(table, ROWS, None, rows)``."""
        for table, rows in self._rows:
            yield Change(table, ROWS, None, rows)
        for table, before in self._before.items():
            if table in DERIVED_TABLES:
                continue
            cache = self._cache[table]
            for key, old in before.items():
                new = cache[key]
                if new is not old and new != old:
                    yield Change(table, key, old, new)

    def commit(self) -> None:
        """Forget the journal once the group's changes are durable, or handed to the writer
        that makes them so; bound the cache.

        The cache keeps every record the group wrote: until its write commits, reads of other
        records may be served by another connection that does not see that write yet. With
        ``forget_appended``, the records the group before appended or preloaded are dropped
        now: its write has committed before this group's commit is called.
        """
        for table, key in self._forget:  # appended by the group before, durable by now
            if key not in self._before[table]:
                self._cache[table].pop(key, None)
        self._forget, self._appended = self._appended, []
        if self.forget_appended:
            for table, layer in self._written_layers:
                _drop(self._layers[table], layer)
            self._written_layers, self._group_layers = self._group_layers, []
        else:
            self._merge_layers()
        total = sum(len(c) for c in self._cache.values())
        if total > self.cache_limit:
            self._evict(total - self.cache_limit // 2, total, self._before)
        self._journal.clear()
        self._rows.clear()
        for before in self._before.values():
            before.clear()

    def _merge_layers(self) -> None:
        """Move the group's layers into the cache, under what the group wrote since."""
        for table, layer in self._group_layers:
            cached = self._cache[table]
            written = {key: cached[key] for key in layer.keys() & self._before[table].keys()}
            cached.update(layer)
            cached.update(written)
            self._layers[table].clear()
        self._group_layers = []

    def discard(self) -> None:
        """Drop every uncommitted write (the flush failed) and the whole cache."""
        self._journal.clear()
        self._rows.clear()
        self._appended.clear()
        self._forget.clear()
        self._group_layers.clear()
        self._written_layers.clear()
        for layers in self._layers.values():
            layers.clear()
        for before in self._before.values():
            before.clear()
        self.clear_cache()

    def _evict(self, count: int, total: int, keep: Mapping[Table, Mapping[Any, Any]]) -> None:
        """Forget about ``count`` cached records, the longest cached first in every table in
        proportion to its size (records read again are cached anew, so the ones in use stay),
        never one of ``keep``. Only between groups: every cached record
        not in ``keep`` then equals the stored one."""
        for table, cache in self._cache.items():
            drop = -(-len(cache) * count // total)
            kept = keep[table]
            if drop >= len(cache) and not kept:
                cache.clear()
                continue
            victims: list[Any] = []
            for key in cache:
                if len(victims) >= drop:
                    break
                if key not in kept:
                    victims.append(key)
            for key in victims:
                del cache[key]

    def clear_cache(self) -> None:
        for cache in self._cache.values():
            cache.clear()

    # -- typed accessors ---------------------------------------------------------------------
    def participant(self, pid: str) -> Participant | None:
        value: Participant | None = self.get(Table.PARTICIPANT, pid)
        return value

    def key(self, key_id: str) -> KeyRecord | None:
        value: KeyRecord | None = self.get(Table.KEY, key_id)
        return value

    def last_seq(self, pid: str) -> int:
        value: int | None = self.get(Table.NONCE, pid)
        return 0 if value is None else value

    def program(self, code: str) -> Program | None:
        value: Program | None = self.get(Table.PROGRAM, code)
        return value

    def program_roles(self, program: str, pid: str) -> frozenset[str]:
        value: frozenset[str] | None = self.get(Table.PROGRAM_ROLES, (program, pid))
        return frozenset() if value is None else value

    def methodology(self, mid: str) -> Methodology | None:
        value: Methodology | None = self.get(Table.METHODOLOGY, mid)
        return value

    def project(self, pid: str) -> Project | None:
        value: Project | None = self.get(Table.PROJECT, pid)
        return value

    def account(self, aid: str) -> Account | None:
        value: Account | None = self.get(Table.ACCOUNT, aid)
        return value

    def batch(self, bid: str) -> Batch | None:
        value: Batch | None = self.get(Table.BATCH, bid)
        return value

    def held(self, account: str, batch: str) -> tuple[Range, ...]:
        value: tuple[Range, ...] | None = self.get(Table.HELD, (account, batch))
        return () if value is None else value

    def holding(self, batch: str, start: int) -> Holding | None:
        value: Holding | None = self.get(Table.HOLDING, (batch, start))
        return value

    def retirement(self, rid: str) -> Retirement | None:
        value: Retirement | None = self.get(Table.RETIREMENT, rid)
        return value

    def cancellation(self, cid: str) -> Cancellation | None:
        value: Cancellation | None = self.get(Table.CANCELLATION, cid)
        return value

    def pledge(self, pid: str) -> Pledge | None:
        value: Pledge | None = self.get(Table.PLEDGE, pid)
        return value

    def origin(self, program: str, origin_ref: str) -> str | None:
        value: str | None = self.get(Table.ORIGIN, (program, origin_ref))
        return value

    def project_periods(self, project: str) -> tuple[tuple[str, str, str], ...]:
        value: tuple[tuple[str, str, str], ...] | None = self.get(Table.PROJECT_PERIODS, project)
        return () if value is None else value

    def transfer_record(self, index: int) -> Transfer | None:
        value: Transfer | None = self.get(Table.TRANSFER, index)
        return value

    def correction(self, index: int) -> Correction | None:
        value: Correction | None = self.get(Table.CORRECTION, index)
        return value

    def event(self, eid: str) -> EventRecord | None:
        value: EventRecord | None = self.get(Table.EVENT, eid)
        return value

    def case(self, case_number: str) -> CompensationCase | None:
        value: CompensationCase | None = self.get(Table.CASE, case_number)
        return value

    def balance(self, account: str) -> int:
        """Grams ``account`` holds (status held), in all batches: the batches storage knows it
        holds and those in memory (a scan of the cache and layers: for rare operations only)."""
        stored: tuple[str, ...] | None = self._backend.load(Table.ACCOUNT_BATCHES, account)
        batches = set(stored or ())
        for held in (self._cache[Table.HELD], *self._layers[Table.HELD]):
            batches.update(batch for holder, batch in held if holder == account)
        return sum(_grams(self.held(account, batch)) for batch in batches)

    def custody(self, platform: str) -> Custody:
        value: Custody | None = self.get(Table.CUSTODY, platform)
        return Custody(platform) if value is None else value

    def points(self, account: str, issuer: str) -> int:
        value: int | None = self.get(Table.POINTS, (account, issuer))
        return 0 if value is None else value

    def redemption(self, index: int) -> Redemption | None:
        value: Redemption | None = self.get(Table.REDEMPTION, index)
        return value

    def aggregation(self, aid: str) -> Aggregation | None:
        value: Aggregation | None = self.get(Table.AGGREGATION, aid)
        return value

    def contributions(self, aid: str) -> tuple[tuple[str, int], ...]:
        value: tuple[tuple[str, int], ...] | None = self.get(Table.CONTRIBUTIONS, aid)
        return () if value is None else value

    def revenue(self, sale: int) -> RevenueDistribution | None:
        value: RevenueDistribution | None = self.get(Table.REVENUE, sale)
        return value

    def personal_project(self, project: str) -> bool:
        """Whether ``project`` has batches of bulk personal records (then ``issue`` refuses it)."""
        return bool(self.get(Table.PERSONAL_PROJECT, project))

    def balance_commitment(self, index: int) -> BalanceCommitment | None:
        value: BalanceCommitment | None = self.get(Table.BALANCE_COMMITMENT, index)
        return value


def _drop(layers: list[dict[Any, Any]], layer: dict[Any, Any]) -> None:
    """Remove ``layer`` itself (not an equal one) from ``layers``."""
    del layers[next(i for i, held in enumerate(layers) if held is layer)]


def _grams(ranges: tuple[Range, ...] | None) -> int:
    return 0 if ranges is None else sum(end - start for start, end in ranges)


class MemoryBackend:
    """A backend with nothing in it: state built purely from replayed entries."""

    def load(self, table: Table, key: Any) -> Any:
        return None

    def load_many(self, table: Table, keys: Sequence[Any]) -> dict[Any, Any]:
        return {}

    def count_in_custody(self, accounts: Sequence[str], custodian: str) -> int:
        return 0
