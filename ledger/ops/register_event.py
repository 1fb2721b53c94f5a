"""Registering an event to be made carbon neutral, with its emissions inventory.

The inventory follows the structure of the national guideline for carbon neutrality of
large-scale events (Ministry of Ecology and Environment, 2019): emissions are accounted per
stage (preparation, hosting, closing) and per source, each line with its quantity in grams of
CO2e and the calculation basis (activity data and emission factor, as text). The signer is the
organiser. A named verifier must co-sign: it attests the inventory, and may not be the
organiser. The event's identifier is ``EVT-<log index>``; retirements count toward it when they
name it (``ledger.ops.event_coverage``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import Field, model_validator

from ledger.errors import RuleViolation
from ledger.ops.context import Context, Event, require_role
from ledger.ops.fields import Digest, Grams, Id, IsoDate, LongText, Message, Region, Text
from ledger.records import EmissionLine, EventRecord
from ledger.state import Table

Stage = Literal["preparation", "hosting", "closing"]
STAGES: tuple[Stage, ...] = ("preparation", "hosting", "closing")
Source = Literal[
    "purchased_electricity",
    "attendee_travel",
    "catering",
    "materials",
    "accommodation",
    "waste",
    "other",
]
SOURCES: tuple[Source, ...] = (
    "purchased_electricity",
    "attendee_travel",
    "catering",
    "materials",
    "accommodation",
    "waste",
    "other",
)
MAX_LINES = 200
Totals = tuple[tuple[str, str, int], ...]
"""Grams per (stage, source), in guideline order, pairs with a zero total left out."""


class EmissionItem(Message):
    """One line of the inventory: a stage, a source, grams of CO2e and how they were computed."""

    stage: Stage
    source: Source
    quantity: Grams
    basis: LongText
    """Activity data and emission factor with its source, e.g. '12,400 kWh x 0.5703 kg/kWh'."""


class RegisterEvent(Message):
    name: Text
    start_date: IsoDate
    end_date: IsoDate
    place: Text
    jurisdiction: Region
    emissions: Annotated[list[EmissionItem], Field(min_length=1, max_length=MAX_LINES)]
    verifier: Id | None = None
    report_digest: Digest | None = None
    """SHA-256 of the verifier's report on the inventory; given with, and only with, a verifier."""

    @model_validator(mode="after")
    def _consistent(self) -> RegisterEvent:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        if (self.verifier is None) != (self.report_digest is None):
            raise ValueError("give both verifier and report_digest, or neither")
        return self


def event_id(index: int) -> str:
    return f"EVT-{index}"


def add_to_totals(totals: Totals, changes: Iterable[tuple[str, str, int]]) -> dict[str, int]:
    """Totals after ``changes`` as ``{"stage/source": grams}``; may hold negative sums."""
    out: dict[str, int] = {f"{stage}/{source}": grams for stage, source, grams in totals}
    for stage, source, grams in changes:
        key = f"{stage}/{source}"
        out[key] = out.get(key, 0) + grams
    return out


def ordered_totals(sums: dict[str, int]) -> Totals:
    """``sums`` as stored: guideline order of stages and sources, zero totals left out."""
    return tuple(
        (stage, source, sums[f"{stage}/{source}"])
        for stage in STAGES
        for source in SOURCES
        if sums.get(f"{stage}/{source}", 0) != 0
    )


def register_event(body: RegisterEvent, ctx: Context) -> Event:
    if body.verifier is not None:
        require_role(ctx, body.verifier, "verifier")
        if body.verifier == ctx.signer:
            raise RuleViolation(
                f"verifier {body.verifier!r} may not attest its own event's inventory",
                code="verifier_conflict",
            )
        ctx.require_signature(body.verifier, "the inventory's verification")
    eid = event_id(ctx.index)
    totals = ordered_totals(
        add_to_totals((), ((i.stage, i.source, i.quantity) for i in body.emissions))
    )
    emitted = sum(grams for _, _, grams in totals)
    for line, item in enumerate(body.emissions):
        ctx.state.append(
            Table.EVENT_EMISSION,
            (eid, line),
            EmissionLine(eid, line, ctx.index, item.stage, item.source, item.quantity, item.basis),
        )
    ctx.state.put(
        Table.EVENT,
        eid,
        EventRecord(
            id=eid,
            index=ctx.index,
            organiser=ctx.signer,
            name=body.name,
            start_date=body.start_date,
            end_date=body.end_date,
            place=body.place,
            jurisdiction=body.jurisdiction,
            verifier=body.verifier,
            report_digest=body.report_digest,
            emissions=totals,
            emitted=emitted,
            covered=0,
            lines=len(body.emissions),
        ),
    )
    return Event("register_event", ctx.index, {"event": eid, "emitted": emitted})
