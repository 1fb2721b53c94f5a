"""The rows of a bulk ``record_reductions`` entry and their stateless checks.

Each row is a JSON array ``[account, scenario, methodology, grams, time_ms, evidence_digest]``:
the personal account credited, the scenario (``metro_ride``, ``ev_charging``...), the
methodology id (``code:version``), the reduction in whole grams, when it happened (Unix
milliseconds) and the hex SHA-256 of the measurement evidence. Arrays rather than objects keep
an entry of thousands of rows small. The rows are checked column by column when all are well
formed (the common case), without building an object per row; otherwise row by row, every
problem collected (``ledger.ops.row_problems``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple

from ledger.ops.row_problems import RowProblem

MAX_ROWS = 20_000
"""Rows in one entry: a few megabytes of canonical JSON."""
MAX_ROW_GRAMS = 10**9
"""One thousand tonnes: far above any personal record (a ride saves a few hundred grams)."""
ROW_FIELDS = ("account", "scenario", "methodology", "grams", "time_ms", "evidence_digest")

_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}"
_ID = re.compile(_ID_PATTERN).fullmatch
_IDS = re.compile(rf"{_ID_PATTERN}(?:\n{_ID_PATTERN})*").fullmatch
"""Identifiers, one per line."""
_SCENARIO = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}").fullmatch
_DIGEST = re.compile(r"[0-9a-f]{64}").fullmatch
_HEX_DIGITS = b"0123456789abcdef"


class Rows(NamedTuple):
    """The well-formed rows of an entry, column by column (row ``i`` is row ``positions[i]`` of
    the entry); ``digests`` are the evidence digests' 32 bytes. Every row is well formed in the
    common case, and then no object is built per row."""

    positions: Sequence[int]
    accounts: Sequence[str]
    methodologies: Sequence[str]
    grams: Sequence[int]
    times: Sequence[int]
    digests: Sequence[bytes]


def day_start_ms(day: str) -> int:
    """Unix milliseconds of 00:00 UTC on ``day`` (YYYY-MM-DD)."""
    moment = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    return int(moment.timestamp()) * 1000


def period_ms(start: str, end: str) -> tuple[int, int]:
    """The half-open span ``[start 00:00 UTC, the day after end 00:00 UTC)`` in Unix ms."""
    return day_start_ms(start), day_start_ms(end) + int(timedelta(days=1).total_seconds()) * 1000


def parse_rows(raw: Sequence[Any], start_ms: int, end_ms: int) -> tuple[Rows, list[RowProblem]]:
    """The well-formed rows of ``raw`` and the problems of the others.

    A row's time must fall in ``[start_ms, end_ms)``; an evidence digest may appear once.
    """
    rows = _all_well_formed(raw, start_ms, end_ms)
    if rows is not None:
        return rows, []
    return _parse_one_by_one(raw, start_ms, end_ms)


def _all_well_formed(raw: Sequence[Any], start_ms: int, end_ms: int) -> Rows | None:
    """The rows, if every one is well formed (the common case), checked column by column with
    C-level passes; None if any is not, for ``_parse_one_by_one`` to name the problems."""
    if not raw or set(map(type, raw)) != {list} or set(map(len, raw)) != {len(ROW_FIELDS)}:
        return None
    accounts, scenarios, methodologies, grams, times, hexes = (
        list(map(itemgetter(i), raw)) for i in range(len(ROW_FIELDS))
    )
    if not (
        _all_of_type(grams, int)
        and min(grams) > 0
        and max(grams) <= MAX_ROW_GRAMS
        and _all_of_type(times, int)
        and start_ms <= min(times)
        and max(times) < end_ms
        and _all_of_type(accounts, str)
        and _all_match(set(accounts), _IDS)
        and _all_of_type(scenarios, str)
        and all(_SCENARIO(v) for v in set(scenarios))
        and _all_of_type(methodologies, str)
        and all(_ID(v) for v in set(methodologies))
        and _all_of_type(hexes, str)
        and set(map(len, hexes)) == {64}
        and _all_lowercase_hex("".join(hexes))
        and len(set(hexes)) == len(hexes)
    ):
        return None
    digests = list(map(bytes.fromhex, hexes))
    return Rows(range(len(raw)), accounts, methodologies, grams, times, digests)


def _all_of_type(values: Sequence[Any], kind: type) -> bool:
    """Every value is exactly of type ``kind`` (a bool is not an int here)."""
    return set(map(type, values)) == {kind}


def _all_lowercase_hex(text: str) -> bool:
    """``text`` holds nothing but the digits 0-9 and a-f."""
    return text.isascii() and not text.encode().translate(None, _HEX_DIGITS)


def _all_match(values: set[str], pattern: Callable[[str], object]) -> bool:
    """Every string of ``values`` matches the one-line ``pattern``, tested in one pass over
    the values joined by new lines (which the pattern does not allow inside a value)."""
    joined = "\n".join(values)
    return joined.count("\n") == len(values) - 1 and pattern(joined) is not None


def _parse_one_by_one(
    raw: Sequence[Any], start_ms: int, end_ms: int
) -> tuple[Rows, list[RowProblem]]:
    """Every row checked on its own: the well-formed ones, and each problem of the others."""
    positions: list[int] = []
    accounts: list[str] = []
    methodologies: list[str] = []
    grams: list[int] = []
    times: list[int] = []
    digests: list[bytes] = []
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
            and type(row[1]) is str  # before the set lookup: a list or object is unhashable
            and (row[1] in tokens or _token(row[1], _SCENARIO, tokens))
            and type(row[2]) is str
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
                positions.append(n)
                accounts.append(row[0])
                methodologies.append(row[2])
                grams.append(row[3])
                times.append(row[4])
                digests.append(digest)
            else:
                problems.append(
                    RowProblem(
                        n, "duplicate_evidence", f"same evidence digest as row {first}", True
                    )
                )
            continue
        problems.extend(_row_problems(n, row, start_ms, end_ms))
    return Rows(positions, accounts, methodologies, grams, times, digests), problems


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
