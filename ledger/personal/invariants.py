"""The custody invariant: each platform's stored totals are what its personal accounts hold.

For every platform, ``custody_totals`` must count exactly the personal accounts it keeps and
the grams they hold with status ``held``; ``check_invariants`` (``ledger.audit``) reports any
platform where they differ, recomputed from ``accounts`` and ``holdings``.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, text


def custody_problems(conn: Connection) -> Iterator[tuple[str, str, str]]:
    """(code, message, platform) for each platform whose stored custody totals are wrong."""
    recomputed = {
        platform: (int(accounts), int(held))
        for platform, accounts, held in conn.execute(
            text(
                "SELECT a.custodian, COUNT(*), COALESCE(SUM(b.held), 0) FROM accounts a "
                "LEFT JOIN (SELECT account, SUM(serial_end - serial_start) AS held "
                "FROM holdings WHERE status = 'held' GROUP BY account) b ON b.account = a.id "
                "WHERE a.kind = 'personal' AND a.custodian IS NOT NULL GROUP BY a.custodian"
            )
        )
    }
    stored = {
        platform: (int(accounts), int(held))
        for platform, accounts, held in conn.execute(
            text("SELECT platform, accounts, held FROM custody_totals")
        )
    }
    for platform in sorted(recomputed.keys() | stored.keys()):
        want, got = recomputed.get(platform, (0, 0)), stored.get(platform, (0, 0))
        if want != got:
            yield (
                "custody_mismatch",
                f"stored {got[0]} accounts holding {got[1]} g, "
                f"the accounts and holdings give {want[0]} holding {want[1]} g",
                platform,
            )
