"""Opening personal accounts in bulk: a platform brings thousands of users at once.

The same rule as ``open_account`` for each identifier (pseudonymous, new, kept by the signing
platform), applied to up to ``MAX_ACCOUNTS`` of them in one entry, accepted whole or refused
with every bad identifier named (``ledger.ops.row_problems``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ledger.ops.context import Context, Event, require_role
from ledger.ops.fields import Id, Message
from ledger.ops.row_problems import RowProblem, reject_rows
from ledger.records import Account
from ledger.state import Table

MAX_ACCOUNTS = 20_000


class OpenAccounts(Message):
    ids: Annotated[list[Id], Field(min_length=1, max_length=MAX_ACCOUNTS)]
    """Pseudonymous: never a name, phone number or ID-card number."""


def open_accounts(body: OpenAccounts, ctx: Context) -> Event:
    require_role(ctx, ctx.signer, "platform")
    state = ctx.state
    accounts = state.get_many(Table.ACCOUNT, body.ids, cache=True)
    participants = state.get_many(Table.PARTICIPANT, body.ids)
    problems: list[RowProblem] = []
    first: dict[str, int] = {}
    for n, aid in enumerate(body.ids):
        seen = first.setdefault(aid, n)
        if seen != n:
            problems.append(RowProblem(n, "duplicate_account", f"{aid!r} is also row {seen}"))
        elif accounts[aid] is not None or participants[aid] is not None:
            problems.append(RowProblem(n, "duplicate_account", f"account {aid!r} exists"))
    if problems:
        reject_rows(problems, "accounts")
    for aid in body.ids:
        state.put(Table.ACCOUNT, aid, Account(aid, None, ctx.signer, "personal", ctx.index))
    return Event("open_accounts", ctx.index, {"accounts": len(body.ids), "custodian": ctx.signer})
