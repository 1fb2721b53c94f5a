"""Dependencies of the routes, as ``Annotated`` aliases: the engine, the write path, the
settings, the signed caller, the account a caller may read, and the shared parameter types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from api import access, auth
from api.metrics import Metrics
from api.settings import Settings
from api.submissions import WritePath
from ledger import queries
from ledger.errors import LedgerError
from ledger.ops.fields import MAX_GRAMS

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$"
"""An identifier as the ledger's messages spell them (``ledger.ops.fields.Id``)."""
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]+$"
"""Free text in a filter: one line, no control characters."""
MAX_POSITION = 2**62
"""Log indexes, sizes and offsets stay far inside the databases' signed 64-bit integers."""

assert MAX_GRAMS < MAX_POSITION


async def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _writes(request: Request) -> WritePath:
    writes: WritePath = request.app.state.writes
    return writes


async def _metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


EngineDep = Annotated[Engine, Depends(_engine)]
SettingsDep = Annotated[Settings, Depends(_settings)]
WritesDep = Annotated[WritePath, Depends(_writes)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]

IdPath = Annotated[str, Path(pattern=ID_PATTERN, description="an identifier")]
IdQuery = Annotated[str | None, Query(pattern=ID_PATTERN)]
TextQuery = Annotated[str | None, Query(max_length=500, pattern=TEXT_PATTERN)]
PositionQuery = Annotated[int, Query(ge=0, le=MAX_POSITION)]
LimitQuery = Annotated[
    int, Query(ge=1, le=queries.MAX_LIMIT, description="at most this many items")
]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_POSITION, description="skip this many items")]


def _signature_header(name: str, description: str) -> object:
    return Header(alias=name, description=description, max_length=200, pattern=TEXT_PATTERN)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a signed request says about itself, not yet checked (``readable_account`` checks)."""

    method: str
    target: str
    headers: dict[str, str | None]


async def _signed_request(
    request: Request,
    participant: Annotated[
        str | None, _signature_header(auth.PARTICIPANT, "the signing participant")
    ] = None,
    key: Annotated[str | None, _signature_header(auth.KEY, "its key id")] = None,
    timestamp: Annotated[str | None, _signature_header(auth.TIMESTAMP, "Unix seconds")] = None,
    signature: Annotated[
        str | None, _signature_header(auth.SIGNATURE, "base64 Ed25519 signature")
    ] = None,
) -> SignedRequest:
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else request.url.path
    query = request.scope.get("query_string", b"").decode("latin-1")
    headers = {
        auth.PARTICIPANT: participant,
        auth.KEY: key,
        auth.TIMESTAMP: timestamp,
        auth.SIGNATURE: signature,
    }
    return SignedRequest(request.method, f"{path}?{query}" if query else path, headers)


SignedRequestDep = Annotated[SignedRequest, Depends(_signed_request)]


def authenticated(
    engine: Engine, settings: Settings, signed: SignedRequest, body: bytes = b""
) -> auth.Caller:
    """The participant that signed the request (whose body is ``body``).

    Raises ``authentication_required`` for an unsigned request, or the errors of
    ``api.auth.authenticate``. Blocking: call it from the thread pool.
    """
    caller = auth.authenticate(
        engine,
        signed.method,
        signed.target,
        body,
        signed.headers,
        max_age_s=settings.request_max_age_s,
    )
    if caller is None:
        raise LedgerError(
            "this resource is visible only to some participants: sign the request "
            f"({', '.join(auth.HEADERS)})",
            code="authentication_required",
        )
    return caller


def readable_account(
    engine: Engine, settings: Settings, signed: SignedRequest, account_id: str
) -> queries.AccountView:
    """The account ``account_id``, once the request's signer may read it: its holder, its
    custodian or a program administrator (``api.access``).

    Raises what ``authenticated`` raises, ``unknown_account`` and ``not_authorised``. Blocking:
    call it from a route run in the thread pool, with the query that follows (one hop).
    """
    caller = authenticated(engine, settings, signed)
    account = queries.account(engine, account_id)
    access.require_account_reader(engine, caller, account)
    return account


async def _caller(
    request: Request, engine: EngineDep, settings: SettingsDep, signed: SignedRequestDep
) -> auth.Caller:
    body = await request.body()  # cached: the route can still read it
    return await run_in_threadpool(authenticated, engine, settings, signed, body)


CallerDep = Annotated[auth.Caller, Depends(_caller)]
"""The participant that signed this request (its body included)."""


async def _readable_account(
    account_id: IdPath, engine: EngineDep, settings: SettingsDep, signed: SignedRequestDep
) -> queries.AccountView:
    return await run_in_threadpool(readable_account, engine, settings, signed, account_id)


ReadableAccount = Annotated[queries.AccountView, Depends(_readable_account)]
"""The account named by the path's ``account_id``, once the signed caller may read it."""
