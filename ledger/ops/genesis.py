"""Genesis: the first entry of every log, naming the log and its operator (the registrar)."""

from __future__ import annotations

import base64

from ledger.errors import RuleViolation
from ledger.keys import key_id
from ledger.ops.context import Context, Event
from ledger.ops.fields import Id, Message, PublicKey, Text
from ledger.records import Account, KeyRecord, Participant
from ledger.state import Table

OP = "genesis"


class Body(Message):
    origin: Text
    log_key: Text
    """The checkpoint verifier key, in signed-note verifier-key form."""
    operator_id: Id
    operator_name: Text
    operator_key: PublicKey


def apply(body: Body, ctx: Context) -> Event:
    if ctx.index != 0:
        raise RuleViolation("genesis may only be the first entry", code="invalid_genesis")
    if body.origin != ctx.origin:
        raise RuleViolation(
            f"genesis names origin {body.origin!r}, the log is {ctx.origin!r}",
            code="wrong_ledger",
        )
    public = base64.b64decode(body.operator_key)
    kid = key_id(public)
    state = ctx.state
    state.put(
        Table.PARTICIPANT,
        body.operator_id,
        Participant(
            body.operator_id,
            body.operator_name,
            "operator",
            frozenset({"registrar"}),
            None,
            ctx.index,
        ),
    )
    state.put(Table.KEY, kid, KeyRecord(kid, body.operator_id, public, ctx.index))
    state.put(
        Table.ACCOUNT,
        body.operator_id,
        Account(body.operator_id, body.operator_id, None, "participant", ctx.index),
    )
    return Event(OP, ctx.index, {"origin": body.origin, "operator": body.operator_id})
