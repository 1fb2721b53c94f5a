"""What every query shares: paging, decoding stored lots, fetching one row or NotFound."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, Select

from ledger.errors import InvalidInput, NotFound

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


def page(query: Select[Any], limit: int, offset: int) -> Select[Any]:
    """``query`` limited to one page. Requires 1 <= limit <= MAX_LIMIT and offset >= 0."""
    check_page(limit, offset)
    return query.limit(limit).offset(offset)


def check_page(limit: int, offset: int) -> None:
    """Raise InvalidInput unless 1 <= limit <= MAX_LIMIT and offset >= 0."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit {limit} out of range, want 1 to {MAX_LIMIT}")
    if offset < 0:
        raise InvalidInput(f"offset {offset} is negative, want 0 or more")


def decode_lots(text: str) -> list[dict[str, Any]]:
    """Stored lots (canonical JSON) as ``[{"batch": ..., "ranges": [[start, end], ...]}]``."""
    value: list[dict[str, Any]] = orjson.loads(text)
    return value


def fetch_one(conn: Connection, query: Select[Any], what: str, code: str) -> Any:
    """The one row ``query`` finds; NotFound with ``code`` if there is none."""
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"{what} does not exist", code=code)
    return row
