"""Transfer and trade: credits move from one account to another, serial ranges split as needed.

An optional price (fen per tonne), venue and settlement reference record a trade, so that the
trade announcements an exchange must publish can be read from the ledger.
"""

from __future__ import annotations

from typing import Literal

from ledger.errors import RuleViolation
from ledger.ops.context import Context, Event, controlled_account, existing_account
from ledger.ops.fields import Fen, Id, Lots, Message, Text
from ledger.ops.holdings import credit, debit, lots_json
from ledger.records import Transfer
from ledger.state import Table

Venue = Literal[
    "exchange_listing",
    "exchange_bidding",
    "exchange_agreement",
    "auction",
    "otc",
    "redemption",
    "donation",
]


class TransferCredits(Message):
    from_account: Id
    to_account: Id
    lots: Lots
    price_fen_per_tonne: Fen | None = None
    venue: Venue | None = None
    settlement_ref: Text | None = None


def transfer(body: TransferCredits, ctx: Context) -> Event:
    if body.from_account == body.to_account:
        raise RuleViolation("a transfer needs two different accounts", code="invalid_input")
    controlled_account(ctx, body.from_account)
    existing_account(ctx, body.to_account)
    lots = debit(ctx, body.from_account, body.lots)
    credit(ctx, body.to_account, lots)
    quantity = sum(lot.quantity for lot in lots)
    ctx.state.append(
        Table.TRANSFER,
        ctx.index,
        Transfer(
            ctx.index,
            body.from_account,
            body.to_account,
            lots,
            quantity,
            body.price_fen_per_tonne,
            body.venue,
            body.settlement_ref,
            ctx.time_ms,
        ),
    )
    return Event(
        "transfer",
        ctx.index,
        {
            "from": body.from_account,
            "to": body.to_account,
            "quantity": quantity,
            "lots": lots_json(lots),
        },
    )
