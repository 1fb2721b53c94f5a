"""Sorting more records than memory should hold: sorted runs spilled to disk, then merged.

Records are tuples of strings and integers with no tab or newline inside a string (the ledger's
identifiers and hex digests qualify). Up to ``chunk`` records are sorted in memory; a longer
input is written out run by run, one tab-separated line per record, and merged back with a
heap, so memory stays bounded by one run whatever the input size.
"""

from __future__ import annotations

import heapq
import tempfile
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO, Any

Record = tuple[Any, ...]
DEFAULT_CHUNK = 250_000


def external_sort(
    records: Iterable[Record],
    decode: Callable[[list[str]], Record],
    *,
    chunk: int = DEFAULT_CHUNK,
) -> Iterator[Record]:
    """``records`` in ascending order; ``decode`` turns a line's fields back into a record."""
    source = iter(records)
    first = sorted(islice(source, chunk))
    if len(first) < chunk:
        yield from first
        return
    runs: list[IO[str]] = []
    try:
        run = first
        while run:
            runs.append(_spill(run))
            run = sorted(islice(source, chunk))
        yield from heapq.merge(*(_read(f, decode) for f in runs))
    finally:
        for f in runs:
            f.close()


def _spill(run: list[Record]) -> IO[str]:
    out = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")  # noqa: SIM115 (closed by the caller)
    out.writelines("\t".join(map(str, record)) + "\n" for record in run)
    out.seek(0)
    return out


def _read(f: IO[str], decode: Callable[[list[str]], Record]) -> Iterator[Record]:
    for line in f:
        yield decode(line.rstrip("\n").split("\t"))
