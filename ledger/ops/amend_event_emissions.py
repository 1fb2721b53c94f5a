"""Amending an event's emissions inventory by compensating lines, never by editing.

Each change adds (or, negative, takes away) grams on one stage and source, with its
calculation basis; the amendment's reason is kept with every line. Registered lines stay as
they were. Only the organiser amends, and the event's verifier, if it has one, co-signs the
amended inventory. No stage and source may end below zero and the event must still emit
something. Neutrality is recomputed: an event that emits more than is covered is no longer
neutral until further retirements cover it.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from pydantic import Field, model_validator

from ledger.errors import NotFound, RuleViolation
from ledger.ops.context import Context, Event, deny
from ledger.ops.fields import MAX_GRAMS, Id, LongText, Message
from ledger.ops.register_event import MAX_LINES, Source, Stage, add_to_totals, ordered_totals
from ledger.records import EmissionLine, EventRecord
from ledger.state import Table

Change = Annotated[int, Field(ge=-MAX_GRAMS, le=MAX_GRAMS)]


class EmissionChange(Message):
    stage: Stage
    source: Source
    change: Change
    """Grams added (positive) or taken away (negative); never zero."""
    basis: LongText

    @model_validator(mode="after")
    def _not_zero(self) -> EmissionChange:
        if self.change == 0:
            raise ValueError("a change of zero grams amends nothing")
        return self


class AmendEventEmissions(Message):
    event: Id
    changes: Annotated[list[EmissionChange], Field(min_length=1, max_length=MAX_LINES)]
    reason: LongText


def event_record(ctx: Context, eid: str) -> EventRecord:
    found = ctx.state.event(eid)
    if found is None:
        raise NotFound(f"event {eid!r} is not registered", code="unknown_event")
    return found


def amend_event_emissions(body: AmendEventEmissions, ctx: Context) -> Event:
    found = event_record(ctx, body.event)
    if ctx.signer != found.organiser:
        deny(f"only the organiser of {found.id} ({found.organiser}) may amend its inventory")
    if found.verifier is not None:
        ctx.require_signature(found.verifier, "the amended inventory's verification")
    sums = add_to_totals(found.emissions, ((c.stage, c.source, c.change) for c in body.changes))
    negative = sorted(key for key, grams in sums.items() if grams < 0)
    if negative:
        raise RuleViolation(
            f"the amendment takes {negative[0]} of {found.id} below zero grams",
            code="invalid_amendment",
            stage_source=negative[0],
        )
    totals = ordered_totals(sums)
    emitted = sum(grams for _, _, grams in totals)
    if emitted <= 0:
        raise RuleViolation(
            f"the amendment leaves {found.id} with no emissions", code="invalid_amendment"
        )
    for offset, change in enumerate(body.changes):
        line = found.lines + offset
        ctx.state.append(
            Table.EVENT_EMISSION,
            (found.id, line),
            EmissionLine(
                found.id,
                line,
                ctx.index,
                change.stage,
                change.source,
                change.change,
                change.basis,
                body.reason,
            ),
        )
    neutral = found.covered >= emitted
    if not neutral:
        neutral_at = None
    else:
        neutral_at = found.neutral_at if found.neutral_at is not None else ctx.index
    ctx.state.put(
        Table.EVENT,
        found.id,
        dataclasses.replace(
            found,
            emissions=totals,
            emitted=emitted,
            lines=found.lines + len(body.changes),
            neutral_at=neutral_at,
            amended_at=ctx.index,
        ),
    )
    return Event(
        "amend_event_emissions",
        ctx.index,
        {"event": found.id, "emitted": emitted, "covered": found.covered, "neutral": neutral},
    )
