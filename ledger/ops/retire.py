"""Retirement: credits used up for good to offset emissions, on behalf of a beneficiary.

Each retirement is a public claim with a stable identifier (``RET-<log index>``): who retired,
for whom, why (event or enterprise neutrality, compliance offset, personal, donation), against
which event or claim, in which jurisdiction and for which consumption period. An ``event_ref``
naming a registered event counts toward that event (``ledger.ops.event_coverage``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from ledger.ops.context import Context, Event, controlled_account
from ledger.ops.event_coverage import cover_event
from ledger.ops.fields import Id, IsoDate, LongText, Lots, Message, Region, Text
from ledger.ops.holdings import debit, lock, lots_json, move_supply
from ledger.records import Retirement
from ledger.state import Table

Purpose = Literal[
    "event_neutrality", "enterprise_neutrality", "compliance_offset", "personal", "donation"
]


class Beneficiary(Message):
    name: Text
    identifier: Text | None = None


class Retire(Message):
    account: Id
    lots: Lots
    beneficiary: Beneficiary
    purpose: Purpose
    jurisdiction: Region
    event_ref: Text | None = None
    claim_ref: Text | None = None
    period_start: IsoDate | None = None
    period_end: IsoDate | None = None
    note: LongText | None = None

    @model_validator(mode="after")
    def _period_in_order(self) -> Retire:
        if (self.period_start is None) != (self.period_end is None):
            raise ValueError("give both period_start and period_end, or neither")
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


def retirement_id(index: int) -> str:
    return f"RET-{index}"


def retire(body: Retire, ctx: Context) -> Event:
    controlled_account(ctx, body.account)
    rid = retirement_id(ctx.index)
    lots = debit(ctx, body.account, body.lots)
    lock(ctx, lots, body.account, "retired", rid)
    move_supply(ctx, lots, "held", "retired")
    quantity = sum(lot.quantity for lot in lots)
    event = cover_event(
        ctx,
        event_ref=body.event_ref,
        purpose=body.purpose,
        jurisdiction=body.jurisdiction,
        quantity=quantity,
    )
    ctx.state.append(  # the id is the entry's index: new by construction
        Table.RETIREMENT,
        rid,
        Retirement(
            id=rid,
            index=ctx.index,
            account=body.account,
            retired_by=ctx.signer,
            lots=lots,
            quantity=quantity,
            beneficiary_name=body.beneficiary.name,
            beneficiary_id=body.beneficiary.identifier,
            purpose=body.purpose,
            event_ref=body.event_ref,
            claim_ref=body.claim_ref,
            jurisdiction=body.jurisdiction,
            period_start=body.period_start,
            period_end=body.period_end,
            note=body.note,
            time_ms=ctx.time_ms,
        ),
    )
    data = {"retirement": rid, "quantity": quantity, "lots": lots_json(lots)}
    if event is not None:
        data["event"] = event
    return Event("retire", ctx.index, data)
