"""Raw log records by index range: what a follower replicates and re-verifies."""

from __future__ import annotations

from sqlalchemy import Engine, select

from ledger.queries.rows import MAX_LIMIT, check_page
from ledger.storage import schema


def records_from(engine: Engine, start: int, limit: int = MAX_LIMIT) -> list[tuple[int, bytes]]:
    """``(index, record bytes)`` of entries ``start`` to ``start + limit - 1`` that exist.

    Requires ``start >= 0`` and ``1 <= limit <= MAX_LIMIT``; fewer come back at the log's end.
    """
    check_page(limit, start)
    e = schema.entries
    query = (
        select(e.c.idx, e.c.record)
        .where(e.c.idx >= start, e.c.idx < start + limit)
        .order_by(e.c.idx)
    )
    with engine.connect() as conn:
        return [(int(row.idx), bytes(row.record)) for row in conn.execute(query)]
