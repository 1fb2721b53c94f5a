"""A platform's own balance file: one line per personal account with the grams it holds.

Two formats, chosen by ``fmt`` or by the file name (``.csv``, ``.jsonl``/``.ndjson``, either
optionally ``.gz``):

- CSV: ``account,grams`` per line, an optional header line ``account,grams``;
- JSON Lines: ``{"account": "...", "grams": 123}`` per line.

Grams are whole non-negative integers (``12.5`` or ``1e3`` is refused, never rounded). The
first malformed line stops the read with ``invalid_balance_file`` and its line number.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal

import orjson

from ledger.errors import InvalidInput

Format = Literal["csv", "jsonl"]
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}").fullmatch
_GRAMS = re.compile(r"\d{1,19}").fullmatch
MAX_GRAMS = 2**62


def file_format(path: Path, fmt: str | None = None) -> Format:
    """The format named by ``fmt``, or by ``path``'s suffixes."""
    name = fmt or "".join(s for s in path.suffixes if s != ".gz").lstrip(".").lower()
    if name == "csv":
        return "csv"
    if name in ("jsonl", "ndjson"):
        return "jsonl"
    raise InvalidInput(
        f"cannot tell the format of {path.name}: give csv or jsonl", code="invalid_balance_file"
    )


def read_balances(path: Path, fmt: str | None = None) -> Iterator[tuple[str, int, int]]:
    """(account, grams, line number) for every line of the file, in file order."""
    kind = file_format(path, fmt)
    with _open(path) as lines:
        yield from (_csv(lines) if kind == "csv" else _jsonl(lines))


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _bad(line: int, problem: str) -> InvalidInput:
    return InvalidInput(f"line {line}: {problem}", code="invalid_balance_file", line=line)


def _checked(account: object, grams: int, line: int) -> tuple[str, int, int]:
    if not isinstance(account, str) or not _ID(account):
        raise _bad(line, f"account {account!r} is not an identifier")
    if grams > MAX_GRAMS:
        raise _bad(line, f"grams {grams} is out of range")
    return account, grams, line


def _csv(lines: IO[str]) -> Iterator[tuple[str, int, int]]:
    for number, text in enumerate(lines, 1):
        text = text.rstrip("\r\n")
        if not text or (number == 1 and text.replace(" ", "").lower() == "account,grams"):
            continue
        fields = text.split(",")
        if len(fields) != 2:
            raise _bad(number, "want two fields: account,grams")
        account, grams = fields[0].strip(), fields[1].strip()
        if not _GRAMS(grams):
            raise _bad(number, f"grams {grams!r} is not a whole non-negative number")
        yield _checked(account, int(grams), number)


def _jsonl(lines: IO[str]) -> Iterator[tuple[str, int, int]]:
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise _bad(number, f"not JSON: {exc}") from exc
        if not isinstance(value, dict) or set(value) != {"account", "grams"}:
            raise _bad(number, 'want {"account": ..., "grams": ...}')
        grams = value["grams"]
        if type(grams) is not int or grams < 0:
            raise _bad(number, f"grams {grams!r} is not a whole non-negative number")
        yield _checked(value["account"], grams, number)
