"""A naive, recursive RFC 9162 section 2.1 reference, for tests only.

Each function transcribes one definition of the RFC over the list of entries ``D[n]``:
``MTH`` (2.1.1), ``PATH`` (2.1.3.1) and ``PROOF`` / ``SUBPROOF`` (2.1.4.1). It hashes with
``hashlib`` directly rather than ``ledger.merkle.hashing``, so that it checks that module too.
Quadratic and slow on purpose: nothing here is clever.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def split(n: int) -> int:
    """The largest power of two smaller than ``n``, for ``n > 1``."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n])."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = split(n)
    return hashlib.sha256(b"\x01" + mth(entries[:k]) + mth(entries[k:])).digest()


def path(m: int, entries: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the inclusion proof of entry ``m``, leaf to root."""
    n = len(entries)
    if n == 1:
        return []
    k = split(n)
    if m < k:
        return [*path(m, entries[:k]), mth(entries[k:])]
    return [*path(m - k, entries[k:]), mth(entries[:k])]


def proof(m: int, entries: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true): the consistency proof from size ``m``."""
    return subproof(m, entries, True)


def subproof(m: int, entries: Sequence[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b)."""
    n = len(entries)
    if m == n:
        return [] if b else [mth(entries)]
    k = split(n)
    if m <= k:
        return [*subproof(m, entries[:k], b), mth(entries[k:])]
    return [*subproof(m - k, entries[k:], False), mth(entries[:k])]


def root_from_path(m: int, n: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The root that ``proof`` gives leaf ``m`` of ``n`` if read as ``PATH(m, D[n])``.

    Walks the recursion of ``PATH``, so every hash is hashed in on the side the definition puts
    it. ``None`` if ``proof`` does not have the length ``PATH(m, D[n])`` has.
    """
    hashes = iter(proof)

    def walk(m: int, n: int) -> bytes:
        if n == 1:
            return leaf
        k = split(n)
        if m < k:
            below = walk(m, k)
            return _node(below, next(hashes))
        below = walk(m - k, n - k)
        return _node(next(hashes), below)

    try:
        root = walk(m, n)
    except StopIteration:
        return None
    return None if next(hashes, None) is not None else root


def roots_from_proof(
    m: int, n: int, proof: Sequence[bytes], old_root: bytes
) -> tuple[bytes, bytes] | None:
    """The (old, new) roots ``proof`` gives if read as ``PROOF(m, D[n])``, for ``0 < m <= n``.

    Walks the recursion of ``SUBPROOF``; where the definition emits nothing (the old tree is a
    whole subtree, b true) the old root stands in. ``None`` if the length is wrong.
    """
    hashes = iter(proof)

    def walk(m: int, n: int, b: bool) -> tuple[bytes, bytes]:
        if m == n:
            subtree = old_root if b else next(hashes)
            return subtree, subtree
        k = split(n)
        if m <= k:
            old, new = walk(m, k, b)
            right = next(hashes)
            return old, _node(new, right)
        old, new = walk(m - k, n - k, False)
        left = next(hashes)
        return _node(left, old), _node(left, new)

    try:
        roots = walk(m, n, True)
    except StopIteration:
        return None
    return None if next(hashes, None) is not None else roots


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()
