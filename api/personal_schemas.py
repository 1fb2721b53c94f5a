"""Response bodies of the personal-accounts routes (``api.routes.personal``): custody totals
and commitments, points (never grams), aggregations, reconciliation summaries, checked balance
proofs. Amounts are integer grams; hashes are hex."""

from __future__ import annotations

from api.schemas import Hex, Schema


class CommitmentOut(Schema):
    index: int
    platform: str
    root: Hex
    total: int
    leaves: int
    time_ms: int


class CustodyOut(Schema):
    platform: str
    accounts: int
    held: int
    commitments: list[CommitmentOut]


class BalanceOut(Schema):
    account: str
    held: int


class PointsOut(Schema):
    issuer: str
    points: int


class ContributionOut(Schema):
    position: int
    account: str
    quantity: int
    consent_ref: str


class AggregationOut(Schema):
    id: str
    index: int
    platform: str
    account: str
    quantity: int
    contributors: int
    sold: int
    time_ms: int
    contributions: list[ContributionOut]


class ReconciliationOut(Schema):
    platform: str
    size: int
    source: str
    ledger_accounts: int
    file_rows: int
    matched: int
    differences: dict[str, int]
    ledger_total: int
    file_total: int
    difference_total: int
    consistent: bool
    report: str
    """The differences as CSV: kind,account,ledger_grams,file_grams,difference_grams,line."""


class BalanceVerifiedOut(Schema):
    account: str
    balance: int
    platform: str
    total: int
    leaves: int
    commitment: int
    checkpoint_size: int
