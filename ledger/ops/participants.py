"""Participants and their keys: registration by the registrar, key rotation and revocation.

Registering a participant also opens its own account, with the participant's id.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Annotated, Literal

from pydantic import Field

from ledger.errors import NotFound, RuleViolation
from ledger.keys import key_id
from ledger.ops.context import Context, Event, deny, participant, require_registrar
from ledger.ops.fields import Id, Message, PublicKey, Text
from ledger.records import Account, KeyRecord, Participant
from ledger.state import Table

ROLES = ("registrar", "authority", "bank", "exchange", "platform", "verifier", "issuer", "holder")
Role = Literal[
    "registrar", "authority", "bank", "exchange", "platform", "verifier", "issuer", "holder"
]
Kind = Literal[
    "government",
    "enterprise",
    "certification_body",
    "collective",
    "household",
    "individual",
    "financial_institution",
    "exchange",
    "platform",
    "operator",
]


class RegisterParticipant(Message):
    id: Id
    name: Text
    kind: Kind
    roles: Annotated[list[Role], Field(max_length=8)]
    keys: Annotated[list[PublicKey], Field(min_length=1, max_length=8)]
    identifier: Text | None = None
    """An external identifier, e.g. a unified social credit code."""


class AddKey(Message):
    participant: Id
    public_key: PublicKey


class RevokeKey(Message):
    participant: Id
    key_id: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]


def register_participant(body: RegisterParticipant, ctx: Context) -> Event:
    require_registrar(ctx)
    state = ctx.state
    if state.participant(body.id) is not None or state.account(body.id) is not None:
        raise RuleViolation(f"participant {body.id!r} exists", code="duplicate_participant")
    kids = []
    for encoded in body.keys:
        kids.append(_add_key(ctx, body.id, encoded))
    state.put(
        Table.PARTICIPANT,
        body.id,
        Participant(
            body.id, body.name, body.kind, frozenset(body.roles), body.identifier, ctx.index
        ),
    )
    state.put(Table.ACCOUNT, body.id, Account(body.id, body.id, None, "participant", ctx.index))
    return Event("register_participant", ctx.index, {"participant": body.id, "keys": kids})


def add_key(body: AddKey, ctx: Context) -> Event:
    _require_self_or_registrar(ctx, body.participant)
    participant(ctx, body.participant)
    kid = _add_key(ctx, body.participant, body.public_key)
    return Event("add_key", ctx.index, {"participant": body.participant, "key_id": kid})


def revoke_key(body: RevokeKey, ctx: Context) -> Event:
    _require_self_or_registrar(ctx, body.participant)
    record = ctx.state.key(body.key_id)
    if record is None or record.participant != body.participant:
        raise NotFound(
            f"key {body.key_id} does not belong to {body.participant!r}", code="unknown_key"
        )
    if record.revoked_at is not None:
        raise RuleViolation(f"key {body.key_id} is already revoked", code="key_revoked")
    ctx.state.put(Table.KEY, record.key_id, dataclasses.replace(record, revoked_at=ctx.index))
    return Event("revoke_key", ctx.index, {"participant": body.participant, "key_id": body.key_id})


def _require_self_or_registrar(ctx: Context, pid: str) -> None:
    if ctx.signer == pid:
        return
    signer = participant(ctx, ctx.signer)
    if "registrar" not in signer.roles:
        deny(f"only {pid!r} or the registrar may change {pid!r}'s keys")


def _add_key(ctx: Context, pid: str, encoded: str) -> str:
    public = base64.b64decode(encoded)
    kid = key_id(public)
    if ctx.state.key(kid) is not None:
        raise RuleViolation(f"key {kid} is already registered", code="duplicate_key")
    ctx.state.put(Table.KEY, kid, KeyRecord(kid, pid, public, ctx.index))
    return kid
