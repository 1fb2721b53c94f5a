"""Supply totals by program, region, methodology, scenario or vintage, over time.

Each batch in scope is put in a group (its program, its project's region, its methodology, its
methodology's scenario, or its vintage year) and in a period (the year or month its issuance
was sequenced, UTC), and its supply counters are summed per group and period, exactly, in
grams. ``every="all"`` gives one period covering everything.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import Engine

from ledger.errors import InvalidInput
from ledger.queries.credits import Supply
from ledger.reports.scope import Scope, scoped
from ledger.storage import schema

Dimension = Literal["program", "region", "methodology", "scenario", "vintage"]
DIMENSIONS: tuple[str, ...] = get_args(Dimension)
Every = Literal["year", "month", "all"]
PERIODS: tuple[str, ...] = get_args(Every)
ALL = "all"
UNKNOWN = "(unknown)"
"""The group of a batch whose project or methodology row is missing from the copy."""


@dataclass(frozen=True, slots=True)
class TotalRow:
    period: str
    key: str
    batches: int
    supply: Supply


def period_of(time_ms: int | None, every: str) -> str:
    """``2024`` or ``2024-06`` (UTC) of a sequencing time; ``all`` for one period overall."""
    if every == ALL:
        return ALL
    if time_ms is None:
        return UNKNOWN
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=time_ms)
    return f"{moment.year:04d}" if every == "year" else f"{moment.year:04d}-{moment.month:02d}"


def totals(
    engine: Engine, by: str, *, every: str = "year", scope: Scope | None = None
) -> list[TotalRow]:
    """Supply per group of ``by`` and period of ``every``, ordered by period then group."""
    if by not in DIMENSIONS:
        raise InvalidInput(f"cannot total by {by!r}, want one of {', '.join(DIMENSIONS)}")
    if every not in PERIODS:
        raise InvalidInput(f"period {every!r}, want one of {', '.join(PERIODS)}")
    b, p, m, e = schema.batches, schema.projects, schema.methodologies, schema.entries
    key = {
        "program": b.c.program,
        "region": p.c.region,
        "methodology": b.c.methodology,
        "scenario": m.c.scenario,
        "vintage": b.c.vintage_start,
    }[by]
    query = scoped(
        scope or Scope(),
        key.label("key"),
        e.c.time_ms,
        b.c.issued,
        b.c.held,
        b.c.pledged,
        b.c.retired,
        b.c.cancelled,
    )
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 6)
    with engine.connect() as conn:
        for row in conn.execute(query):
            group = UNKNOWN if row.key is None else str(row.key)
            if by == "vintage":
                group = group[:4]
            counters = sums[(period_of(row.time_ms, every), group)]
            counters[0] += 1
            for position, value in enumerate(row[2:], start=1):
                counters[position] += int(value)
    return [
        TotalRow(period, group, values[0], Supply(*values[1:]))
        for (period, group), values in sorted(sums.items())
    ]


def grand_total(rows: list[TotalRow]) -> Supply:
    """The supply summed over ``rows``."""
    return Supply(
        *(sum(getattr(r.supply, name) for r in rows) for name in Supply.__dataclass_fields__)
    )
