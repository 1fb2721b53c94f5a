"""Response bodies of the API: pydantic models, apart from the storage tables and the query
dataclasses they are built from (``Model.model_validate(view)`` reads a view's attributes).

Amounts are integer grams CO2e and money integer fen, as everywhere in the ledger. Hashes are
hex, except in the log replication contract (records, proofs, roots), which uses base64.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from api.problems import Problem

T = TypeVar("T")


def _hex(value: Any) -> Any:
    return value.hex() if isinstance(value, bytes | bytearray | memoryview) else value


def _b64(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


Hex = Annotated[str, BeforeValidator(_hex)]
"""Bytes written as lowercase hex."""
B64 = Annotated[str, BeforeValidator(_b64)]
"""Bytes written as standard base64."""


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


class Page(Schema, Generic[T]):
    """One page of a list: ``next_offset`` is where the next page starts, null on the last."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None


def page(items: list[T], limit: int, offset: int) -> dict[str, Any]:
    """The fields of a ``Page`` holding ``items`` (a full page may have a successor)."""
    more = len(items) == limit
    return {
        "items": items,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if more else None,
    }


# -- writes ---------------------------------------------------------------------------------
class EventOut(Schema):
    op: str
    data: dict[str, Any]


class EntryAccepted(Schema):
    """An entry in the log at ``index``; ``duplicate`` when it was there already."""

    index: int
    entry_hash: str = Field(description="hex SHA-256 of the entry bytes")
    duplicate: bool
    event: EventOut | None = Field(description="what the entry did; null for a duplicate")


class BulkOutcome(Schema):
    """The outcome of one line: its log ``index``, or the ``problem`` that refused it."""

    line: int = Field(description="0-based line number in the request")
    index: int | None = None
    duplicate: bool | None = None
    problem: Problem | None = None


class BulkResult(Schema):
    accepted: int = Field(description="lines appended to the log now")
    duplicates: int = Field(description="lines already in the log, acknowledged again")
    rejected: int
    results: list[BulkOutcome]


# -- the log --------------------------------------------------------------------------------
class LogInfo(Schema):
    origin: str
    log_vkey: str
    size: int
    sealed_size: int


class LogRecord(Schema):
    index: int
    record: B64


class LogRecords(Schema):
    records: list[LogRecord]


class InclusionProofOut(Schema):
    index: int
    size: int
    proof: list[B64]
    root: B64


class ConsistencyProofOut(Schema):
    model_config = ConfigDict(from_attributes=True, frozen=True, populate_by_name=True)

    from_: int = Field(alias="from")
    to: int
    proof: list[B64]


class CosignaturesAdded(Schema):
    size: int
    added: int = Field(description="cosignature lines stored now (others were already there)")


class EntryOut(Schema):
    index: int
    op: str
    signer: str
    time_ms: int
    entry_hash: Hex
    record_hash: Hex


class EntryRecordOut(Schema):
    index: int
    time_ms: int
    prev: str
    op: str
    signer: str
    seq: int
    body: dict[str, Any]
    signatures: list[dict[str, str]]
    record: B64 = Field(description="the canonical record bytes (the Merkle leaf), base64")


# -- who and what is registered ---------------------------------------------------------------
class KeyOut(Schema):
    key_id: str
    public_key: str
    added_at: int
    revoked_at: int | None


class ParticipantOut(Schema):
    id: str
    name: str
    kind: str
    roles: list[str]
    identifier: str | None
    registered_at: int
    keys: list[KeyOut]


class NextSeq(Schema):
    participant: str
    next_seq: int


class ProgramOut(Schema):
    code: str
    name: str
    region: str
    administrator: str
    registered_at: int
    batch_count: int
    next_serial: int
    roles: dict[str, list[str]]


class MethodologyOut(Schema):
    id: str
    program: str
    code: str
    version: str
    title: str
    scenario: str
    region: str
    status: str
    parameters: list[dict[str, str]]
    registered_at: int


class ProjectOut(Schema):
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


class AccountOut(Schema):
    id: str
    holder: str | None
    custodian: str | None
    kind: str
    opened_at: int


# -- credits ----------------------------------------------------------------------------------
class SupplyOut(Schema):
    """Grams: issued = held + pledged + retired + cancelled."""

    issued: int
    held: int
    pledged: int
    retired: int
    cancelled: int


class BatchOut(Schema):
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
    parameters: list[dict[str, str]]
    supply: SupplyOut


class HoldingOut(Schema):
    batch: str
    serial_start: int
    serial_end: int
    quantity: int
    status: str
    ref: str | None


class BalanceOut(Schema):
    batch: str
    held: int
    pledged: int
    retired: int
    cancelled: int


class LotOut(Schema):
    batch: str
    ranges: list[list[int]] = Field(description="[serial_start, serial_end) pairs")


class HistoryItemOut(Schema):
    index: int
    time_ms: int
    kind: str
    quantity: int
    counterparty: str | None
    ref: str | None
    lots: list[LotOut]
    price_fen_per_tonne: int | None
    venue: str | None


class RetirementOut(Schema):
    id: str
    index: int
    time_ms: int
    account: str
    retired_by: str
    quantity: int
    lots: list[LotOut]
    beneficiary_name: str
    beneficiary_id: str | None
    purpose: str
    event_ref: str | None
    claim_ref: str | None
    jurisdiction: str
    period_start: str | None
    period_end: str | None
    note: str | None
    corrected_by: int | None


class CancellationOut(Schema):
    id: str
    index: int
    time_ms: int
    account: str
    cancelled_by: str
    quantity: int
    lots: list[LotOut]
    reason: str
    authority: str | None
    case_number: str | None
    damage_fen: int | None
    decision_digest: str | None
    destination: str | None
    note: str | None


class PledgeOut(Schema):
    id: str
    index: int
    account: str
    bank: str
    quantity: int
    lots: list[LotOut]
    contract_ref: str | None
    status: str
    closed_at: int | None


class TradeOut(Schema):
    index: int
    time_ms: int
    from_account: str
    to_account: str
    quantity: int
    lots: list[LotOut]
    price_fen_per_tonne: int
    value_fen: int = Field(description="quantity x price, rounded half up to the fen")
    venue: str | None
    settlement_ref: str | None
    corrected_by: int | None


# -- the service ------------------------------------------------------------------------------
class Health(Schema):
    status: str


class Readiness(Schema):
    status: str = Field(description="ready, or unavailable")
    database: bool
    writer: bool
    size: int | None = Field(description="the log's size, when the database answered")


# -- public anchoring -------------------------------------------------------------------------
class AnchorOut(Schema):
    """A receipt of a checkpoint anchored on an EVM chain (``carbonledger prove entry`` checks
    it against the chain)."""

    size: int = Field(description="tree size of the checkpoint anchored")
    root: Hex = Field(description="the log's signed root at that size")
    status: str = Field(description="anchored, split_view (evidence) or orphaned")
    chain_id: int
    contract: str = Field(description="CheckpointAnchor address (EIP-55)")
    tx_hash: Hex = Field(description="the anchoring transaction")
    block_number: int
    block_time: int = Field(description="the block's timestamp, Unix seconds")
    chain_root: Hex = Field(description="the root the contract holds for that size")
    recorded_ms: int = Field(description="when the receipt was recorded as final, Unix ms")
