"""Redemption: a person gives personal reductions to a platform or merchant for points or a gift.

The custodian platform signs for the personal account; the participant receiving the credits
(the platform itself or a merchant) awards the reward and so signs too. The credits move like
a transfer (recorded as one, venue ``redemption``) and stay tonnes; points are computed from
the conversion rate, ``floor(grams * points_per_tonne / 1,000,000)``, and credited to the
person's account in the points ledger (``points_balances``, by account and awarding
participant), which nothing ever adds to a tonne: supply, holdings, balances and reports of
reductions never see a point.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ledger.errors import RuleViolation
from ledger.ops.context import Context, Event, controlled_account, existing_account
from ledger.ops.fields import Fen, Id, Lots, Message, Text
from ledger.ops.holdings import credit, debit, lots_json
from ledger.records import Redemption, Transfer
from ledger.state import Table
from ledger.types import GRAMS_PER_TONNE

MAX_POINTS_PER_TONNE = 10**12


class Redeem(Message):
    account: Id
    to_account: Id
    lots: Lots
    reward: Literal["points", "gift"]
    points_per_tonne: Annotated[int, Field(gt=0, le=MAX_POINTS_PER_TONNE)] | None = None
    gift_ref: Text | None = None
    gift_value_fen: Fen | None = None

    @model_validator(mode="after")
    def _reward_fields(self) -> Redeem:
        if self.reward == "points" and self.points_per_tonne is None:
            raise ValueError("a redemption for points needs points_per_tonne")
        if self.reward == "points" and (self.gift_ref or self.gift_value_fen is not None):
            raise ValueError("a redemption for points names no gift")
        if self.reward == "gift" and self.gift_ref is None:
            raise ValueError("a redemption for a gift needs gift_ref")
        if self.reward == "gift" and self.points_per_tonne is not None:
            raise ValueError("a redemption for a gift has no points_per_tonne")
        return self


def redeem(body: Redeem, ctx: Context) -> Event:
    source = controlled_account(ctx, body.account)
    if source.kind != "personal":
        raise RuleViolation(
            f"account {body.account!r} is not a personal account", code="not_personal"
        )
    target = existing_account(ctx, body.to_account)
    if target.kind != "participant" or target.holder is None:
        raise RuleViolation(
            f"reductions are redeemed to a participant's own account, not {body.to_account!r}",
            code="invalid_input",
        )
    issuer = target.holder
    ctx.require_signature(issuer, "the participant awarding the reward")
    lots = debit(ctx, body.account, body.lots)
    credit(ctx, body.to_account, lots)
    quantity = sum(lot.quantity for lot in lots)
    points = 0
    if body.points_per_tonne is not None:
        points = quantity * body.points_per_tonne // GRAMS_PER_TONNE
        if points == 0:
            raise RuleViolation(
                f"{quantity} g at {body.points_per_tonne} points per tonne is less than a point",
                code="no_points",
            )
        held = ctx.state.points(body.account, issuer)
        ctx.state.put(Table.POINTS, (body.account, issuer), held + points)
    ctx.state.append(
        Table.TRANSFER,
        ctx.index,
        Transfer(
            ctx.index,
            body.account,
            body.to_account,
            lots,
            quantity,
            None,
            "redemption",
            None,
            ctx.time_ms,
        ),
    )
    ctx.state.append(
        Table.REDEMPTION,
        ctx.index,
        Redemption(
            index=ctx.index,
            account=body.account,
            to_account=body.to_account,
            issuer=issuer,
            lots=lots,
            quantity=quantity,
            reward=body.reward,
            points_per_tonne=body.points_per_tonne,
            points=points,
            gift_ref=body.gift_ref,
            gift_value_fen=body.gift_value_fen,
            time_ms=ctx.time_ms,
        ),
    )
    return Event(
        "redeem",
        ctx.index,
        {
            "account": body.account,
            "to": body.to_account,
            "quantity": quantity,
            "reward": body.reward,
            "points": points,
            "lots": lots_json(lots),
        },
    )
