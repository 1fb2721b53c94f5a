"""Revenue shares: what each contributor of an aggregated lot gets from one of its sales.

A sale is a ``transfer`` with a price out of the lot account. The platform that aggregated
records, once per sale, the share of the revenue passed to persons (in basis points); the
ledger computes the rest with integer arithmetic only:

- revenue = floor(grams sold * price in fen per tonne / 1,000,000);
- persons' pool = floor(revenue * share_bps / 10,000), the platform keeps the remainder;
- each contributor gets floor(pool * contributed / pooled) fen, and the fen left over by the
  floors go one each to the largest remainders (ties to the earlier contribution), so the
  shares add up to the pool exactly.

The grams sold with a recorded share never exceed the grams pooled.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from pydantic import Field

from ledger.errors import NotFound, RuleViolation
from ledger.ops.context import Context, Event, deny
from ledger.ops.fields import Message
from ledger.records import RevenueDistribution
from ledger.state import Table
from ledger.types import GRAMS_PER_TONNE

BPS = 10_000


class RecordRevenueShare(Message):
    aggregation: Annotated[str, Field(pattern=r"^AGG-\d{1,18}$")]
    sale: Annotated[int, Field(ge=0)]
    """Log index of the sale: a transfer with a price out of the lot account."""
    share_bps: Annotated[int, Field(ge=0, le=BPS)]
    """Basis points of the revenue passed to the contributors."""


def split_pool(pool: int, contributions: tuple[tuple[str, int], ...]) -> list[int]:
    """``pool`` fen shared in proportion to the contributed grams, adding up exactly.

    Requires pool >= 0 and every contribution positive.
    """
    pooled = sum(grams for _, grams in contributions)
    shares = [pool * grams // pooled for _, grams in contributions]
    left = pool - sum(shares)
    by_remainder = sorted(
        range(len(contributions)),
        key=lambda i: (-(pool * contributions[i][1] % pooled), i),
    )
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


def record_revenue_share(body: RecordRevenueShare, ctx: Context) -> Event:
    state = ctx.state
    found = state.aggregation(body.aggregation)
    if found is None:
        raise NotFound(f"aggregation {body.aggregation} does not exist", code="unknown_aggregation")
    if found.platform != ctx.signer:
        deny(f"only {found.platform!r}, which aggregated {found.id}, records its revenue")
    sale = state.transfer_record(body.sale)
    if sale is None:
        raise NotFound(f"no transfer at index {body.sale}", code="unknown_transfer")
    if sale.from_account != found.account or sale.price_fen_per_tonne is None:
        raise RuleViolation(
            f"entry {body.sale} is not a sale out of lot account {found.account!r}",
            code="not_a_sale",
        )
    if sale.corrected_by is not None:
        raise RuleViolation(
            f"sale {body.sale} was reversed at entry {sale.corrected_by}", code="not_a_sale"
        )
    if state.revenue(body.sale) is not None:
        raise RuleViolation(
            f"the revenue of sale {body.sale} is already shared", code="duplicate_revenue_share"
        )
    if found.sold + sale.quantity > found.quantity:
        raise RuleViolation(
            f"{found.sold + sale.quantity} g sold with shares recorded, "
            f"{found.quantity} g were pooled in {found.id}",
            code="exceeds_aggregation",
        )
    revenue = sale.quantity * sale.price_fen_per_tonne // GRAMS_PER_TONNE
    pool = revenue * body.share_bps // BPS
    contributions = state.contributions(found.id)
    shares = split_pool(pool, contributions)
    # revenue_shares rows: sale, position, account, aggregation, fen
    rows: list[tuple[Any, ...]] = [
        (body.sale, n, account, found.id, fen)
        for n, ((account, _), fen) in enumerate(zip(contributions, shares, strict=True))
    ]
    state.put(
        Table.AGGREGATION, found.id, dataclasses.replace(found, sold=found.sold + sale.quantity)
    )
    state.append(
        Table.REVENUE,
        body.sale,
        RevenueDistribution(
            sale=body.sale,
            index=ctx.index,
            aggregation=found.id,
            quantity=sale.quantity,
            price_fen_per_tonne=sale.price_fen_per_tonne,
            revenue_fen=revenue,
            share_bps=body.share_bps,
            persons_fen=pool,
            platform_fen=revenue - pool,
        ),
    )
    state.insert_rows(Table.REVENUE_SHARES, rows)
    return Event(
        "record_revenue_share",
        ctx.index,
        {
            "aggregation": found.id,
            "sale": body.sale,
            "revenue_fen": revenue,
            "persons_fen": pool,
            "platform_fen": revenue - pool,
            "contributors": len(rows),
        },
    )
