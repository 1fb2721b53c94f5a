"""Counting ecological-compensation cancellations toward a registered case.

A cancellation with reason ``ecological_compensation`` whose ``case.case_number`` is a
registered case counts toward it. The case must be open (``case_closed``); the cancellation's
authority, damage and decision digest must be the case's, and the cancelled account must be the
liable party's (``case_mismatch``). The authority's co-signature, which ``cancel`` requires, is
its approval. When the cancelled grams reach the required grams the case closes, recorded at
that entry. A case number nobody registered is recorded as given and counts toward nothing.
"""

from __future__ import annotations

import dataclasses

from ledger.errors import RuleViolation
from ledger.ops.context import Context, existing_account
from ledger.state import Table


def count_toward_case(
    ctx: Context,
    *,
    case_number: str,
    authority: str,
    damage_fen: int,
    decision_digest: str,
    account: str,
    quantity: int,
) -> dict[str, object]:
    """Count ``quantity`` grams cancelled at ``ctx.index`` toward the case, if registered.

    Returns what the cancellation's event reports about the case (nothing for an unregistered
    case number). Raises ``case_closed`` or ``case_mismatch``.
    """
    found = ctx.state.case(case_number)
    if found is None:
        return {}
    if found.status != "open":
        raise RuleViolation(
            f"case {case_number!r} was closed at entry {found.closed_at}", code="case_closed"
        )
    given = {"authority": authority, "damage_fen": damage_fen, "decision_digest": decision_digest}
    for name, value in given.items():
        want = getattr(found, name)
        if value != want:
            raise RuleViolation(
                f"case {case_number!r} has {name} {want!r}, the cancellation gives {value!r}",
                code="case_mismatch",
                field=name,
            )
    holder = existing_account(ctx, account).holder
    if holder != found.liable_party:
        raise RuleViolation(
            f"case {case_number!r} binds {found.liable_party!r}; account {account!r} is not theirs",
            code="case_mismatch",
            field="account",
        )
    cancelled = found.cancelled + quantity
    closed = cancelled >= found.required
    ctx.state.put(
        Table.CASE,
        found.case_number,
        dataclasses.replace(
            found,
            cancelled=cancelled,
            status="closed" if closed else "open",
            closed_at=ctx.index if closed else None,
        ),
    )
    return {"case": found.case_number, "case_cancelled": cancelled, "case_closed": closed}
