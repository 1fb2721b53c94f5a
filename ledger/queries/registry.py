"""Who and what is registered: participants and their keys, programs and the roles granted
under them, methodologies with their parameters, projects and accounts."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Text,
    literal,
    select,
)

from ledger.queries.rows import DEFAULT_LIMIT, fetch_one, page
from ledger.storage import schema


@dataclass(frozen=True, slots=True)
class KeyView:
    key_id: str
    public_key: str
    """Base64, as registered."""
    added_at: int
    revoked_at: int | None


@dataclass(frozen=True, slots=True)
class ParticipantView:
    id: str
    name: str
    kind: str
    roles: list[str]
    identifier: str | None
    registered_at: int
    keys: list[KeyView]


@dataclass(frozen=True, slots=True)
class ProgramView:
    code: str
    name: str
    region: str
    administrator: str
    registered_at: int
    batch_count: int
    next_serial: int
    roles: dict[str, list[str]]
    """Participant id -> roles the administrator granted (issuer, verifier)."""


@dataclass(frozen=True, slots=True)
class MethodologyView:
    id: str
    program: str
    code: str
    version: str
    title: str
    scenario: str
    region: str
    status: str
    parameters: list[dict[str, str]]
    registered_at: int


@dataclass(frozen=True, slots=True)
class ProjectView:
    id: str
    program: str
    owner: str
    methodology: str
    title: str
    region: str
    city: str | None
    location: str | None
    approval_ref: str | None
    registered_at: int


@dataclass(frozen=True, slots=True)
class AccountView:
    id: str
    holder: str | None
    custodian: str | None
    kind: str
    opened_at: int


def _participant_views(conn: Connection, rows: Sequence[Any]) -> list[ParticipantView]:
    k = schema.keys
    ids = [r.id for r in rows]
    keys: dict[str, list[KeyView]] = {pid: [] for pid in ids}
    if ids:
        query = select(k).where(k.c.participant.in_(ids)).order_by(k.c.added_at, k.c.key_id)
        for key in conn.execute(query):
            keys[key.participant].append(
                KeyView(key.key_id, _b64(bytes(key.public_key)), key.added_at, key.revoked_at)
            )
    return [
        ParticipantView(
            r.id, r.name, r.kind, sorted(r.roles.split()), r.identifier, r.registered_at, keys[r.id]
        )
        for r in rows
    ]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def participant(engine: Engine, pid: str) -> ParticipantView:
    p = schema.participants
    with engine.connect() as conn:
        row = fetch_one(
            conn, select(p).where(p.c.id == pid), f"participant {pid!r}", "unknown_participant"
        )
        return _participant_views(conn, [row])[0]


def participants(
    engine: Engine,
    *,
    role: str | None = None,
    kind: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[ParticipantView]:
    """Participants in order of registration."""
    p = schema.participants
    query = select(p).order_by(p.c.registered_at, p.c.id)
    if kind is not None:
        query = query.where(p.c.kind == kind)
    if role is not None:
        # roles is a space-separated word list; pad it so a role matches only as a whole word.
        padded = literal(" ", Text) + p.c.roles + literal(" ", Text)
        query = query.where(padded.contains(f" {role} ", autoescape=True))
    with engine.connect() as conn:
        return _participant_views(conn, conn.execute(page(query, limit, offset)).all())


def _program_views(conn: Connection, rows: Sequence[Any]) -> list[ProgramView]:
    r = schema.program_roles
    roles: dict[str, dict[str, list[str]]] = {row.code: {} for row in rows}
    if roles:
        query = select(r).where(r.c.program.in_(list(roles))).order_by(r.c.participant)
        for grant in conn.execute(query):
            if grant.roles:
                roles[grant.program][grant.participant] = sorted(grant.roles.split())
    return [
        ProgramView(
            row.code,
            row.name,
            row.region,
            row.administrator,
            row.registered_at,
            row.batch_count,
            row.next_serial,
            roles[row.code],
        )
        for row in rows
    ]


def program(engine: Engine, code: str) -> ProgramView:
    p = schema.programs
    with engine.connect() as conn:
        row = fetch_one(
            conn, select(p).where(p.c.code == code), f"program {code!r}", "unknown_program"
        )
        return _program_views(conn, [row])[0]


def programs(engine: Engine, *, limit: int = DEFAULT_LIMIT, offset: int = 0) -> list[ProgramView]:
    p = schema.programs
    query = select(p).order_by(p.c.registered_at)
    with engine.connect() as conn:
        return _program_views(conn, conn.execute(page(query, limit, offset)).all())


def _methodology(row: Any) -> MethodologyView:
    return MethodologyView(
        row.id,
        row.program,
        row.code,
        row.version,
        row.title,
        row.scenario,
        row.region,
        row.status,
        orjson.loads(row.parameters),
        row.registered_at,
    )


def methodology(engine: Engine, mid: str) -> MethodologyView:
    m = schema.methodologies
    with engine.connect() as conn:
        return _methodology(
            fetch_one(
                conn, select(m).where(m.c.id == mid), f"methodology {mid!r}", "unknown_methodology"
            )
        )


def methodologies(
    engine: Engine,
    *,
    program: str | None = None,
    status: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[MethodologyView]:
    m = schema.methodologies
    query = select(m).order_by(m.c.registered_at)
    if program is not None:
        query = query.where(m.c.program == program)
    if status is not None:
        query = query.where(m.c.status == status)
    with engine.connect() as conn:
        return [_methodology(r) for r in conn.execute(page(query, limit, offset))]


def _project(row: Any) -> ProjectView:
    return ProjectView(
        row.id,
        row.program,
        row.owner,
        row.methodology,
        row.title,
        row.region,
        row.city,
        row.location,
        row.approval_ref,
        row.registered_at,
    )


def project(engine: Engine, pid: str) -> ProjectView:
    p = schema.projects
    with engine.connect() as conn:
        return _project(
            fetch_one(conn, select(p).where(p.c.id == pid), f"project {pid!r}", "unknown_project")
        )


def projects(
    engine: Engine,
    *,
    program: str | None = None,
    owner: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[ProjectView]:
    p = schema.projects
    query = select(p).order_by(p.c.registered_at)
    if program is not None:
        query = query.where(p.c.program == program)
    if owner is not None:
        query = query.where(p.c.owner == owner)
    with engine.connect() as conn:
        return [_project(r) for r in conn.execute(page(query, limit, offset))]


def account(engine: Engine, aid: str) -> AccountView:
    a = schema.accounts
    with engine.connect() as conn:
        r = fetch_one(conn, select(a).where(a.c.id == aid), f"account {aid!r}", "unknown_account")
    return AccountView(r.id, r.holder, r.custodian, r.kind, r.opened_at)


def accounts(
    engine: Engine, *, custodian: str | None = None, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> list[AccountView]:
    a = schema.accounts
    query = select(a).order_by(a.c.opened_at, a.c.id)
    if custodian is not None:
        query = query.where(a.c.custodian == custodian)
    with engine.connect() as conn:
        rows = conn.execute(page(query, limit, offset)).all()
    return [AccountView(r.id, r.holder, r.custodian, r.kind, r.opened_at) for r in rows]
