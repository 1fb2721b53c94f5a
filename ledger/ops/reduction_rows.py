"""The rows of a bulk ``record_reductions`` entry and their stateless checks.

Each row is a JSON array ``[account, scenario, methodology, grams, time_ms, evidence_digest]``:
the personal account credited, the scenario (``metro_ride``, ``ev_charging``...), the
methodology id (``code:version``), the reduction in whole grams, when it happened (Unix
milliseconds) and the hex SHA-256 of the measurement evidence. Arrays rather than objects keep
an entry of thousands of rows small; the rows are checked here in one pass, without building a
model per row, and every problem is collected (``ledger.ops.row_problems``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from ledger.ops.row_problems import RowProblem

MAX_ROWS = 20_000
"""Rows in one entry: a few megabytes of canonical JSON."""
MAX_ROW_GRAMS = 10**9
"""One thousand tonnes: far above any personal record (a ride saves a few hundred grams)."""
ROW_FIELDS = ("account", "scenario", "methodology", "grams", "time_ms", "evidence_digest")

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}").fullmatch
_SCENARIO = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}").fullmatch
_DIGEST = re.compile(r"[0-9a-f]{64}").fullmatch


class Row(NamedTuple):
    """A well-formed row; ``digest`` is the evidence digest's 32 bytes."""

    position: int
    account: str
    scenario: str
    methodology: str
    grams: int
    time_ms: int
    digest: bytes


def day_start_ms(day: str) -> int:
    """Unix milliseconds of 00:00 UTC on ``day`` (YYYY-MM-DD)."""
    moment = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    return int(moment.timestamp()) * 1000


def period_ms(start: str, end: str) -> tuple[int, int]:
    """The half-open span ``[start 00:00 UTC, the day after end 00:00 UTC)`` in Unix ms."""
    return day_start_ms(start), day_start_ms(end) + int(timedelta(days=1).total_seconds()) * 1000


def parse_rows(
    raw: Sequence[Any], start_ms: int, end_ms: int
) -> tuple[list[Row], list[RowProblem]]:
    """The well-formed rows of ``raw`` and the problems of the others.

    A row's time must fall in ``[start_ms, end_ms)``; an evidence digest may appear once.
    """
    rows: list[Row] = []
    problems: list[RowProblem] = []
    seen: dict[bytes, int] = {}
    tokens: set[str] = set()  # scenarios and methodologies already checked (a handful)
    for n, row in enumerate(raw):
        # The common case in one expression; a row failing it is examined field by field.
        if (
            type(row) is list
            and len(row) == 6
            and type(row[0]) is str
            and _ID(row[0])
            and (row[1] in tokens or _token(row[1], _SCENARIO, tokens))
            and (row[2] in tokens or _token(row[2], _ID, tokens))
            and type(row[3]) is int
            and 0 < row[3] <= MAX_ROW_GRAMS
            and type(row[4]) is int
            and start_ms <= row[4] < end_ms
            and type(row[5]) is str
            and _DIGEST(row[5])
        ):
            digest = bytes.fromhex(row[5])
            first = seen.setdefault(digest, n)
            if first == n:
                rows.append(Row(n, row[0], row[1], row[2], row[3], row[4], digest))
            else:
                problems.append(
                    RowProblem(
                        n, "duplicate_evidence", f"same evidence digest as row {first}", True
                    )
                )
            continue
        problems.extend(_row_problems(n, row, start_ms, end_ms))
    return rows, problems


def _token(value: Any, pattern: Callable[[str], object], checked: set[str]) -> bool:
    if type(value) is str and pattern(value):
        checked.add(value)
        return True
    return False


def _row_problems(n: int, row: Any, start_ms: int, end_ms: int) -> list[RowProblem]:
    """Every problem of a row that is not well formed."""
    if type(row) is not list or len(row) != len(ROW_FIELDS):
        return [RowProblem(n, "malformed_row", f"a row is an array of {list(ROW_FIELDS)}", True)]
    account, scenario, methodology, grams, time_ms, digest = row
    problems: list[RowProblem] = []
    if type(account) is not str or not _ID(account):
        problems.append(
            RowProblem(n, "invalid_account", f"account {account!r} is not an identifier", True)
        )
    if type(scenario) is not str or not _SCENARIO(scenario):
        problems.append(
            RowProblem(n, "invalid_scenario", f"scenario {scenario!r} is not a token", True)
        )
    if type(methodology) is not str or not _ID(methodology):
        problems.append(RowProblem(n, "invalid_methodology", f"methodology {methodology!r}", True))
    if type(grams) is not int:
        problems.append(
            RowProblem(n, "invalid_quantity", f"grams {grams!r} is not an integer", True)
        )
    elif grams <= 0:
        problems.append(
            RowProblem(n, "non_positive_quantity", f"grams {grams} is not positive", True)
        )
    elif grams > MAX_ROW_GRAMS:
        problems.append(
            RowProblem(n, "quantity_too_large", f"grams {grams} > {MAX_ROW_GRAMS}", True)
        )
    if type(time_ms) is not int or not start_ms <= time_ms < end_ms:
        problems.append(
            RowProblem(n, "outside_period", f"time {time_ms!r} is outside the period", True)
        )
    if type(digest) is not str or not _DIGEST(digest):
        problems.append(
            RowProblem(n, "invalid_digest", "evidence digest is not 64 lowercase hex", True)
        )
    return problems
