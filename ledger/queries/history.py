"""An account's history: every entry that moved its credits, oldest first, with log indexes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Select,
    String,
    case,
    cast,
    literal,
    null,
    select,
    union_all,
)

from ledger.queries.rows import DEFAULT_LIMIT, check_page, decode_lots
from ledger.storage import lookups, schema


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One entry that moved an account's credits.

    ``kind`` is one of issue_in, transfer_in, transfer_out, reversal_in, reversal_out, retire,
    cancel, pledge, pledge_release, pledge_enforce_out, pledge_enforce_in.
    """

    index: int
    time_ms: int
    kind: str
    quantity: int
    counterparty: str | None
    ref: str | None
    lots: list[dict[str, Any]]
    price_fen_per_tonne: int | None
    venue: str | None


def _history_query(aid: str) -> Select[Any]:
    """Every movement of ``aid``'s credits except issuance, as one union ordered by index."""
    t, r, c, p = schema.transfers, schema.retirements, schema.cancellations, schema.pledges
    mine = t.c.idx.in_(lookups.account_transfer_ids(aid))
    no_text, no_int = cast(null(), String), cast(null(), BigInteger)

    def kind(name: str) -> ColumnElement[Any]:
        return literal(name, String).label("kind")

    parts = [
        select(
            t.c.idx,
            kind("transfer_out"),
            t.c.quantity,
            t.c.to_account,
            no_text,
            t.c.lots,
            t.c.price_fen_per_tonne,
            t.c.venue,
        ).where(mine, t.c.from_account == aid),
        select(
            t.c.idx,
            kind("transfer_in"),
            t.c.quantity,
            t.c.from_account,
            no_text,
            t.c.lots,
            t.c.price_fen_per_tonne,
            t.c.venue,
        ).where(mine, t.c.to_account == aid),
        select(
            t.c.corrected_by,
            kind("reversal_out"),
            t.c.quantity,
            t.c.from_account,
            no_text,
            t.c.lots,
            no_int,
            no_text,
        ).where(mine, t.c.to_account == aid, t.c.corrected_by.is_not(None)),
        select(
            t.c.corrected_by,
            kind("reversal_in"),
            t.c.quantity,
            t.c.to_account,
            no_text,
            t.c.lots,
            no_int,
            no_text,
        ).where(mine, t.c.from_account == aid, t.c.corrected_by.is_not(None)),
        select(
            r.c.idx, kind("retire"), r.c.quantity, no_text, r.c.id, r.c.lots, no_int, no_text
        ).where(r.c.account == aid),
        select(
            c.c.idx, kind("cancel"), c.c.quantity, c.c.authority, c.c.id, c.c.lots, no_int, no_text
        ).where(c.c.account == aid),
        select(
            p.c.idx, kind("pledge"), p.c.quantity, p.c.bank, p.c.id, p.c.lots, no_int, no_text
        ).where(p.c.account == aid),
        select(
            p.c.closed_at,
            case((p.c.status == "released", "pledge_release"), else_="pledge_enforce_out").label(
                "kind"
            ),
            p.c.quantity,
            p.c.bank,
            p.c.id,
            p.c.lots,
            no_int,
            no_text,
        ).where(p.c.account == aid, p.c.closed_at.is_not(None)),
        select(
            p.c.closed_at,
            kind("pledge_enforce_in"),
            p.c.quantity,
            p.c.account,
            p.c.id,
            p.c.lots,
            no_int,
            no_text,
        ).where(p.c.bank == aid, p.c.status == "enforced"),
    ]
    union = union_all(*parts).subquery()
    cols = union.c
    return select(*cols).order_by(cols[0], cols[1])


def _issued_to(conn: Connection, aid: str) -> list[tuple[Any, ...]]:
    """Issuances into ``aid``, in the union's row shape; the batch row does not name the
    receiving account, so it is read from each issue entry's body."""
    b, e = schema.batches, schema.entries
    query = (
        select(b.c.issued_at, b.c.id, b.c.issued, b.c.serial_start, b.c.serial_end, e.c.record)
        .join(e, e.c.idx == b.c.issued_at)
        .order_by(b.c.issued_at)
    )
    found = []
    for row in conn.execute(query):
        body = orjson.loads(row.record)["entry"]["payload"]["body"]
        if body.get("to_account") == aid:
            lots = orjson.dumps(
                [{"batch": row.id, "ranges": [[row.serial_start, row.serial_end]]}]
            ).decode()
            found.append((row.issued_at, "issue_in", row.issued, None, row.id, lots, None, None))
    return found


def history(
    engine: Engine, account: str, *, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> list[HistoryItem]:
    """Everything that moved ``account``'s credits, oldest first, with log indexes."""
    check_page(limit, offset)
    with engine.connect() as conn:
        # The first offset + limit items of the merged order come from at most that many of each.
        rows = [tuple(r) for r in conn.execute(_history_query(account).limit(offset + limit))]
        rows += _issued_to(conn, account)
        rows.sort(key=lambda r: (r[0], r[1]))
        rows = rows[offset : offset + limit]
        e = schema.entries
        wanted = select(e.c.idx, e.c.time_ms).where(e.c.idx.in_({r[0] for r in rows}))
        times = {idx: time_ms for idx, time_ms in conn.execute(wanted)} if rows else {}
    return [
        HistoryItem(r[0], times[r[0]], r[1], r[2], r[3], r[4], decode_lots(r[5]), r[6], r[7])
        for r in rows
    ]
