"""Personal accounts kept by platforms: custody totals and balance commitments (public, as the
log is), an account's balance, points and balance proof (its holder, custodian and program
administrators), reconciliation of a platform's balance file and its aggregations (the platform
and program administrators). Writes are entries, submitted like any other (``/v1/entries``)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from sqlalchemy import Engine

from api import access, personal_schemas
from api.auth import Caller
from api.deps import (
    MAX_POSITION,
    CallerDep,
    EngineDep,
    IdPath,
    LimitQuery,
    OffsetQuery,
    ReadableAccount,
)
from api.problems import problem_responses
from ledger import queries
from ledger.errors import RuleViolation
from ledger.personal.proof import make_balance_proof, verify_balance_proof
from ledger.personal.reconcile import reconcile
from ledger.queries import personal

router = APIRouter(prefix="/v1/personal", tags=["personal accounts"])

_PUBLIC = problem_responses(400, 404, 422, 503)
_PROTECTED = problem_responses(400, 401, 403, 404, 422, 503)
MAX_UPLOAD = 64 * 2**20
"""Largest balance file accepted here (about a million lines); bigger ones: the CLI."""


def _platform_or_administrator(engine: Engine, caller: Caller, platform: str) -> None:
    if caller.participant == platform or access.administers_a_program(engine, caller.participant):
        return
    raise RuleViolation(
        f"only {platform!r} and program administrators may do this", code="not_authorised"
    )


@router.get(
    "/platforms/{platform}/custody",
    response_model=personal_schemas.CustodyOut,
    summary="What a platform keeps in custody, and its latest balance commitments",
    responses=_PUBLIC,
)
def get_custody(
    engine: EngineDep,
    platform: IdPath,
    limit: LimitQuery = 10,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    totals = personal.custody(engine, platform)
    commitments = personal.balance_commitments(engine, platform, limit=limit, offset=offset)
    return {
        "platform": platform,
        "accounts": totals.accounts,
        "held": totals.held,
        "commitments": commitments,
    }


@router.get(
    "/accounts/{account_id}/balance",
    response_model=personal_schemas.BalanceOut,
    summary="Grams the account holds (status held), all batches together",
    responses=_PROTECTED,
)
def get_balance(engine: EngineDep, account: ReadableAccount) -> dict[str, Any]:
    return {"account": account.id, "held": personal.account_balance(engine, account.id)}


@router.get(
    "/accounts/{account_id}/points",
    response_model=list[personal_schemas.PointsOut],
    summary="The account's points by issuer: points are never grams",
    responses=_PROTECTED,
)
def get_points(engine: EngineDep, account: ReadableAccount) -> list[personal.PointsView]:
    return personal.points(engine, account.id)


@router.get(
    "/accounts/{account_id}/balance-proof",
    summary="The account's proof in its platform's committed sum tree "
    "(carbonledger-balance-proof/1)",
    responses=_PROTECTED,
)
def get_balance_proof(
    engine: EngineDep,
    account: ReadableAccount,
    commitment: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> dict[str, Any]:
    return make_balance_proof(engine, account.id, commitment=commitment)


@router.post(
    "/balance-proofs/verify",
    response_model=personal_schemas.BalanceVerifiedOut,
    summary="Check a balance proof as a third party would, against a trusted log key",
    responses=_PUBLIC,
)
def post_verify(
    document: Annotated[dict[str, Any], Body()],
    log_key: Annotated[str, Query(max_length=500, description="the trusted checkpoint key")],
) -> Any:
    return verify_balance_proof(document, log_key)


@router.post(
    "/platforms/{platform}/reconciliation",
    response_model=personal_schemas.ReconciliationOut,
    summary="Compare the platform's balance file (CSV or JSON Lines body) with the ledger",
    responses=_PROTECTED,
)
def post_reconciliation(
    engine: EngineDep,
    caller: CallerDep,
    platform: IdPath,
    body: Annotated[bytes, Body(media_type="text/csv", max_length=MAX_UPLOAD)],
    file_format: Annotated[Literal["csv", "jsonl"], Query(alias="format")] = "csv",
    size: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> dict[str, Any]:
    _platform_or_administrator(engine, caller, platform)
    with tempfile.TemporaryDirectory(prefix="carbonledger-reconcile-") as scratch:
        path = Path(scratch) / f"balances.{file_format}"
        path.write_bytes(body)
        report = io.StringIO()
        summary = reconcile(engine, platform, path, report, fmt=file_format, size=size)
    return {
        "platform": summary.platform,
        "size": summary.size,
        "source": summary.source,
        "ledger_accounts": summary.ledger_accounts,
        "file_rows": summary.file_rows,
        "matched": summary.matched,
        "differences": summary.differences,
        "ledger_total": summary.ledger_total,
        "file_total": summary.file_total,
        "difference_total": summary.difference_total,
        "consistent": summary.consistent,
        "report": report.getvalue(),
    }


@router.get(
    "/aggregations/{aggregation_id}",
    response_model=personal_schemas.AggregationOut,
    summary="An aggregated lot and one page of its contributions",
    responses=_PROTECTED,
)
def get_aggregation(
    engine: EngineDep,
    caller: CallerDep,
    aggregation_id: IdPath,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> personal.AggregationView:
    found = personal.aggregation(engine, aggregation_id, limit=limit, offset=offset)
    _platform_or_administrator(engine, caller, found.platform)
    return found
