"""The ledger's state records: what the rules read and write.

Every record is a frozen dataclass. The storage layer maps each to one table row; the rules
never see a database row or an ORM object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Range = tuple[int, int]
"""A half-open serial range ``[start, end)`` inside one batch; one serial is one gram."""


@dataclass(frozen=True, slots=True)
class Participant:
    id: str
    name: str
    kind: str
    roles: frozenset[str]
    identifier: str | None
    registered_at: int


@dataclass(frozen=True, slots=True)
class KeyRecord:
    key_id: str
    participant: str
    public_key: bytes
    added_at: int
    revoked_at: int | None = None


@dataclass(frozen=True, slots=True)
class Program:
    code: str
    name: str
    region: str
    administrator: str
    registered_at: int
    next_serial: int = 0
    batch_count: int = 0


@dataclass(frozen=True, slots=True)
class Methodology:
    id: str
    program: str
    code: str
    version: str
    title: str
    scenario: str
    region: str
    status: str
    parameters: tuple[dict[str, Any], ...]
    registered_at: int


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    program: str
    owner: str
    methodology: str
    title: str
    region: str
    city: str | None
    location: str | None
    approval_ref: str | None
    registered_at: int


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    holder: str | None
    custodian: str | None
    kind: str
    opened_at: int


@dataclass(frozen=True, slots=True)
class Batch:
    """An issuance: the supply counters obey issued = held + pledged + retired + cancelled."""

    id: str
    program: str
    project: str
    methodology: str
    vintage_start: str
    vintage_end: str
    serial_start: int
    serial_end: int
    origin_ref: str | None
    verifier: str
    report_digest: str
    verified_on: str
    issuer: str
    issued_at: int
    parameters: tuple[dict[str, Any], ...]
    issued: int
    held: int
    pledged: int = 0
    retired: int = 0
    cancelled: int = 0


@dataclass(frozen=True, slots=True)
class Holding:
    """One serial range of a batch and where it is; every serial of a batch is in exactly one."""

    batch: str
    serial_start: int
    serial_end: int
    account: str
    status: str  # held | pledged | retired | cancelled
    ref: str | None = None  # pledge, retirement or cancellation id


@dataclass(frozen=True, slots=True)
class Lot:
    """Ranges of one batch moved by an operation."""

    batch: str
    ranges: tuple[Range, ...]

    @property
    def quantity(self) -> int:
        return sum(end - start for start, end in self.ranges)

    def to_json(self) -> dict[str, Any]:
        return {"batch": self.batch, "ranges": [list(r) for r in self.ranges]}


@dataclass(frozen=True, slots=True)
class Retirement:
    id: str
    index: int
    account: str
    retired_by: str
    lots: tuple[Lot, ...]
    quantity: int
    beneficiary_name: str
    beneficiary_id: str | None
    purpose: str
    event_ref: str | None
    claim_ref: str | None
    jurisdiction: str
    period_start: str | None
    period_end: str | None
    note: str | None
    time_ms: int
    corrected_by: int | None = None


@dataclass(frozen=True, slots=True)
class Cancellation:
    id: str
    index: int
    account: str
    cancelled_by: str
    lots: tuple[Lot, ...]
    quantity: int
    reason: str
    authority: str | None
    case_number: str | None
    damage_fen: int | None
    decision_digest: str | None
    destination: str | None
    note: str | None
    time_ms: int


@dataclass(frozen=True, slots=True)
class Pledge:
    id: str
    index: int
    account: str
    bank: str
    lots: tuple[Lot, ...]
    quantity: int
    contract_ref: str | None
    status: str  # active | released | enforced
    closed_at: int | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    index: int
    from_account: str
    to_account: str
    lots: tuple[Lot, ...]
    quantity: int
    price_fen_per_tonne: int | None
    venue: str | None
    settlement_ref: str | None
    time_ms: int
    corrected_by: int | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    index: int
    corrects: int
    action: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
