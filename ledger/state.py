"""The rules' view of ledger state: a write-back cache with an undo journal.

Operations read and write records through :class:`State`. Reads fall through to a
:class:`Backend` (the database) once per key; writes stay in memory until the sequencer flushes
a whole group of entries in one transaction. Every write is journalled, so a rejected entry is
rolled back exactly, and nothing it touched reaches storage.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from ledger.records import (
    Account,
    Batch,
    Cancellation,
    Correction,
    Holding,
    KeyRecord,
    Methodology,
    Participant,
    Pledge,
    Program,
    Project,
    Range,
    Retirement,
    Transfer,
)


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
    ORIGIN = "origin"  # (program, origin_ref) -> batch id; derived from batches
    PROJECT_PERIODS = "project_periods"  # project -> ((start, end, batch), ...); derived


DERIVED_TABLES = frozenset({Table.ORIGIN, Table.PROJECT_PERIODS})
"""Lookups kept in step by the rules but stored as part of another table's rows."""


class Backend(Protocol):
    """Where state comes from when it is not cached: one record (or None) per key."""

    def load(self, table: Table, key: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class Change:
    table: Table
    key: Any
    before: Any
    after: Any


_MISSING = object()


class State:
    """Keyed records with write-back caching and an undo journal."""

    def __init__(self, backend: Backend, *, cache_limit: int = 200_000) -> None:
        self._backend = backend
        self._cache: dict[Table, dict[Any, Any]] = {t: {} for t in Table}
        self._before: dict[Table, dict[Any, Any]] = {t: {} for t in Table}
        self._journal: list[tuple[Table, Any, Any]] = []
        self._cache_limit = cache_limit

    # -- generic access -------------------------------------------------------------------
    def get(self, table: Table, key: Any) -> Any:
        cached = self._cache[table].get(key, _MISSING)
        if cached is not _MISSING:
            return cached
        value = self._backend.load(table, key)
        self._cache[table][key] = value
        return value

    def put(self, table: Table, key: Any, value: Any) -> None:
        previous = self.get(table, key)
        self._record(table, key, previous)
        self._cache[table][key] = value

    def append(self, table: Table, key: Any, value: Any) -> None:
        """Write a record known to be new (insert-only tables), without reading first."""
        self._record(table, key, None)
        self._cache[table][key] = value

    def _record(self, table: Table, key: Any, previous: Any) -> None:
        self._journal.append((table, key, previous))
        before = self._before[table]
        if key not in before:
            before[key] = previous

    # -- transactions -----------------------------------------------------------------------
    def savepoint(self) -> int:
        return len(self._journal)

    def rollback(self, savepoint: int) -> None:
        """Undo every write made since ``savepoint``, newest first."""
        journal = self._journal
        while len(journal) > savepoint:
            table, key, previous = journal.pop()
            self._cache[table][key] = previous

    def changes(self) -> Iterator[Change]:
        """Every key whose value differs from what storage holds, for flushing."""
        for table, before in self._before.items():
            if table in DERIVED_TABLES:
                continue
            cache = self._cache[table]
            for key, old in before.items():
                new = cache[key]
                if new != old:
                    yield Change(table, key, old, new)

    def commit(self) -> None:
        """Forget the journal once changes are durable; bound the cache."""
        self._journal.clear()
        for before in self._before.values():
            before.clear()
        if sum(len(c) for c in self._cache.values()) > self._cache_limit:
            self.clear_cache()

    def discard(self) -> None:
        """Drop every uncommitted write (the flush failed) and the whole cache."""
        self._journal.clear()
        for before in self._before.values():
            before.clear()
        self.clear_cache()

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


class MemoryBackend:
    """A backend with nothing in it: state built purely from replayed entries."""

    def load(self, table: Table, key: Any) -> Any:
        return None
