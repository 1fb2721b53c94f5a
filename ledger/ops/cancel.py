"""Cancellation: credits removed for good for a stated reason.

Ecological-damage compensation names the case (authority, case number, appraised damage in fen,
decision digest) and needs the authority's co-signature; a registered case must be open and
match, and counts the cancellation (``ledger.ops.case_compensation``). An administrative
invalidation or a correction is done by the program's administrator, from any account of that
program.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from ledger.errors import NotFound
from ledger.ops.case_compensation import count_toward_case
from ledger.ops.context import (
    Context,
    Event,
    batch,
    controlled_account,
    deny,
    existing_account,
    require_role,
)
from ledger.ops.fields import Digest, Fen, Id, LongText, Lots, Message, Text
from ledger.ops.holdings import debit, lock, lots_json, move_supply
from ledger.records import Cancellation
from ledger.state import Table

Reason = Literal["ecological_compensation", "administrative_invalidation", "correction", "export"]
ADMINISTRATIVE = frozenset({"administrative_invalidation", "correction"})


class Case(Message):
    authority: Id
    case_number: Text
    damage_fen: Fen
    decision_digest: Digest


class Cancel(Message):
    account: Id
    lots: Lots
    reason: Reason
    case: Case | None = None
    destination: Text | None = None
    """For an export: the registry the credits go to."""
    note: LongText | None = None

    @model_validator(mode="after")
    def _case_matches_reason(self) -> Cancel:
        if (self.reason == "ecological_compensation") != (self.case is not None):
            raise ValueError("a case record goes with, and only with, ecological_compensation")
        if (self.reason == "export") != (self.destination is not None):
            raise ValueError("a destination goes with, and only with, export")
        return self


def cancellation_id(index: int) -> str:
    return f"CAN-{index}"


def cancel(body: Cancel, ctx: Context) -> Event:
    if body.reason in ADMINISTRATIVE:
        existing_account(ctx, body.account)
        for request in body.lots:
            program = ctx.state.program(batch(ctx, request.batch).program)
            if program is None or program.administrator != ctx.signer:
                deny(f"only the administrator of {request.batch}'s program may invalidate it")
    else:
        controlled_account(ctx, body.account)
    case = body.case
    if case is not None:
        if ctx.state.participant(case.authority) is None:
            raise NotFound(
                f"authority {case.authority!r} is not registered", code="unknown_participant"
            )
        require_role(ctx, case.authority, "authority")
        ctx.require_signature(case.authority, "ecological-compensation approval")
    cid = cancellation_id(ctx.index)
    lots = debit(ctx, body.account, body.lots)
    lock(ctx, lots, body.account, "cancelled", cid)
    move_supply(ctx, lots, "held", "cancelled")
    quantity = sum(lot.quantity for lot in lots)
    counted: dict[str, object] = {}
    if case is not None:
        counted = count_toward_case(
            ctx,
            case_number=case.case_number,
            authority=case.authority,
            damage_fen=case.damage_fen,
            decision_digest=case.decision_digest,
            account=body.account,
            quantity=quantity,
        )
    ctx.state.append(  # the id is the entry's index: new by construction
        Table.CANCELLATION,
        cid,
        Cancellation(
            id=cid,
            index=ctx.index,
            account=body.account,
            cancelled_by=ctx.signer,
            lots=lots,
            quantity=quantity,
            reason=body.reason,
            authority=case.authority if case else None,
            case_number=case.case_number if case else None,
            damage_fen=case.damage_fen if case else None,
            decision_digest=case.decision_digest if case else None,
            destination=body.destination,
            note=body.note,
            time_ms=ctx.time_ms,
        ),
    )
    data = {"cancellation": cid, "quantity": quantity, "lots": lots_json(lots), **counted}
    return Event("cancel", ctx.index, data)
