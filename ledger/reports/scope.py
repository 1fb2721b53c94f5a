"""Which batches a report covers: a program, region, methodology, project or period.

Every criterion is optional and they combine (AND). The region matches the project's ISO
3166-2 region or any subdivision of it (``CN`` matches ``CN-GD``); the methodology is an id
(``code:version``) or a code (any version); the period selects batches whose monitoring
period overlaps ``[period_start, period_end]`` (either end may be open).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Select, or_, select

from ledger.errors import InvalidInput
from ledger.storage import schema

_REGION = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")


@dataclass(frozen=True, slots=True)
class Scope:
    program: str | None = None
    region: str | None = None
    methodology: str | None = None
    project: str | None = None
    period_start: str | None = None
    period_end: str | None = None

    def __post_init__(self) -> None:
        if self.region is not None and not _REGION.fullmatch(self.region):
            raise InvalidInput(f"region {self.region!r} is not ISO 3166-2 like CN or CN-GD")
        for name in ("period_start", "period_end"):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                date.fromisoformat(value)
            except ValueError as exc:
                raise InvalidInput(f"{name} {value!r} is not a date YYYY-MM-DD") from exc
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise InvalidInput(f"period ends {self.period_end}, before {self.period_start}")

    def describe(self) -> str:
        """The criteria for a report's title: ``program PHCER, region CN-GD`` or ``all``."""
        parts = [
            f"{name.replace('_', ' ')} {value}"
            for name, value in (
                ("program", self.program),
                ("region", self.region),
                ("methodology", self.methodology),
                ("project", self.project),
                ("period_start", self.period_start),
                ("period_end", self.period_end),
            )
            if value is not None
        ]
        return ", ".join(parts) or "all batches"

    def to_json(self) -> dict[str, str | None]:
        return {
            "program": self.program,
            "region": self.region,
            "methodology": self.methodology,
            "project": self.project,
            "period_start": self.period_start,
            "period_end": self.period_end,
        }


BATCH_COLUMNS: Sequence[Any] = (
    schema.batches,
    schema.projects.c.region.label("region"),
    schema.projects.c.owner.label("project_owner"),
    schema.projects.c.title.label("project_title"),
    schema.methodologies.c.scenario.label("scenario"),
    schema.entries.c.time_ms.label("issued_time_ms"),
)


def scoped(scope: Scope, *columns: Any) -> Select[Any]:
    """SELECT ``columns`` (default: every batch column and its project's region, owner and
    title, its methodology's scenario and the issuance time) of the batches in ``scope``,
    in order of issuance. Batches whose project or methodology row is missing still appear."""
    b, p, m, e = schema.batches, schema.projects, schema.methodologies, schema.entries
    query = (
        select(*(columns or BATCH_COLUMNS))
        .select_from(b)
        .outerjoin(p, p.c.id == b.c.project)
        .outerjoin(m, m.c.id == b.c.methodology)
        .outerjoin(e, e.c.idx == b.c.issued_at)
        .order_by(b.c.issued_at)
    )
    if scope.program is not None:
        query = query.where(b.c.program == scope.program)
    if scope.project is not None:
        query = query.where(b.c.project == scope.project)
    if scope.methodology is not None:
        if ":" in scope.methodology:
            query = query.where(b.c.methodology == scope.methodology)
        else:
            query = query.where(m.c.code == scope.methodology)
    if scope.region is not None:
        query = query.where(or_(p.c.region == scope.region, p.c.region.like(scope.region + "-%")))
    if scope.period_start is not None:
        query = query.where(b.c.vintage_end >= scope.period_start)
    if scope.period_end is not None:
        query = query.where(b.c.vintage_start <= scope.period_end)
    return query


def scoped_rows(conn: Connection, scope: Scope) -> list[Any]:
    """The rows of ``scoped(scope)``."""
    return list(conn.execute(scoped(scope)).all())
