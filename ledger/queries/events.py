"""Carbon-neutral events: the emissions inventory by stage and source, what retirements cover,
and whether the event is neutral (covered >= emitted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from ledger.queries.rows import DEFAULT_LIMIT, fetch_one, page
from ledger.queries.uses import RetirementView
from ledger.queries.uses import _retirement as retirement_view
from ledger.storage import schema


@dataclass(frozen=True, slots=True)
class EmissionTotal:
    stage: str
    source: str
    grams: int


@dataclass(frozen=True, slots=True)
class EmissionLineView:
    """One append-only inventory line: registered (``reason`` None) or an amendment."""

    line: int
    index: int
    stage: str
    source: str
    grams: int
    basis: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class EventView:
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
    neutral: bool
    neutral_at: int | None
    amended_at: int | None
    by_stage: dict[str, int]
    """Grams per stage (preparation, hosting, closing), for stages with emissions."""
    emissions: list[EmissionTotal]
    lines: list[EmissionLineView]
    retirements: list[RetirementView]
    """The retirements counted toward the event, oldest first."""

    @property
    def uncovered(self) -> int:
        """Grams still to retire before the event is neutral (0 when neutral)."""
        return max(self.emitted - self.covered, 0)


def _view(conn: Connection, row: Any) -> EventView:
    totals = [
        EmissionTotal(stage, source, int(g)) for stage, source, g in orjson.loads(row.emissions)
    ]
    by_stage: dict[str, int] = {}
    for total in totals:
        by_stage[total.stage] = by_stage.get(total.stage, 0) + total.grams
    el, r = schema.event_emissions, schema.retirements
    lines = [
        EmissionLineView(x.line, x.idx, x.stage, x.source, x.grams, x.basis, x.reason)
        for x in conn.execute(select(el).where(el.c.event == row.id).order_by(el.c.line))
    ]
    counted = conn.execute(
        select(r).where(r.c.event_ref == row.id, r.c.idx > row.idx).order_by(r.c.idx)
    )
    return EventView(
        row.id,
        row.idx,
        row.organiser,
        row.name,
        row.start_date,
        row.end_date,
        row.place,
        row.jurisdiction,
        row.verifier,
        row.report_digest,
        row.emitted,
        row.covered,
        row.covered >= row.emitted,
        row.neutral_at,
        row.amended_at,
        by_stage,
        totals,
        lines,
        [retirement_view(x) for x in counted],
    )


def event(engine: Engine, eid: str) -> EventView:
    """The event ``eid`` with its inventory and counted retirements."""
    e = schema.events
    with engine.connect() as conn:
        row = fetch_one(conn, select(e).where(e.c.id == eid), f"event {eid!r}", "unknown_event")
        return _view(conn, row)


def events(
    engine: Engine,
    *,
    organiser: str | None = None,
    neutral: bool | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[EventView]:
    """Events in order of registration."""
    e = schema.events
    query = select(e).order_by(e.c.idx)
    if organiser is not None:
        query = query.where(e.c.organiser == organiser)
    if neutral is not None:
        query = query.where((e.c.covered >= e.c.emitted) == neutral)
    with engine.connect() as conn:
        return [_view(conn, row) for row in conn.execute(page(query, limit, offset)).all()]
