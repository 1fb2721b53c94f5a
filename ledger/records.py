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
    kind: str = "project"  # project (issue) | personal (record_reductions)


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


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A large-scale event to be made carbon neutral (MEE 2019 guideline structure).

    ``emissions`` are the current totals per (stage, source) in grams, after every amendment;
    ``covered`` the grams retired toward the event. Neutral when covered >= emitted.
    """

    id: str
    index: int
    organiser: str
    name: str
    start_date: str
    end_date: str
    place: str
    jurisdiction: str
    verifier: str | None
    report_digest: str | None
    emissions: tuple[tuple[str, str, int], ...]
    emitted: int
    covered: int
    lines: int
    """Emission lines recorded so far (registration and amendments), numbered from 0."""
    neutral_at: int | None = None
    """Log index of the entry that made covered >= emitted; None while not neutral."""
    amended_at: int | None = None


@dataclass(frozen=True, slots=True)
class EmissionLine:
    """One append-only line of an event's inventory: a registration item or an amendment."""

    event: str
    line: int
    index: int
    stage: str
    source: str
    grams: int
    """Positive at registration; an amendment's signed change."""
    basis: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CompensationCase:
    """An ecological-damage case: credits the liable party must cancel as alternative repair."""

    case_number: str
    index: int
    authority: str
    liable_party: str
    damage_fen: int
    decision_digest: str
    required: int
    cancelled: int
    status: str  # open | closed
    jurisdiction: str
    closed_at: int | None = None
    note: str | None = None


# -- personal carbon accounts (distributed carbon accounts) -----------------------------------
@dataclass(frozen=True, slots=True)
class Custody:
    """The personal accounts a platform keeps: how many, and the grams they hold (status held)."""

    platform: str
    accounts: int = 0
    held: int = 0


@dataclass(frozen=True, slots=True)
class Redemption:
    """Personal reductions given to a platform or merchant for points or a gift."""

    index: int
    account: str
    to_account: str
    issuer: str  # participant awarding the points or the gift
    lots: tuple[Lot, ...]
    quantity: int
    reward: str  # points | gift
    points_per_tonne: int | None
    points: int  # never grams: kept in points_balances only
    gift_ref: str | None
    gift_value_fen: int | None
    time_ms: int


@dataclass(frozen=True, slots=True)
class Aggregation:
    """Many persons' reductions pooled, with consent, into one tradable lot account."""

    id: str
    index: int
    platform: str
    account: str
    quantity: int
    contributors: int
    sold: int  # grams of sales whose revenue share is recorded
    time_ms: int


@dataclass(frozen=True, slots=True)
class RevenueDistribution:
    """How the revenue of one sale from an aggregated lot was shared with its contributors."""

    sale: int
    index: int
    aggregation: str
    quantity: int
    price_fen_per_tonne: int
    revenue_fen: int
    share_bps: int
    persons_fen: int
    platform_fen: int


@dataclass(frozen=True, slots=True)
class BalanceCommitment:
    """A platform's Merkle sum tree root over its personal balances, as of log size ``index``."""

    index: int
    platform: str
    root: bytes
    total: int
    leaves: int
    time_ms: int
