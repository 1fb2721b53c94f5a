"""Accounts beyond a participant's own: personal accounts a platform keeps in custody.

A personal account carries a pseudonymous identifier and no personal data; its custodian signs
for it. A person may move to another platform: the current custodian hands the account over.
"""

from __future__ import annotations

import dataclasses

from ledger.errors import RuleViolation
from ledger.ops.context import Context, Event, controlled_account, require_role
from ledger.ops.fields import Id, Message
from ledger.records import Account
from ledger.state import Table


class OpenAccount(Message):
    id: Id
    """Pseudonymous: never a name, phone number or ID-card number."""


class ChangeCustodian(Message):
    account: Id
    custodian: Id


def open_account(body: OpenAccount, ctx: Context) -> Event:
    require_role(ctx, ctx.signer, "platform")
    if ctx.state.account(body.id) is not None or ctx.state.participant(body.id) is not None:
        raise RuleViolation(f"account {body.id!r} exists", code="duplicate_account")
    ctx.state.put(Table.ACCOUNT, body.id, Account(body.id, None, ctx.signer, "personal", ctx.index))
    return Event("open_account", ctx.index, {"account": body.id, "custodian": ctx.signer})


def change_custodian(body: ChangeCustodian, ctx: Context) -> Event:
    found = controlled_account(ctx, body.account)
    if found.kind != "personal":
        raise RuleViolation("only personal accounts change custodian", code="invalid_input")
    require_role(ctx, body.custodian, "platform")
    ctx.require_signature(body.custodian, "the new custodian accepts the account")
    ctx.state.put(Table.ACCOUNT, found.id, dataclasses.replace(found, custodian=body.custodian))
    return Event("change_custodian", ctx.index, {"account": found.id, "custodian": body.custodian})
