"""Reconciliation: a platform's own balance file compared with what the ledger holds.

Both sides are streamed in account order and merged, so memory stays bounded whatever the
number of accounts: the ledger's side comes sorted from the database, the file's through an
external sort (``ledger.personal.extsort``). Every difference is written to the report, one CSV
line each: ``missing_account`` (the ledger keeps it for the platform, the file omits it, even
at zero), ``extra_account`` (in the file, but not a personal account in the platform's
custody), ``amount_differs``, and ``duplicate_account`` (a later line repeating an account; the
first line is the one compared). The summary counts each kind and gives both totals.

The ledger's balances are those after the first ``size`` entries of the log, for one of:

- the current state, read in one snapshot with its log size (``size`` omitted, or equal to it);
- a balance commitment of the platform at log index ``size``, whose stored sum tree holds every
  balance as it was then, so a file made for a past checkpoint can be checked later.

Any other size is refused (``no_balances_at_size``): the ledger keeps no other past balances.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from sqlalchemy import Connection, Engine, select, text

from ledger.errors import NotFound
from ledger.personal.balance_file import read_balances
from ledger.personal.balances import log_size, order_by_id, platform_balances, snapshot
from ledger.personal.extsort import DEFAULT_CHUNK, external_sort
from ledger.storage import schema

KINDS = ("missing_account", "extra_account", "amount_differs", "duplicate_account")
REPORT_COLUMNS = ("kind", "account", "ledger_grams", "file_grams", "difference_grams", "line")


@dataclass
class Summary:
    """Counts and totals of one reconciliation; grams are integers."""

    platform: str
    size: int
    source: str  # "state" or "commitment"
    ledger_accounts: int = 0
    file_rows: int = 0
    matched: int = 0
    differences: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    ledger_total: int = 0
    file_total: int = 0
    seconds: float = 0.0

    @property
    def difference_total(self) -> int:
        """File total minus ledger total (duplicate lines are not counted in the file total)."""
        return self.file_total - self.ledger_total

    @property
    def consistent(self) -> bool:
        return not any(self.differences.values())


def reconcile(
    engine: Engine,
    platform: str,
    path: Path,
    report: TextIO,
    *,
    fmt: str | None = None,
    size: int | None = None,
    chunk: int = DEFAULT_CHUNK,
) -> Summary:
    """Compare the balance file at ``path`` with the ledger; differences go to ``report``."""
    started = time.perf_counter()
    writer = csv.writer(report, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    with snapshot(engine) as conn:
        current = log_size(conn)
        if size is None or size == current:
            summary = Summary(platform, current, "state")
            ledger_side = platform_balances(conn, platform)
        else:
            summary = Summary(platform, size, "commitment")
            ledger_side = _committed_balances(conn, platform, size, current)
        # (account, line, grams): sorted by account, a repeated account's first line first
        lines = ((account, line, grams) for account, grams, line in read_balances(path, fmt))
        file_side = external_sort(lines, _decode, chunk=chunk)
        _merge(ledger_side, file_side, summary, writer)
    summary.seconds = time.perf_counter() - started
    return summary


def _decode(fields: list[str]) -> tuple[str, int, int]:
    return fields[0], int(fields[1]), int(fields[2])


class _Rows(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


def _committed_balances(
    conn: Connection, platform: str, size: int, current: int
) -> Iterator[tuple[str, int]]:
    c, t = schema.balance_commitments, schema.balance_trees
    tree = conn.execute(
        select(t.c.id)
        .join(c, (c.c.root == t.c.root) & (c.c.idx == t.c.size))
        .where(c.c.idx == size, c.c.platform == platform)
    ).scalar()
    if tree is None:
        raise NotFound(
            f"the ledger holds {platform!r}'s balances as of the current size {current}, or of "
            f"a balance commitment; it made none at log size {size}",
            code="no_balances_at_size",
            current_size=current,
        )
    rows = conn.execution_options(yield_per=10_000).execute(
        text(
            "SELECT account, balance FROM balance_tree_leaves WHERE tree = :tree "
            + order_by_id(conn, "account")
        ),
        {"tree": tree},
    )
    for account, balance in rows:
        yield account, int(balance)


def _merge(
    ledger_side: Iterator[tuple[str, int]],
    file_side: Iterator[tuple[str, int, int]],
    summary: Summary,
    writer: _Rows,
) -> None:
    counts = summary.differences
    mine = next(ledger_side, None)
    theirs = next(file_side, None)
    previous: str | None = None
    while mine is not None or theirs is not None:
        if theirs is not None and theirs[0] == previous:
            counts["duplicate_account"] += 1
            summary.file_rows += 1
            writer.writerow(("duplicate_account", theirs[0], "", theirs[2], "", theirs[1]))
            theirs = next(file_side, None)
            continue
        if theirs is None or (mine is not None and mine[0] < theirs[0]):
            assert mine is not None
            summary.ledger_accounts += 1
            summary.ledger_total += mine[1]
            counts["missing_account"] += 1
            writer.writerow(("missing_account", mine[0], mine[1], "", -mine[1], ""))
            mine = next(ledger_side, None)
            continue
        account, line, grams = theirs
        summary.file_rows += 1
        summary.file_total += grams
        previous = account
        if mine is None or account < mine[0]:
            counts["extra_account"] += 1
            writer.writerow(("extra_account", account, "", grams, grams, line))
        else:
            summary.ledger_accounts += 1
            summary.ledger_total += mine[1]
            if mine[1] == grams:
                summary.matched += 1
            else:
                counts["amount_differs"] += 1
                writer.writerow(("amount_differs", account, mine[1], grams, grams - mine[1], line))
            mine = next(ledger_side, None)
        theirs = next(file_side, None)
