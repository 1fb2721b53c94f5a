"""Refusing a whole bulk entry with every bad row named.

A bulk entry (thousands of personal records, or the contributions of an aggregation) is
accepted whole or not at all. When rows are wrong the entry is refused with one error listing
each bad row: ``rows: [{"row": n, "code": c, "problem": text}, ...]`` in row order (rows are
numbered from 0, their position in the entry's list), and ``rejected``, the number of bad rows.
Malformed rows make it ``invalid_rows`` (InvalidInput); rows that are well formed but break a
rule make it ``rows_rejected`` (RuleViolation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from ledger.errors import InvalidInput, RuleViolation


@dataclass(frozen=True, slots=True)
class RowProblem:
    """What is wrong with one row: a stable code and a sentence."""

    row: int
    code: str
    problem: str
    malformed: bool = False
    """True when the row is wrong whatever the ledger holds (a stateless check)."""

    def to_json(self) -> dict[str, object]:
        return {"row": self.row, "code": self.code, "problem": self.problem}


def reject_rows(problems: list[RowProblem], what: str = "rows") -> NoReturn:
    """Raise the error refusing the entry for ``problems`` (at least one)."""
    assert problems, "reject_rows needs at least one problem"
    ordered = sorted(problems, key=lambda p: p.row)
    first = ordered[0]
    bad = len({p.row for p in ordered})
    message = f"{bad} of the {what} are refused; {what[:-1]} {first.row}: {first.problem}"
    details = {"rows": [p.to_json() for p in ordered], "rejected": bad}
    if any(p.malformed for p in ordered):
        raise InvalidInput(message, code="invalid_rows", **details)
    raise RuleViolation(message, code="rows_rejected", **details)
