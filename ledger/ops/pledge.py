"""Pledges: credits locked as collateral in favour of a bank, then released or enforced.

Pledged credits can be neither moved nor retired. The holder pledges and the bank co-signs its
acceptance; only the bank releases (back to the holder) or enforces (to the bank's account).
"""

from __future__ import annotations

import dataclasses

from ledger.errors import NotFound, RuleViolation
from ledger.ops.context import Context, Event, controlled_account, deny, require_role
from ledger.ops.fields import Id, Lots, Message, Text
from ledger.ops.holdings import credit, debit, lock, lots_json, move_supply, unlock
from ledger.records import Pledge
from ledger.state import Table


class PledgeCredits(Message):
    account: Id
    lots: Lots
    bank: Id
    contract_ref: Text | None = None


class ClosePledge(Message):
    pledge: Id


def pledge_id(index: int) -> str:
    return f"PLG-{index}"


def pledge(body: PledgeCredits, ctx: Context) -> Event:
    controlled_account(ctx, body.account)
    require_role(ctx, body.bank, "bank")
    ctx.require_signature(body.bank, "the bank accepts the collateral")
    pid = pledge_id(ctx.index)
    lots = debit(ctx, body.account, body.lots)
    lock(ctx, lots, body.account, "pledged", pid)
    move_supply(ctx, lots, "held", "pledged")
    quantity = sum(lot.quantity for lot in lots)
    ctx.state.append(  # the id is the entry's index: new by construction
        Table.PLEDGE,
        pid,
        Pledge(
            pid, ctx.index, body.account, body.bank, lots, quantity, body.contract_ref, "active"
        ),
    )
    return Event(
        "pledge", ctx.index, {"pledge": pid, "quantity": quantity, "lots": lots_json(lots)}
    )


def release_pledge(body: ClosePledge, ctx: Context) -> Event:
    found = _open_pledge(ctx, body.pledge)
    return _close(ctx, found, "released", found.account, "release_pledge")


def enforce_pledge(body: ClosePledge, ctx: Context) -> Event:
    found = _open_pledge(ctx, body.pledge)
    return _close(ctx, found, "enforced", found.bank, "enforce_pledge")


def _open_pledge(ctx: Context, pid: str) -> Pledge:
    found = ctx.state.pledge(pid)
    if found is None:
        raise NotFound(f"pledge {pid} does not exist", code="unknown_pledge")
    if found.bank != ctx.signer:
        deny(f"only the pledgee bank {found.bank!r} may close pledge {pid}")
    if found.status != "active":
        raise RuleViolation(f"pledge {pid} is already {found.status}", code="pledge_closed")
    return found


def _close(ctx: Context, found: Pledge, status: str, to_account: str, op: str) -> Event:
    unlock(ctx, found.lots)
    move_supply(ctx, found.lots, "pledged", "held")
    credit(ctx, to_account, found.lots)
    ctx.state.put(
        Table.PLEDGE, found.id, dataclasses.replace(found, status=status, closed_at=ctx.index)
    )
    return Event(
        op, ctx.index, {"pledge": found.id, "to_account": to_account, "lots": lots_json(found.lots)}
    )
