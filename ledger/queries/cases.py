"""Ecological-damage compensation cases: required versus cancelled tonnage, and the
cancellations counted toward each case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select

from ledger.queries.rows import DEFAULT_LIMIT, fetch_one, page
from ledger.queries.uses import CancellationView
from ledger.queries.uses import _cancellation as cancellation_view
from ledger.storage import schema


@dataclass(frozen=True, slots=True)
class CaseView:
    case_number: str
    index: int
    authority: str
    liable_party: str
    damage_fen: int
    decision_digest: str
    required: int
    cancelled: int
    status: str
    jurisdiction: str
    closed_at: int | None
    note: str | None
    cancellations: list[CancellationView]
    """The cancellations counted toward the case, oldest first."""

    @property
    def outstanding(self) -> int:
        """Grams still to cancel (0 once the case is satisfied)."""
        return max(self.required - self.cancelled, 0)


def _view(conn: Connection, row: Any) -> CaseView:
    c = schema.cancellations
    counted = conn.execute(
        select(c).where(c.c.case_number == row.case_number, c.c.idx > row.idx).order_by(c.c.idx)
    )
    return CaseView(
        row.case_number,
        row.idx,
        row.authority,
        row.liable_party,
        row.damage_fen,
        row.decision_digest,
        row.required,
        row.cancelled,
        row.status,
        row.jurisdiction,
        row.closed_at,
        row.note,
        [cancellation_view(x) for x in counted],
    )


def case(engine: Engine, case_number: str) -> CaseView:
    """The case ``case_number`` with the cancellations counted toward it."""
    k = schema.compensation_cases
    with engine.connect() as conn:
        row = fetch_one(
            conn,
            select(k).where(k.c.case_number == case_number),
            f"case {case_number!r}",
            "unknown_case",
        )
        return _view(conn, row)


def cases(
    engine: Engine,
    *,
    status: str | None = None,
    liable_party: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[CaseView]:
    """Cases in order of registration."""
    k = schema.compensation_cases
    query = select(k).order_by(k.c.idx)
    if status is not None:
        query = query.where(k.c.status == status)
    if liable_party is not None:
        query = query.where(k.c.liable_party == liable_party)
    with engine.connect() as conn:
        return [_view(conn, row) for row in conn.execute(page(query, limit, offset)).all()]
