"""Counting retirements toward a registered event: the ``event_ref`` contract.

A retirement whose ``event_ref`` is a registered event's id (``EVT-<log index>``) counts toward
that event: its purpose must be ``event_neutrality`` and its jurisdiction the event's, or it is
refused with ``event_mismatch``. References of the form ``EVT-<digits>`` are reserved for
registered events (an unregistered one is refused with ``unknown_event``); any other text is a
free-text reference, recorded as given and counted toward nothing. The event becomes neutral
at the first entry that brings what is covered up to what is emitted.

Every operation that retires credits for an event calls ``cover_event`` in its ``apply``, after
it knows the quantity: ``retire`` does, and so must any bulk or donation operation.
"""

from __future__ import annotations

import dataclasses
import re

from ledger.errors import NotFound, RuleViolation
from ledger.ops.context import Context
from ledger.state import Table

EVENT_REF = re.compile(r"EVT-[0-9]+")
EVENT_PURPOSE = "event_neutrality"


def names_event(event_ref: str | None) -> bool:
    """Whether ``event_ref`` is in the reserved form of a registered event's id."""
    return event_ref is not None and EVENT_REF.fullmatch(event_ref) is not None


def cover_event(
    ctx: Context, *, event_ref: str | None, purpose: str, jurisdiction: str, quantity: int
) -> str | None:
    """Count ``quantity`` grams retired at ``ctx.index`` toward the event ``event_ref`` names.

    Returns the event id, or None when ``event_ref`` is absent or free text. Raises
    ``unknown_event`` or ``event_mismatch``; the caller's savepoint undoes the retirement.
    """
    if not names_event(event_ref):
        return None
    assert event_ref is not None
    found = ctx.state.event(event_ref)
    if found is None:
        raise NotFound(f"event {event_ref!r} is not registered", code="unknown_event")
    if purpose != EVENT_PURPOSE:
        raise RuleViolation(
            f"a retirement for {found.id} must have purpose {EVENT_PURPOSE}, not {purpose}",
            code="event_mismatch",
        )
    if jurisdiction != found.jurisdiction:
        raise RuleViolation(
            f"{found.id} is in {found.jurisdiction}, the retirement names {jurisdiction}",
            code="event_mismatch",
        )
    covered = found.covered + quantity
    neutral_at = found.neutral_at
    if neutral_at is None and covered >= found.emitted:
        neutral_at = ctx.index
    changed = dataclasses.replace(found, covered=covered, neutral_at=neutral_at)
    ctx.state.put(Table.EVENT, found.id, changed)
    return found.id
