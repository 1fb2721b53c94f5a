"""Batches and their supply, and where every serial range is: an account's holdings and
balances by status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    case,
    func,
    select,
)

from ledger.queries.rows import DEFAULT_LIMIT, fetch_one, page
from ledger.storage import schema


@dataclass(frozen=True, slots=True)
class Supply:
    """Grams of a batch (or a sum of batches): issued = held + pledged + retired + cancelled."""

    issued: int = 0
    held: int = 0
    pledged: int = 0
    retired: int = 0
    cancelled: int = 0


@dataclass(frozen=True, slots=True)
class BatchView:
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
    supply: Supply


@dataclass(frozen=True, slots=True)
class HoldingView:
    """One serial range ``[serial_start, serial_end)`` of a batch and its status."""

    batch: str
    serial_start: int
    serial_end: int
    quantity: int
    status: str
    ref: str | None


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's grams of one batch, by status."""

    batch: str
    held: int
    pledged: int
    retired: int
    cancelled: int


def _batch(row: Any) -> BatchView:
    return BatchView(
        row.id,
        row.program,
        row.project,
        row.methodology,
        row.vintage_start,
        row.vintage_end,
        row.serial_start,
        row.serial_end,
        row.origin_ref,
        row.verifier,
        row.report_digest,
        row.verified_on,
        row.issuer,
        row.issued_at,
        orjson.loads(row.parameters),
        Supply(row.issued, row.held, row.pledged, row.retired, row.cancelled),
    )


def batch(engine: Engine, bid: str) -> BatchView:
    b = schema.batches
    with engine.connect() as conn:
        return _batch(
            fetch_one(conn, select(b).where(b.c.id == bid), f"batch {bid!r}", "unknown_batch")
        )


def _batch_filter(query: Select[Any], program: str | None, project: str | None) -> Select[Any]:
    b = schema.batches
    if program is not None:
        query = query.where(b.c.program == program)
    if project is not None:
        query = query.where(b.c.project == project)
    return query


def batches(
    engine: Engine,
    *,
    program: str | None = None,
    project: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[BatchView]:
    """Batches in order of issuance, each with its supply."""
    b = schema.batches
    query = _batch_filter(select(b).order_by(b.c.issued_at), program, project)
    with engine.connect() as conn:
        return [_batch(r) for r in conn.execute(page(query, limit, offset))]


def supply(engine: Engine, *, program: str | None = None, project: str | None = None) -> Supply:
    """Supply summed over the batches of a program or project (or all batches)."""
    b = schema.batches
    cols = [
        func.coalesce(func.sum(c), 0)
        for c in (b.c.issued, b.c.held, b.c.pledged, b.c.retired, b.c.cancelled)
    ]
    with engine.connect() as conn:
        row = conn.execute(_batch_filter(select(*cols), program, project)).one()
    return Supply(*(int(v) for v in row))


def holdings(
    engine: Engine,
    account: str,
    *,
    status: str | None = None,
    batch: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[HoldingView]:
    """The serial ranges ``account`` holds, has pledged, retired or cancelled, by batch."""
    h = schema.holdings
    query = select(h).where(h.c.account == account).order_by(h.c.batch, h.c.serial_start)
    if status is not None:
        query = query.where(h.c.status == status)
    if batch is not None:
        query = query.where(h.c.batch == batch)
    with engine.connect() as conn:
        rows = conn.execute(page(query, limit, offset)).all()
    return [
        HoldingView(
            r.batch, r.serial_start, r.serial_end, r.serial_end - r.serial_start, r.status, r.ref
        )
        for r in rows
    ]


def balances(
    engine: Engine, account: str, *, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> list[Balance]:
    """``account``'s grams per batch and status."""
    h = schema.holdings
    size = h.c.serial_end - h.c.serial_start

    def total(status: str) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((h.c.status == status, size), else_=0)), 0)

    query = (
        select(h.c.batch, total("held"), total("pledged"), total("retired"), total("cancelled"))
        .where(h.c.account == account)
        .group_by(h.c.batch)
        .order_by(h.c.batch)
    )
    with engine.connect() as conn:
        rows = conn.execute(page(query, limit, offset)).all()
    return [Balance(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]
