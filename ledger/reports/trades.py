"""Trade announcements: every priced transfer of a period, as exchanges must publish them.

Each trade shows when it was sequenced, its log index, the batches and programs it moved, the
quantity (grams, exact tonnes), the price per tonne and the value (both in fen, the value
rounded half up), the venue and settlement reference, and whether a correction reversed it.
A summary per venue gives the volume, the value and the volume-weighted average price.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import orjson
from sqlalchemy import Engine, select

from ledger.errors import InvalidInput
from ledger.queries.formatting import trade_value_fen
from ledger.storage import schema
from ledger.types import GRAMS_PER_TONNE


@dataclass(frozen=True, slots=True)
class Trade:
    index: int
    time_ms: int
    batches: list[str]
    programs: list[str]
    from_account: str
    to_account: str
    quantity: int
    price_fen_per_tonne: int
    value_fen: int
    venue: str | None
    settlement_ref: str | None
    corrected_by: int | None


@dataclass(frozen=True, slots=True)
class VenueSummary:
    venue: str
    trades: int
    quantity: int
    value_fen: int
    average_price_fen_per_tonne: int
    """Volume-weighted: value / quantity per tonne, rounded half up to the fen."""


def trade_announcements(
    engine: Engine,
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
    venue: str | None = None,
    program: str | None = None,
    include_corrected: bool = True,
) -> list[Trade]:
    """Priced transfers sequenced in ``[since_ms, until_ms)``, oldest first.

    A period may hold hundreds of thousands of trades: rows are unpacked by position and each
    batch's program is worked out once.
    """
    if since_ms is not None and until_ms is not None and until_ms <= since_ms:
        raise InvalidInput(f"period [{since_ms}, {until_ms}) is empty")
    t = schema.transfers
    query = select(
        t.c.idx,
        t.c.time_ms,
        t.c.lots,
        t.c.from_account,
        t.c.to_account,
        t.c.quantity,
        t.c.price_fen_per_tonne,
        t.c.venue,
        t.c.settlement_ref,
        t.c.corrected_by,
    ).where(t.c.price_fen_per_tonne.is_not(None))
    if since_ms is not None:
        query = query.where(t.c.time_ms >= since_ms)
    if until_ms is not None:
        query = query.where(t.c.time_ms < until_ms)
    if venue is not None:
        query = query.where(t.c.venue == venue)
    if not include_corrected:
        query = query.where(t.c.corrected_by.is_(None))
    query = query.order_by(t.c.idx)
    out: list[Trade] = []
    programs_of: dict[str, str] = {}
    loads = orjson.loads
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        for idx, time_ms, lots, src, dst, grams, price, where, ref, corrected in rows:
            batches = sorted({lot["batch"] for lot in loads(lots)})
            programs: list[str] = []
            for bid in batches:
                code = programs_of.get(bid)
                if code is None:
                    code = programs_of[bid] = bid.split("-", 1)[0]
                if code not in programs:
                    programs.append(code)
            if program is not None and program not in programs:
                continue
            programs.sort()
            value = trade_value_fen(grams, price)
            trade = Trade(idx, time_ms, batches, programs, src, dst, grams, price, value, where,
                          ref, corrected)  # fmt: skip
            out.append(trade)
    return out


def by_venue(trades: list[Trade]) -> list[VenueSummary]:
    """Volume, value and volume-weighted average price per venue (reversed trades left out)."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for trade in trades:
        if trade.corrected_by is not None:
            continue
        counters = sums[trade.venue or "(none)"]
        counters[0] += 1
        counters[1] += trade.quantity
        counters[2] += trade.value_fen
    return [
        VenueSummary(name, n, quantity, value, _per_tonne(value, quantity))
        for name, (n, quantity, value) in sorted(sums.items())
    ]


def _per_tonne(value_fen: int, grams: int) -> int:
    """Fen per tonne of ``value_fen`` paid for ``grams``, rounded half up."""
    if grams == 0:
        return 0
    return (value_fen * GRAMS_PER_TONNE * 2 + grams) // (grams * 2)
