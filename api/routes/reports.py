"""Regulators' reports on the served database: issuance audit, supply totals, trade
announcements. For an audit of one's own copy, run ``carbonledger report`` on it instead."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import EngineDep, IdQuery, PositionQuery
from api.problems import problem_responses
from api.report_schemas import AuditOut, TotalsOut, TradesOut
from ledger.reports.audit_flags import FLAGS
from ledger.reports.issuance_audit import audit_issuance
from ledger.reports.scope import Scope
from ledger.reports.totals import DIMENSIONS, PERIODS, grand_total, totals
from ledger.reports.trades import by_venue, trade_announcements

router = APIRouter(prefix="/v1/reports", tags=["reports"])

DateQuery = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")]
RegionQuery = Annotated[str | None, Query(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]


def _scope(
    program: IdQuery = None,
    region: RegionQuery = None,
    methodology: IdQuery = None,
    project: IdQuery = None,
    period_start: DateQuery = None,
    period_end: DateQuery = None,
) -> Scope:
    return Scope(program, region, methodology, project, period_start, period_end)


@router.get(
    "/audit",
    response_model=AuditOut,
    summary="Every batch in scope with its verification, supply and flags",
    responses=problem_responses(400, 503),
)
def audit(
    engine: EngineDep,
    program: IdQuery = None,
    region: RegionQuery = None,
    methodology: IdQuery = None,
    project: IdQuery = None,
    period_start: DateQuery = None,
    period_end: DateQuery = None,
) -> dict[str, Any]:
    scope = _scope(program, region, methodology, project, period_start, period_end)
    report = audit_issuance(engine, scope)
    return {
        "scope": scope.to_json(),
        "batches": report.batches,
        "flags": report.flags,
        "supply": report.supply,
        "flag_counts": report.flag_counts,
        "flag_codes": FLAGS,
    }


@router.get(
    "/totals",
    response_model=TotalsOut,
    summary="Supply by program, region, methodology, scenario or vintage, per period",
    responses=problem_responses(400, 503),
)
def supply_totals(
    engine: EngineDep,
    by: Annotated[str, Query(pattern="^(" + "|".join(DIMENSIONS) + ")$")] = "program",
    every: Annotated[str, Query(pattern="^(" + "|".join(PERIODS) + ")$")] = "year",
    program: IdQuery = None,
    region: RegionQuery = None,
    methodology: IdQuery = None,
    project: IdQuery = None,
    period_start: DateQuery = None,
    period_end: DateQuery = None,
) -> dict[str, Any]:
    scope = _scope(program, region, methodology, project, period_start, period_end)
    rows = totals(engine, by, every=every, scope=scope)
    return {"by": by, "every": every, "rows": rows, "total": grand_total(rows)}


@router.get(
    "/trades",
    response_model=TradesOut,
    summary="Trade announcements sequenced in [since_ms, until_ms), with a venue summary",
    responses=problem_responses(400, 503),
)
def trades(
    engine: EngineDep,
    since_ms: PositionQuery | None = None,
    until_ms: PositionQuery | None = None,
    venue: IdQuery = None,
    program: IdQuery = None,
) -> dict[str, Any]:
    found = trade_announcements(
        engine, since_ms=since_ms, until_ms=until_ms, venue=venue, program=program
    )
    return {"trades": found, "by_venue": by_venue(found)}
