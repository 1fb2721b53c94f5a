"""Response bodies of the routes for events, cases, regulators' reports and certificates.

Kept apart from ``api.schemas`` (the core resources) and built the same way, from the query
and report dataclasses by attribute. Amounts are integer grams CO2e, money integer fen.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas import CancellationOut, RetirementOut, Schema, SupplyOut


class EmissionTotalOut(Schema):
    stage: str
    source: str
    grams: int


class EmissionLineOut(Schema):
    line: int
    index: int
    stage: str
    source: str
    grams: int = Field(description="positive at registration; an amendment's signed change")
    basis: str
    reason: str | None


class EventOut(Schema):
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
    emitted: int
    covered: int
    uncovered: int
    neutral: bool = Field(description="covered >= emitted")
    neutral_at: int | None
    amended_at: int | None
    by_stage: dict[str, int]
    emissions: list[EmissionTotalOut]
    lines: list[EmissionLineOut]
    retirements: list[RetirementOut] = Field(description="the retirements counted toward it")


class CaseOut(Schema):
    case_number: str
    index: int
    authority: str
    liable_party: str
    damage_fen: int
    decision_digest: str
    required: int
    cancelled: int
    outstanding: int
    status: str
    jurisdiction: str
    closed_at: int | None
    note: str | None
    cancellations: list[CancellationOut] = Field(description="those counted toward it")


class AuditedBatchOut(Schema):
    id: str
    program: str
    region: str | None
    project: str
    project_owner: str | None
    methodology: str
    scenario: str | None
    vintage_start: str
    vintage_end: str
    origin_ref: str | None
    issued_at: int
    issued_time_ms: int | None
    issuer: str
    verifier: str
    report_digest: str
    verified_on: str
    supply: SupplyOut
    flags: list[str]


class FlagOut(Schema):
    code: str
    batch: str
    message: str


class AuditOut(Schema):
    scope: dict[str, str | None]
    batches: list[AuditedBatchOut]
    flags: list[FlagOut]
    supply: SupplyOut
    flag_counts: dict[str, int] = Field(description="batches flagged, per flag code")
    flag_codes: dict[str, str] = Field(description="what each flag code means")


class TotalRowOut(Schema):
    period: str
    key: str
    batches: int
    supply: SupplyOut


class TotalsOut(Schema):
    by: str
    every: str
    rows: list[TotalRowOut]
    total: SupplyOut


class TradeAnnouncementOut(Schema):
    index: int
    time_ms: int
    batches: list[str]
    programs: list[str]
    from_account: str
    to_account: str
    quantity: int
    price_fen_per_tonne: int
    value_fen: int = Field(description="quantity x price, rounded half up to the fen")
    venue: str | None
    settlement_ref: str | None
    corrected_by: int | None


class VenueOut(Schema):
    venue: str
    trades: int
    quantity: int
    value_fen: int
    average_price_fen_per_tonne: int


class TradesOut(Schema):
    trades: list[TradeAnnouncementOut]
    by_venue: list[VenueOut] = Field(description="reversed trades left out")


class CertificateVerified(Schema):
    verified: bool
    digest: str = Field(description="SHA-256 of the bundle's canonical encoding")
    claims: dict[str, Any]
