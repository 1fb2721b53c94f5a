"""An account's holdings (serial ranges by status), balances and history: visible only to its
holder, its custodian and program administrators, by signed request (``api.auth``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api import schemas
from api.deps import (
    EngineDep,
    IdPath,
    IdQuery,
    LimitQuery,
    OffsetQuery,
    SettingsDep,
    SignedRequestDep,
    readable_account,
)
from api.problems import problem_responses
from ledger import queries

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])

_PROTECTED = problem_responses(400, 401, 403, 404, 503)


@router.get(
    "/{account_id}",
    response_model=schemas.AccountOut,
    summary="An account: its holder or custodian",
    responses=_PROTECTED,
)
def get_account(
    engine: EngineDep, settings: SettingsDep, signed: SignedRequestDep, account_id: IdPath
) -> queries.AccountView:
    return readable_account(engine, settings, signed, account_id)


@router.get(
    "/{account_id}/holdings",
    response_model=schemas.Page[schemas.HoldingOut],
    summary="The serial ranges the account holds, pledged, retired or cancelled",
    responses=_PROTECTED,
)
def get_holdings(
    engine: EngineDep,
    settings: SettingsDep,
    signed: SignedRequestDep,
    account_id: IdPath,
    status: IdQuery = None,
    batch: IdQuery = None,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    account = readable_account(engine, settings, signed, account_id)
    found = queries.holdings(
        engine, account.id, status=status, batch=batch, limit=limit, offset=offset
    )
    return schemas.page(found, limit, offset)


@router.get(
    "/{account_id}/balances",
    response_model=schemas.Page[schemas.BalanceOut],
    summary="The account's grams per batch, by status",
    responses=_PROTECTED,
)
def get_balances(
    engine: EngineDep,
    settings: SettingsDep,
    signed: SignedRequestDep,
    account_id: IdPath,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    account = readable_account(engine, settings, signed, account_id)
    found = queries.balances(engine, account.id, limit=limit, offset=offset)
    return schemas.page(found, limit, offset)


@router.get(
    "/{account_id}/history",
    response_model=schemas.Page[schemas.HistoryItemOut],
    summary="Every entry that moved the account's credits, oldest first",
    responses=_PROTECTED,
)
def get_history(
    engine: EngineDep,
    settings: SettingsDep,
    signed: SignedRequestDep,
    account_id: IdPath,
    limit: LimitQuery = queries.DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    account = readable_account(engine, settings, signed, account_id)
    found = queries.history(engine, account.id, limit=limit, offset=offset)
    return schemas.page(found, limit, offset)
