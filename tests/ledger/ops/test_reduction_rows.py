"""The stateless checks of bulk rows: the column-wise pass accepts exactly what the row-by-row
checks accept.

``parse_rows`` first checks all rows column by column and, if any row is not well formed,
checks them one by one to name every problem. These tests compare it with the one-by-one checks
alone, on well-formed entries and on entries with each kind of bad value planted among good rows.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.ops.reduction_rows import MAX_ROW_GRAMS, _parse_one_by_one, parse_rows

START, END = 1_700_000_000_000, 1_700_086_400_000


def good(n: int, account: str = "p1") -> list[Any]:
    digest = hashlib.sha256(str(n).encode()).hexdigest()
    return [account, "metro_ride", "m:1", 10 + n, START + n, digest]


def same(raw: list[Any]) -> tuple[Any, Any]:
    """``parse_rows`` and the one-by-one checks on ``raw``, asserted equal; returns them."""
    fast, slow = parse_rows(raw, START, END), _parse_one_by_one(raw, START, END)
    assert [list(column) for column in fast[0]] == [list(column) for column in slow[0]]
    assert fast[1] == slow[1]
    return fast


BAD_FIELDS: dict[str, tuple[int, Any]] = {
    "account-not-text": (0, 5),
    "account-with-new-line": (0, "p1\np2"),
    "account-with-space": (0, "p 1"),
    "account-empty": (0, ""),
    "account-too-long": (0, "a" * 129),
    "account-non-ascii": (0, "p\u00e9"),
    "scenario-upper-case": (1, "Metro"),
    "scenario-a-list": (1, ["metro"]),
    "methodology-an-object": (2, {"m": 1}),
    "methodology-with-new-line": (2, "m:1\n"),
    "grams-zero": (3, 0),
    "grams-negative": (3, -1),
    "grams-too-large": (3, MAX_ROW_GRAMS + 1),
    "grams-a-boolean": (3, True),
    "grams-a-float": (3, 10.0),
    "grams-text": (3, "10"),
    "time-before-period": (4, START - 1),
    "time-at-period-end": (4, END),
    "time-a-boolean": (4, False),
    "time-a-float": (4, float(START)),
    "digest-upper-case": (5, "AB" * 32),
    "digest-short": (5, "ab" * 31),
    "digest-long": (5, "ab" * 33),
    "digest-not-hex": (5, "zz" * 32),
    "digest-with-space": (5, "ab" * 31 + "a "),
    "digest-non-ascii": (5, "\u0661" * 64),
    "digest-bytes-like": (5, None),
}


class TestColumnWise:
    def test_well_formed_rows_are_taken_whole(self) -> None:
        rows, problems = same([good(n, f"p{n % 7}") for n in range(500)])
        assert problems == []
        assert list(rows.positions) == list(range(500))
        assert rows.digests[3] == hashlib.sha256(b"3").digest()

    @pytest.mark.parametrize("mutation", sorted(BAD_FIELDS))
    def test_a_bad_field_among_good_rows_is_found_as_row_by_row(self, mutation: str) -> None:
        raw = [good(n) for n in range(40)]
        field, value = BAD_FIELDS[mutation]
        raw[17][field] = value
        rows, problems = same(raw)
        assert [p.row for p in problems] == [17], mutation
        assert 17 not in list(rows.positions)

    @pytest.mark.parametrize(
        ("mutation", "row"),
        [
            ("not-a-list", {"account": "p1"}),
            ("too-short", ["p1", "metro_ride"]),
            ("too-long", [*good(99), "extra"]),
            ("a-string", "p1,metro_ride"),
            ("null", None),
        ],
    )
    def test_a_malformed_row_is_found_as_row_by_row(self, mutation: str, row: Any) -> None:
        raw: list[Any] = [good(n) for n in range(40)]
        raw[5] = row
        _, problems = same(raw)
        assert [(p.row, p.code) for p in problems] == [(5, "malformed_row")], mutation

    def test_a_digest_repeated_in_the_entry_is_found_as_row_by_row(self) -> None:
        raw = [good(n) for n in range(40)]
        raw[30][5] = raw[3][5]
        rows, problems = same(raw)
        assert [(p.row, p.code) for p in problems] == [(30, "duplicate_evidence")]
        assert len(rows.digests) == 39


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=MAX_ROW_GRAMS + 5),
    st.integers(min_value=START - 5, max_value=END + 5),
    st.floats(allow_nan=False),
    st.sampled_from(["p1", "p2", "metro_ride", "m:1", "", "p1\np2", "AB" * 32, "ab" * 32]),
    st.text(max_size=6),
    st.lists(st.integers(), max_size=2),
)


class TestAgainstRowByRow:
    @given(
        st.lists(
            st.tuples(st.integers(min_value=0, max_value=5), values),
            max_size=4,
        ),
        st.integers(min_value=1, max_value=30),
    )
    def test_any_planted_values_give_the_same_rows_and_problems(
        self, plants: list[tuple[int, Any]], size: int
    ) -> None:
        raw = [good(n, f"p{n % 3}") for n in range(size)]
        for i, (field, value) in enumerate(plants):
            raw[(i * 7) % size][field] = value
        same(raw)
