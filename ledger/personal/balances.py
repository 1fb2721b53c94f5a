"""A platform's personal balances, read in account order, with the log size they are as of.

A balance is the grams an account holds with status ``held`` (pledged, retired or cancelled
credits are not in it; points never are). ``platform_balances`` streams every personal account
in the platform's custody with its balance, zero included, in ascending code-point order of the
account id (``COLLATE "C"`` on PostgreSQL, whose default collation orders otherwise), inside
one read snapshot together with the log size, so the balances are exactly those after the
first ``size`` entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

BATCH_ROWS = 10_000


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one committed state (a repeatable-read transaction)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def log_size(conn: Connection) -> int:
    """The number of entries in the log, as this connection sees it."""
    last = conn.execute(text("SELECT MAX(idx) FROM entries")).scalar()
    return 0 if last is None else int(last) + 1


def order_by_id(conn: Connection, column: str) -> str:
    """``ORDER BY`` on an identifier column in code-point order, on either database."""
    collate = ' COLLATE "C"' if conn.dialect.name == "postgresql" else ""
    return f"ORDER BY {column}{collate}"


def platform_balances(conn: Connection, platform: str) -> Iterator[tuple[str, int]]:
    """(account, grams held) of every personal account ``platform`` keeps, by account id."""
    sql = text(
        "SELECT a.id, COALESCE(SUM(h.serial_end - h.serial_start), 0) FROM accounts a "
        "LEFT JOIN holdings h ON h.account = a.id AND h.status = 'held' "
        "WHERE a.custodian = :platform AND a.kind = 'personal' GROUP BY a.id "
        + order_by_id(conn, "a.id")
    )
    result = conn.execution_options(yield_per=BATCH_ROWS).execute(sql, {"platform": platform})
    for account, grams in result:
        yield account, int(grams)
