"""Benchmark: build a Merkle tree's node store with CompactRange, then build and verify proofs.

Builds an in-memory store of every perfect-subtree node of a 1,000,000-leaf tree (RFC 9162
section 2.1) by appending leaves to a ``CompactRange``, reporting the append rate, then times
inclusion and consistency proof construction (one fetch from the store, then folding the
ephemeral node) and verification for random indices and sizes.

Run from the repository root: ``.venv/bin/python -m scripts.bench_proofs [--leaves N]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Sequence

from ledger.merkle import (
    CompactRange,
    NodeId,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    range_nodes,
    verify_consistency,
    verify_inclusion,
)


class LevelStore:
    """Stored nodes as one list per level: node (level, index) is ``levels[level][index]``."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = []

    def add(self, level: int, digest: bytes) -> None:
        if level == len(self.levels):
            self.levels.append([])
        self.levels[level].append(digest)

    def fetch(self, ids: Sequence[NodeId]) -> list[bytes]:
        levels = self.levels
        return [levels[level][index] for level, index in ids]


def entry(position: int) -> bytes:
    return b"carbonledger-entry-%d" % position


def build(leaves: int) -> tuple[LevelStore, CompactRange, float, float]:
    """Append ``leaves`` entries; return the store, the tree and two rates in leaves/s.

    The first rate is leaf hashing alone; the second is ``CompactRange.append`` plus storing
    every node it completes, given the leaf hashes.
    """
    started = time.perf_counter()
    hashes = [leaf_hash(entry(position)) for position in range(leaves)]
    hashing_rate = leaves / (time.perf_counter() - started)

    store = LevelStore()
    tree = CompactRange()
    add = store.add
    append = tree.append
    started = time.perf_counter()
    for digest in hashes:
        for level, _, node in append(digest):
            add(level, node)
    append_rate = leaves / (time.perf_counter() - started)
    return store, tree, hashing_rate, append_rate


def timed(samples: int, action: Callable[[int], None]) -> list[float]:
    """Microseconds taken by ``action(sample)`` for each sample."""
    durations = []
    for sample in range(samples):
        started = time.perf_counter_ns()
        action(sample)
        durations.append((time.perf_counter_ns() - started) / 1000)
    return durations


def report(name: str, durations: list[float]) -> None:
    p99 = statistics.quantiles(durations, n=100)[98]
    print(f"  {name:<34} mean {statistics.fmean(durations):8.1f} us   p99 {p99:8.1f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=9162)
    args = parser.parse_args()
    size: int = args.leaves
    rng = random.Random(args.seed)

    store, tree, hashing_rate, append_rate = build(size)
    root = tree.root()
    stored = sum(len(level) for level in store.levels)
    print(f"tree of {size:,} leaves, {stored:,} stored nodes, root {root.hex()}")
    print(f"  leaf hashing alone                 {hashing_rate:12,.0f} leaves/s")
    print(f"  CompactRange.append + store nodes  {append_rate:12,.0f} leaves/s")
    both = 1 / (1 / hashing_rate + 1 / append_rate)
    print(f"  both together                      {both:12,.0f} leaves/s")

    indices = [rng.randrange(size) for _ in range(args.samples)]
    leaves = [leaf_hash(entry(index)) for index in indices]
    proofs: list[list[bytes]] = [[] for _ in indices]

    def build_inclusion(sample: int) -> None:
        proofs[sample] = inclusion_proof(indices[sample], size, store.fetch)

    def check_inclusion(sample: int) -> None:
        verify_inclusion(leaves[sample], indices[sample], size, proofs[sample], root)

    print(f"inclusion proofs, {args.samples:,} random leaves:")
    report("build (fetch + fold)", timed(args.samples, build_inclusion))
    report("verify", timed(args.samples, check_inclusion))
    print(f"  proof length: mean {statistics.fmean(len(proof) for proof in proofs):.1f} hashes")

    old_sizes = [rng.randrange(1, size) for _ in range(args.samples)]
    old_roots = [CompactRange(old, store.fetch(range_nodes(0, old))).root() for old in old_sizes]

    def build_consistency(sample: int) -> None:
        proofs[sample] = consistency_proof(old_sizes[sample], size, store.fetch)

    def check_consistency(sample: int) -> None:
        verify_consistency(old_sizes[sample], size, proofs[sample], old_roots[sample], root)

    print(f"consistency proofs, {args.samples:,} random old sizes:")
    report("build (fetch + fold)", timed(args.samples, build_consistency))
    report("verify", timed(args.samples, check_consistency))
    print(f"  proof length: mean {statistics.fmean(len(proof) for proof in proofs):.1f} hashes")


if __name__ == "__main__":
    main()
