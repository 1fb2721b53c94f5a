"""Moving serial ranges: the debit and credit helpers every credit operation shares.

Each batch's serials form one half-open range; every serial is at any time in exactly one
holding (held by an account, pledged, retired or cancelled). Debiting takes ranges out of an
account's held ranges (lowest serials first, or an exact sub-range); the caller then credits
them to another account or locks them under a pledge, retirement or cancellation, and moves
the batch's supply counters between ``held``, ``pledged``, ``retired`` and ``cancelled``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ledger.errors import RuleViolation
from ledger.ops.context import Context, batch
from ledger.ops.fields import LotRequest
from ledger.records import Holding, Lot, Range
from ledger.state import Table


def take_quantity(held: Sequence[Range], quantity: int) -> tuple[list[Range], list[Range]]:
    """Split ``held`` into (taken, kept): the lowest serials adding up to ``quantity``.

    Requires sum of ``held`` >= quantity > 0.
    """
    taken: list[Range] = []
    kept: list[Range] = []
    need = quantity
    for start, end in held:
        if need == 0:
            kept.append((start, end))
            continue
        size = end - start
        if size <= need:
            taken.append((start, end))
            need -= size
        else:
            taken.append((start, start + need))
            kept.append((start + need, end))
            need = 0
    return taken, kept


def take_range(held: Sequence[Range], start: int, end: int) -> list[Range] | None:
    """``held`` less ``[start, end)``, or None if that range is not wholly inside one range."""
    for i, (s, e) in enumerate(held):
        if s <= start and end <= e:
            rest = list(held[:i])
            if s < start:
                rest.append((s, start))
            if end < e:
                rest.append((end, e))
            rest.extend(held[i + 1 :])
            return rest
    return None


def merge(ranges: Iterable[Range]) -> tuple[Range, ...]:
    """Sorted ranges with adjacent ones joined."""
    out: list[Range] = []
    for start, end in sorted(ranges):
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return tuple(out)


def debit(ctx: Context, account: str, requests: Sequence[LotRequest]) -> tuple[Lot, ...]:
    """Take the requested credits out of ``account``'s held ranges.

    Raises ``insufficient_credits`` or ``serials_not_held``; the caller's savepoint undoes a
    partial debit when a later lot fails.
    """
    lots: dict[str, list[Range]] = {}
    for request in requests:
        found = batch(ctx, request.batch)
        held = ctx.state.held(account, found.id)
        if request.quantity is not None:
            have = sum(e - s for s, e in held)
            if have < request.quantity:
                raise RuleViolation(
                    f"account {account!r} holds {have} g of {found.id}, "
                    f"{request.quantity} g requested",
                    code="insufficient_credits",
                    batch=found.id,
                    held=have,
                    requested=request.quantity,
                )
            taken, kept = take_quantity(held, request.quantity)
        else:
            assert request.serial_start is not None and request.serial_end is not None
            start, end = request.serial_start, request.serial_end
            rest = take_range(held, start, end)
            if rest is None:
                raise RuleViolation(
                    f"serials {start}-{end} of {found.id} are not held by {account!r}",
                    code="serials_not_held",
                    batch=found.id,
                    serial_start=start,
                    serial_end=end,
                )
            taken, kept = [(start, end)], rest
        ctx.state.put(Table.HELD, (account, found.id), tuple(kept))
        lots.setdefault(found.id, []).extend(taken)
    return tuple(Lot(b, merge(r)) for b, r in lots.items())


def credit(ctx: Context, account: str, lots: Iterable[Lot]) -> None:
    """Add ``lots`` to ``account``'s held ranges."""
    for lot in lots:
        held = ctx.state.held(account, lot.batch)
        ctx.state.put(Table.HELD, (account, lot.batch), merge((*held, *lot.ranges)))


def lock(ctx: Context, lots: Iterable[Lot], account: str, status: str, ref: str) -> None:
    """Record ``lots`` as pledged, retired or cancelled under ``ref``.

    Requires the lots just debited from ``account`` (``debit``): a serial is in one state at a
    time, so no locked holding starts where a held range did, and none is read first.
    """
    for lot in lots:
        for start, end in lot.ranges:
            holding = Holding(lot.batch, start, end, account, status, ref)
            ctx.state.append(Table.HOLDING, (lot.batch, start), holding)


def unlock(ctx: Context, lots: Iterable[Lot]) -> None:
    """Remove the locked holdings of ``lots`` (a pledge released or enforced)."""
    for lot in lots:
        for start, _end in lot.ranges:
            ctx.state.put(Table.HOLDING, (lot.batch, start), None)


def move_supply(ctx: Context, lots: Iterable[Lot], source: str, target: str) -> None:
    """Move each lot's quantity from counter ``source`` to ``target`` of its batch."""
    for lot in lots:
        found = batch(ctx, lot.batch)
        amount = lot.quantity
        changed = dataclasses.replace(
            found,
            **{source: getattr(found, source) - amount, target: getattr(found, target) + amount},
        )
        ctx.state.put(Table.BATCH, found.id, changed)


def lot_reads(*account_fields: str) -> Callable[[dict[str, Any]], list[tuple[Table, Any]]]:
    """The ``reads`` hint of an operation that debits or credits the ``lots`` of a body: the
    accounts the body's ``account_fields`` name, each lot's batch, and its held ranges in
    those accounts."""

    def reads(body: dict[str, Any]) -> list[tuple[Table, Any]]:
        lots = body.get("lots")
        accounts = [a for a in (body.get(name) for name in account_fields) if isinstance(a, str)]
        if not isinstance(lots, list):
            return []
        batches = [
            lot["batch"]
            for lot in lots
            if isinstance(lot, dict) and isinstance(lot.get("batch"), str)
        ]
        return [
            *((Table.ACCOUNT, account) for account in accounts),
            *((Table.BATCH, batch) for batch in batches),
            *((Table.HELD, (account, batch)) for batch in batches for account in accounts),
        ]

    return reads


def lots_json(lots: Iterable[Lot]) -> list[dict[str, object]]:
    return [lot.to_json() for lot in lots]
