"""What credits were used for: retirements (public claims), cancellations (with their case),
pledges to banks, and trade announcements (priced transfers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    select,
)

from ledger.queries.formatting import trade_value_fen
from ledger.queries.rows import DEFAULT_LIMIT, decode_lots, fetch_one, page
from ledger.storage import schema


@dataclass(frozen=True, slots=True)
class RetirementView:
    id: str
    index: int
    time_ms: int
    account: str
    retired_by: str
    quantity: int
    lots: list[dict[str, Any]]
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


@dataclass(frozen=True, slots=True)
class CancellationView:
    id: str
    index: int
    time_ms: int
    account: str
    cancelled_by: str
    quantity: int
    lots: list[dict[str, Any]]
    reason: str
    authority: str | None
    case_number: str | None
    damage_fen: int | None
    decision_digest: str | None
    destination: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class PledgeView:
    id: str
    index: int
    account: str
    bank: str
    quantity: int
    lots: list[dict[str, Any]]
    contract_ref: str | None
    status: str
    closed_at: int | None


@dataclass(frozen=True, slots=True)
class TradeView:
    """A priced transfer, as an exchange's trade announcement lists it."""

    index: int
    time_ms: int
    from_account: str
    to_account: str
    quantity: int
    lots: list[dict[str, Any]]
    price_fen_per_tonne: int
    value_fen: int
    """quantity x price, rounded half up to the fen."""
    venue: str | None
    settlement_ref: str | None
    corrected_by: int | None


def _retirement(r: Any) -> RetirementView:
    return RetirementView(
        r.id,
        r.idx,
        r.time_ms,
        r.account,
        r.retired_by,
        r.quantity,
        decode_lots(r.lots),
        r.beneficiary_name,
        r.beneficiary_id,
        r.purpose,
        r.event_ref,
        r.claim_ref,
        r.jurisdiction,
        r.period_start,
        r.period_end,
        r.note,
        r.corrected_by,
    )


def retirement(engine: Engine, rid: str) -> RetirementView:
    r = schema.retirements
    with engine.connect() as conn:
        return _retirement(
            fetch_one(
                conn, select(r).where(r.c.id == rid), f"retirement {rid!r}", "unknown_retirement"
            )
        )


def retirements(
    engine: Engine,
    *,
    beneficiary: str | None = None,
    event_ref: str | None = None,
    account: str | None = None,
    purpose: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[RetirementView]:
    """Retirements oldest first; ``beneficiary`` matches the name or the identifier exactly."""
    r = schema.retirements
    query = select(r).order_by(r.c.idx)
    if beneficiary is not None:
        query = query.where(
            (r.c.beneficiary_name == beneficiary) | (r.c.beneficiary_id == beneficiary)
        )
    if event_ref is not None:
        query = query.where(r.c.event_ref == event_ref)
    if account is not None:
        query = query.where(r.c.account == account)
    if purpose is not None:
        query = query.where(r.c.purpose == purpose)
    with engine.connect() as conn:
        return [_retirement(x) for x in conn.execute(page(query, limit, offset))]


def _cancellation(c: Any) -> CancellationView:
    return CancellationView(
        c.id,
        c.idx,
        c.time_ms,
        c.account,
        c.cancelled_by,
        c.quantity,
        decode_lots(c.lots),
        c.reason,
        c.authority,
        c.case_number,
        c.damage_fen,
        c.decision_digest,
        c.destination,
        c.note,
    )


def cancellation(engine: Engine, cid: str) -> CancellationView:
    c = schema.cancellations
    with engine.connect() as conn:
        return _cancellation(
            fetch_one(
                conn,
                select(c).where(c.c.id == cid),
                f"cancellation {cid!r}",
                "unknown_cancellation",
            )
        )


def cancellations(
    engine: Engine,
    *,
    case_number: str | None = None,
    reason: str | None = None,
    account: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[CancellationView]:
    """Cancellations oldest first."""
    c = schema.cancellations
    query = select(c).order_by(c.c.idx)
    if case_number is not None:
        query = query.where(c.c.case_number == case_number)
    if reason is not None:
        query = query.where(c.c.reason == reason)
    if account is not None:
        query = query.where(c.c.account == account)
    with engine.connect() as conn:
        return [_cancellation(x) for x in conn.execute(page(query, limit, offset))]


def _pledge(p: Any) -> PledgeView:
    return PledgeView(
        p.id,
        p.idx,
        p.account,
        p.bank,
        p.quantity,
        decode_lots(p.lots),
        p.contract_ref,
        p.status,
        p.closed_at,
    )


def pledge(engine: Engine, pid: str) -> PledgeView:
    p = schema.pledges
    with engine.connect() as conn:
        return _pledge(
            fetch_one(conn, select(p).where(p.c.id == pid), f"pledge {pid!r}", "unknown_pledge")
        )


def pledges(
    engine: Engine,
    *,
    account: str | None = None,
    bank: str | None = None,
    status: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[PledgeView]:
    """Pledges oldest first."""
    p = schema.pledges
    query = select(p).order_by(p.c.idx)
    for column, value in ((p.c.account, account), (p.c.bank, bank), (p.c.status, status)):
        if value is not None:
            query = query.where(column == value)
    with engine.connect() as conn:
        return [_pledge(x) for x in conn.execute(page(query, limit, offset))]


def trades(
    engine: Engine,
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
    venue: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[TradeView]:
    """Priced transfers sequenced in ``[since_ms, until_ms)``, oldest first."""
    t = schema.transfers
    query = select(t).where(t.c.price_fen_per_tonne.is_not(None)).order_by(t.c.idx)
    conditions = []
    if since_ms is not None:
        conditions.append(t.c.time_ms >= since_ms)
    if until_ms is not None:
        conditions.append(t.c.time_ms < until_ms)
    if venue is not None:
        conditions.append(t.c.venue == venue)
    if conditions:
        query = query.where(and_(*conditions))
    with engine.connect() as conn:
        rows = conn.execute(page(query, limit, offset)).all()
    return [
        TradeView(
            r.idx,
            r.time_ms,
            r.from_account,
            r.to_account,
            r.quantity,
            decode_lots(r.lots),
            r.price_fen_per_tonne,
            trade_value_fen(r.quantity, r.price_fen_per_tonne),
            r.venue,
            r.settlement_ref,
            r.corrected_by,
        )
        for r in rows
    ]
