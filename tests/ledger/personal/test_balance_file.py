"""Reading a platform's balance file: CSV or JSON Lines, exact whole grams, and the first bad
line named."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ledger.errors import InvalidInput
from ledger.personal.balance_file import read_balances


def lines(path: Path, fmt: str | None = None) -> list[tuple[str, int, int]]:
    return list(read_balances(path, fmt))


class TestFormats:
    def test_csv_with_a_header(self, tmp_path: Path) -> None:
        path = tmp_path / "b.csv"
        path.write_text("account,grams\np1,10\np2, 0\n\n")
        assert lines(path) == [("p1", 10, 2), ("p2", 0, 3)]

    def test_json_lines(self, tmp_path: Path) -> None:
        path = tmp_path / "b.jsonl"
        path.write_text('{"account": "p1", "grams": 10}\n{"account": "p2", "grams": 7}\n')
        assert lines(path) == [("p1", 10, 1), ("p2", 7, 2)]

    def test_gzip_and_an_explicit_format(self, tmp_path: Path) -> None:
        path = tmp_path / "balances.gz"
        with gzip.open(path, "wt") as out:
            out.write("p1,5\n")
        assert lines(path, "csv") == [("p1", 5, 1)]

    def test_an_unknown_format_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "b.txt"
        path.write_text("p1,5\n")
        with pytest.raises(InvalidInput) as caught:
            lines(path)
        assert caught.value.code == "invalid_balance_file"


class TestBadLines:
    @pytest.mark.parametrize(
        "text",
        ["p1,12.5\n", "p1,-3\n", "p1,1e3\n", "p1\n", "p 1,5\n", "p1,5,6\n"],
    )
    def test_csv_lines_that_are_not_exact_grams_are_refused(
        self, tmp_path: Path, text: str
    ) -> None:
        path = tmp_path / "b.csv"
        path.write_text("p0,1\n" + text)
        with pytest.raises(InvalidInput) as caught:
            lines(path)
        assert (caught.value.code, caught.value.details["line"]) == ("invalid_balance_file", 2)

    @pytest.mark.parametrize(
        "text",
        [
            '{"account": "p1", "grams": 1.5}',
            '{"account": "p1"}',
            "[1, 2]",
            "{oops",
            '{"account": "p1", "grams": true}',
        ],
    )
    def test_json_lines_that_are_not_exact_grams_are_refused(
        self, tmp_path: Path, text: str
    ) -> None:
        path = tmp_path / "b.jsonl"
        path.write_text(text + "\n")
        with pytest.raises(InvalidInput) as caught:
            lines(path)
        assert caught.value.details["line"] == 1
