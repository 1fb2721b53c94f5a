"""Conversions between state records and table rows, one pair per table.

Sets are stored as space-separated words, structured values as canonical JSON; everything
else maps column to field by name (``index`` is stored as ``idx``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import orjson
from sqlalchemy import Table as SqlTable

from ledger import canonical
from ledger.entry import Entry
from ledger.records import (
    Account,
    Aggregation,
    BalanceCommitment,
    Batch,
    Cancellation,
    CompensationCase,
    Correction,
    Custody,
    EmissionLine,
    EventRecord,
    Holding,
    KeyRecord,
    Lot,
    Methodology,
    Participant,
    Pledge,
    Program,
    Project,
    Redemption,
    Retirement,
    RevenueDistribution,
    Transfer,
)
from ledger.state import Table
from ledger.storage import schema


def _lots_out(lots: tuple[Lot, ...]) -> str:
    return canonical.encode_decoded([lot.to_json() for lot in lots]).decode()


def _lots_in(text: str) -> tuple[Lot, ...]:
    return tuple(
        Lot(item["batch"], tuple((int(s), int(e)) for s, e in item["ranges"]))
        for item in orjson.loads(text)
    )


def _json_out(value: Any) -> str:
    return canonical.encode_decoded(list(value) if isinstance(value, tuple) else value).decode()


def _params_in(text: str) -> tuple[dict[str, Any], ...]:
    return tuple(orjson.loads(text))


def _emissions_in(text: str) -> tuple[tuple[str, str, int], ...]:
    return tuple((str(st), str(src), int(grams)) for st, src, grams in orjson.loads(text))


def _roles_out(roles: frozenset[str]) -> str:
    return " ".join(sorted(roles))


def _roles_in(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Mapping_:
    """How one record type is stored."""

    table: SqlTable
    record: type[Any]
    out: Mapping[str, Callable[[Any], Any]]
    into: Mapping[str, Callable[[Any], Any]]
    _fields: tuple[tuple[str, str, Any, Any], ...] = ()
    _keys: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", frozenset(c.name for c in self.table.primary_key))
        names = tuple(f.name for f in fields(self.record))
        object.__setattr__(
            self,
            "_fields",
            tuple(
                (name, "idx" if name == "index" else name, self.out.get(name), self.into.get(name))
                for name in names
            ),
        )

    def to_row(self, record: Any) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name, column, encode, _ in self._fields:
            value = getattr(record, name)
            row[column] = encode(value) if encode is not None else value
        return row

    def changed_row(self, before: Any, after: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
        """The columns that differ between two versions of a record (its key is the same),
        and a row with those columns and the key's, as ``after`` holds them."""
        changed: list[str] = []
        row: dict[str, Any] = {}
        keys = self._keys
        for name, column, encode, _ in self._fields:
            value = getattr(after, name)
            if column in keys or value != getattr(before, name):
                row[column] = encode(value) if encode is not None else value
                if column not in keys:
                    changed.append(column)
        return tuple(changed), row

    def from_row(self, row: Mapping[str, Any]) -> Any:
        values: dict[str, Any] = {}
        for name, column, _, decode in self._fields:
            value = row[column]
            values[name] = decode(value) if decode is not None and value is not None else value
        return self.record(**values)


_LOTS = {"lots": _lots_out}
_LOTS_IN = {"lots": _lots_in}

MAPPINGS: dict[Table, Mapping_] = {
    Table.PARTICIPANT: Mapping_(
        schema.participants, Participant, {"roles": _roles_out}, {"roles": _roles_in}
    ),
    Table.KEY: Mapping_(schema.keys, KeyRecord, {}, {"public_key": bytes}),
    Table.PROGRAM: Mapping_(schema.programs, Program, {}, {}),
    Table.METHODOLOGY: Mapping_(
        schema.methodologies, Methodology, {"parameters": _json_out}, {"parameters": _params_in}
    ),
    Table.PROJECT: Mapping_(schema.projects, Project, {}, {}),
    Table.ACCOUNT: Mapping_(schema.accounts, Account, {}, {}),
    Table.BATCH: Mapping_(
        schema.batches, Batch, {"parameters": _json_out}, {"parameters": _params_in}
    ),
    Table.HOLDING: Mapping_(schema.holdings, Holding, {}, {}),
    Table.RETIREMENT: Mapping_(schema.retirements, Retirement, _LOTS, _LOTS_IN),
    Table.CANCELLATION: Mapping_(schema.cancellations, Cancellation, _LOTS, _LOTS_IN),
    Table.PLEDGE: Mapping_(schema.pledges, Pledge, _LOTS, _LOTS_IN),
    Table.TRANSFER: Mapping_(schema.transfers, Transfer, _LOTS, _LOTS_IN),
    Table.CORRECTION: Mapping_(
        schema.corrections, Correction, {"details": _json_out}, {"details": orjson.loads}
    ),
    Table.EVENT: Mapping_(
        schema.events, EventRecord, {"emissions": _json_out}, {"emissions": _emissions_in}
    ),
    Table.EVENT_EMISSION: Mapping_(schema.event_emissions, EmissionLine, {}, {}),
    Table.CASE: Mapping_(schema.compensation_cases, CompensationCase, {}, {}),
    Table.CUSTODY: Mapping_(schema.custody_totals, Custody, {}, {}),
    Table.REDEMPTION: Mapping_(schema.redemptions, Redemption, _LOTS, _LOTS_IN),
    Table.AGGREGATION: Mapping_(schema.aggregations, Aggregation, {}, {}),
    Table.REVENUE: Mapping_(schema.revenue_distributions, RevenueDistribution, {}, {}),
    Table.BALANCE_COMMITMENT: Mapping_(
        schema.balance_commitments, BalanceCommitment, {}, {"root": bytes}
    ),
}


def entry_row(
    entry: Entry, index: int, record: bytes, record_hash: bytes, time_ms: int
) -> dict[str, Any]:
    """The ``entries`` row of ``entry`` recorded at ``index`` as ``record``."""
    return {
        "idx": index,
        "record": record,
        "record_hash": record_hash,
        "entry_hash": entry.hash,
        "op": entry.op,
        "signer": entry.signer,
        "time_ms": time_ms,
        "seq": entry.seq,
    }
