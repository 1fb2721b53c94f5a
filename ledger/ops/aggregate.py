"""Aggregation: many persons' reductions pooled, each with consent, into one tradable lot.

The custodian platform moves credits out of personal accounts it keeps, each contribution
carrying the person's consent reference, into a new lot account that it holds (kind
``aggregation``); the lot is then sold like any credit (a ``transfer`` with a price) and the
revenue of each sale is shared with the contributors (``ledger.ops.revenue``). The entry is
accepted whole or refused with every bad contribution named (``ledger.ops.row_problems``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ledger import canonical
from ledger.errors import LedgerError, RuleViolation
from ledger.ops.context import Context, Event, require_role
from ledger.ops.fields import Id, LotRequest, Message, Text
from ledger.ops.holdings import credit, debit, merge
from ledger.ops.row_problems import RowProblem, reject_rows
from ledger.records import Account, Aggregation, Lot, Range
from ledger.state import Table

MAX_CONTRIBUTIONS = 10_000


class Contribution(Message):
    account: Id
    lots: Annotated[list[LotRequest], Field(min_length=1, max_length=100)]
    consent_ref: Text
    """The platform's reference to the person's consent to pool and sell (e.g. its digest)."""


class Aggregate(Message):
    lot_account: Id
    """The new account that holds the lot; the platform holds it."""
    contributions: Annotated[list[Contribution], Field(min_length=1, max_length=MAX_CONTRIBUTIONS)]


def aggregation_id(index: int) -> str:
    return f"AGG-{index}"


def aggregate(body: Aggregate, ctx: Context) -> Event:
    require_role(ctx, ctx.signer, "platform")
    state = ctx.state
    if state.account(body.lot_account) is not None or state.participant(body.lot_account):
        raise RuleViolation(f"account {body.lot_account!r} exists", code="duplicate_account")
    aid = aggregation_id(ctx.index)
    problems: list[RowProblem] = []
    pooled: dict[str, list[Range]] = {}
    rows: list[tuple[str, int, str, int, str, str]] = []
    seen: set[str] = set()
    for n, contribution in enumerate(body.contributions):
        problem = _contributor_problem(ctx, contribution.account, seen)
        if problem is not None:
            problems.append(RowProblem(n, *problem))
            continue
        try:
            lots = debit(ctx, contribution.account, contribution.lots)
        except LedgerError as exc:
            problems.append(RowProblem(n, exc.code, exc.message))
            continue
        for lot in lots:
            pooled.setdefault(lot.batch, []).extend(lot.ranges)
        # an aggregation_contributions row: aggregation, position, account, quantity, consent
        rows.append(
            (
                aid,
                n,
                contribution.account,
                sum(lot.quantity for lot in lots),
                contribution.consent_ref,
                canonical.encode([lot.to_json() for lot in lots]).decode(),
            )
        )
    if problems:
        reject_rows(problems, "contributions")
    state.put(
        Table.ACCOUNT,
        body.lot_account,
        Account(body.lot_account, ctx.signer, None, "aggregation", ctx.index),
    )
    credit(ctx, body.lot_account, [Lot(b, merge(r)) for b, r in pooled.items()])
    quantity = sum(row[3] for row in rows)
    state.append(
        Table.AGGREGATION,
        aid,
        Aggregation(
            aid, ctx.index, ctx.signer, body.lot_account, quantity, len(rows), 0, ctx.time_ms
        ),
    )
    state.insert_rows(Table.CONTRIBUTIONS, list(rows))
    state.preload(Table.CONTRIBUTIONS, [(aid, tuple((row[2], row[3]) for row in rows))])
    return Event(
        "aggregate",
        ctx.index,
        {
            "aggregation": aid,
            "lot_account": body.lot_account,
            "quantity": quantity,
            "contributors": len(rows),
        },
    )


def _contributor_problem(ctx: Context, aid: str, seen: set[str]) -> tuple[str, str] | None:
    if aid in seen:
        return "duplicate_contributor", f"account {aid!r} contributes twice"
    seen.add(aid)
    account = ctx.state.account(aid)
    if account is None:
        return "unknown_account", f"account {aid!r} does not exist"
    if account.kind != "personal" or account.custodian != ctx.signer:
        return "not_in_custody", f"{aid!r} is not in {ctx.signer}'s custody"
    return None
