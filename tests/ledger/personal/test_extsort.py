"""The external sort: the same order as ``sorted``, whether or not the input spills to disk."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from ledger.personal.extsort import external_sort


def decode(fields: list[str]) -> tuple[str, int]:
    return fields[0], int(fields[1])


records = st.lists(
    st.tuples(st.text(alphabet="abcXYZ019._:-", min_size=1, max_size=6), st.integers(0, 10**12)),
    max_size=60,
)


class TestExternalSort:
    @given(records, st.integers(min_value=1, max_value=9))
    def test_any_chunk_size_gives_sorted_order(
        self, items: list[tuple[str, int]], chunk: int
    ) -> None:
        assert list(external_sort(items, decode, chunk=chunk)) == sorted(items)

    def test_many_runs_merge_in_order(self) -> None:
        rng = random.Random(6)
        items = [(f"u{rng.randrange(10**6):07d}", rng.randrange(10**9)) for _ in range(20_000)]
        assert list(external_sort(items, decode, chunk=1000)) == sorted(items)
