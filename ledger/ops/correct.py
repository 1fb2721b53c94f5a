"""Corrections: nothing is edited or deleted; a compensating entry points at what it corrects.

Two corrections exist. ``reverse_transfer``: the program administrator moves a mistaken
transfer's exact serial ranges back (the recipient must still hold them). ``amend_retirement``:
the beneficiary or note of a retirement is corrected, by the retiring party within 24 hours or
by the administrator at any time; the retired credits stay retired. The corrected record keeps
a pointer to its correction, and the log keeps both.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from pydantic import Field, model_validator

from ledger.errors import NotFound, RuleViolation
from ledger.ops.context import Context, Event, batch, deny
from ledger.ops.fields import Id, LongText, LotRequest, Message
from ledger.ops.holdings import credit, debit, lots_json
from ledger.ops.retire import Beneficiary
from ledger.records import Correction, Lot
from ledger.state import Table

CORRECTION_WINDOW_MS = 24 * 3600 * 1000


class Correct(Message):
    corrects: Annotated[int, Field(ge=1)]
    """Log index of the entry being corrected."""
    action: Literal["reverse_transfer", "amend_retirement"]
    reason: LongText
    retirement: Id | None = None
    beneficiary: Beneficiary | None = None
    note: LongText | None = None

    @model_validator(mode="after")
    def _fields_match_action(self) -> Correct:
        amending = self.action == "amend_retirement"
        if amending and (
            self.retirement is None or (self.beneficiary is None and self.note is None)
        ):
            raise ValueError("amend_retirement needs a retirement and a beneficiary or a note")
        if not amending and (self.retirement or self.beneficiary or self.note):
            raise ValueError("reverse_transfer takes no retirement, beneficiary or note")
        return self


def correct(body: Correct, ctx: Context) -> Event:
    if body.action == "reverse_transfer":
        data = _reverse_transfer(body, ctx)
    else:
        data = _amend_retirement(body, ctx)
    ctx.state.append(
        Table.CORRECTION,
        ctx.index,
        Correction(ctx.index, body.corrects, body.action, body.reason, data),
    )
    return Event("correct", ctx.index, {"corrects": body.corrects, "action": body.action, **data})


def _require_admin_of(ctx: Context, lots: tuple[Lot, ...]) -> None:
    for lot in lots:
        program = ctx.state.program(batch(ctx, lot.batch).program)
        if program is None or program.administrator != ctx.signer:
            deny(f"only the administrator of {lot.batch}'s program may correct it")


def _reverse_transfer(body: Correct, ctx: Context) -> dict[str, object]:
    original = ctx.state.transfer_record(body.corrects)
    if original is None:
        raise NotFound(f"entry {body.corrects} is not a transfer", code="invalid_correction")
    if original.corrected_by is not None:
        raise RuleViolation(
            f"transfer {body.corrects} was already corrected by entry {original.corrected_by}",
            code="invalid_correction",
        )
    _require_admin_of(ctx, original.lots)
    requests = [
        LotRequest(batch=lot.batch, serial_start=start, serial_end=end)
        for lot in original.lots
        for start, end in lot.ranges
    ]
    lots = debit(ctx, original.to_account, requests)
    credit(ctx, original.from_account, lots)
    ctx.state.put(
        Table.TRANSFER, original.index, dataclasses.replace(original, corrected_by=ctx.index)
    )
    return {"from": original.to_account, "to": original.from_account, "lots": lots_json(lots)}


def _amend_retirement(body: Correct, ctx: Context) -> dict[str, object]:
    assert body.retirement is not None
    found = ctx.state.retirement(body.retirement)
    if found is None or found.index != body.corrects:
        raise NotFound(
            f"retirement {body.retirement} is not the one recorded by entry {body.corrects}",
            code="invalid_correction",
        )
    in_window = ctx.signer == found.retired_by and (
        ctx.time_ms - found.time_ms <= CORRECTION_WINDOW_MS
    )
    if not in_window:
        _require_admin_of(ctx, found.lots)
    changes: dict[str, object] = {}
    amended = found
    if body.beneficiary is not None:
        amended = dataclasses.replace(
            amended,
            beneficiary_name=body.beneficiary.name,
            beneficiary_id=body.beneficiary.identifier,
        )
        changes["beneficiary"] = body.beneficiary.model_dump()
    if body.note is not None:
        amended = dataclasses.replace(amended, note=body.note)
        changes["note"] = body.note
    ctx.state.put(Table.RETIREMENT, found.id, dataclasses.replace(amended, corrected_by=ctx.index))
    return {"retirement": found.id, **changes}
