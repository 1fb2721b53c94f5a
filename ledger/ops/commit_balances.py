"""Balance commitments: a platform signs the root of a Merkle sum tree over its personal balances.

The tree (``ledger.sumtree``, built by ``ledger.personal.commitments``) has one salted leaf per
personal account in the platform's custody, holding its balance as of log size ``as_of``; the
root carries the sum. The entry must sit at index ``as_of`` itself (the tree describes the
state just before it), and the ledger checks that the committed total and number of leaves are
exactly what it holds for the platform's custody at that point. Once in the log, the commitment
is covered by the log's checkpoints (and their anchors), and each person can be given a proof
that their balance is one of the leaves.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ledger.errors import RuleViolation
from ledger.ops.context import Context, Event, require_role
from ledger.ops.fields import Digest, Message
from ledger.records import BalanceCommitment
from ledger.state import Table
from ledger.sumtree import MAX_SUM


class CommitBalances(Message):
    root: Digest
    """Hex of the sum tree's root hash."""
    total: Annotated[int, Field(ge=0, le=MAX_SUM)]
    leaves: Annotated[int, Field(gt=0, le=10**12)]
    as_of: Annotated[int, Field(ge=0)]
    """The log size the balances are as of: the index this entry must take."""


def commit_balances(body: CommitBalances, ctx: Context) -> Event:
    require_role(ctx, ctx.signer, "platform")
    if body.as_of != ctx.index:
        raise RuleViolation(
            f"the balances are as of log size {body.as_of}, the entry is at {ctx.index}",
            code="stale_commitment",
            as_of=body.as_of,
            index=ctx.index,
        )
    custody = ctx.state.custody(ctx.signer)
    if (body.total, body.leaves) != (custody.held, custody.accounts):
        raise RuleViolation(
            f"committed {body.total} g in {body.leaves} accounts, the ledger holds "
            f"{custody.held} g in {custody.accounts} accounts in {ctx.signer}'s custody",
            code="balance_total_mismatch",
            ledger_total=custody.held,
            ledger_accounts=custody.accounts,
        )
    ctx.state.append(
        Table.BALANCE_COMMITMENT,
        ctx.index,
        BalanceCommitment(
            ctx.index, ctx.signer, bytes.fromhex(body.root), body.total, body.leaves, ctx.time_ms
        ),
    )
    return Event(
        "commit_balances",
        ctx.index,
        {"platform": ctx.signer, "root": body.root, "total": body.total, "leaves": body.leaves},
    )
