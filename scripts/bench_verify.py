"""Audit benchmark: full replay, offline bundle verification and proof latency on a ledger.

Run it on a ledger made by ``scripts/bench_ingest.py --keep`` (which prints the URL)::

    .venv/bin/python scripts/bench_ingest.py --entries 1000000 --keep
    .venv/bin/python scripts/bench_verify.py --db sqlite:////tmp/carbonledger-bench-.../ledger.db

Prints: ``verify`` (replay from genesis into a scratch database, comparing every node and
state row) in entries per second, with the CPU seconds of this process and of the signature
worker, and the load average (the machine may be shared: compare CPU figures); export and
offline verification of a bundle; inclusion and consistency proof latency (built from the
stored nodes and verified), mean, p50 and p99. Only the replay::

    .venv/bin/python scripts/bench_verify.py --db sqlite:///ledger.db --proofs 0 --no-bundle
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from ledger.audit import check_invariants, verify_ledger
from ledger.bundle import export_bundle
from ledger.checkpoint import open_checkpoint
from ledger.entry import parse_record
from ledger.log import Ledger
from ledger.merkle.hashing import leaf_hash
from ledger.merkle.verify import verify_consistency, verify_inclusion
from ledger.note import NoteVerifier
from ledger.verifier import verify_bundle


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timings(label: str, values: list[float]) -> None:
    if not values:
        return
    micro = [v * 1e6 for v in values]
    print(
        f"{label}: mean {statistics.fmean(micro):8.0f} us  p50 {percentile(micro, 0.5):8.0f} us"
        f"  p99 {percentile(micro, 0.99):8.0f} us  ({len(values)} proofs)"
    )


def children_cpu() -> float:
    """CPU seconds of finished child processes (the signature worker, once shut down)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--skip-replay", action="store_true")
    parser.add_argument("--no-bundle", action="store_true", help="skip export and offline check")
    args = parser.parse_args()
    ledger = Ledger.open(args.db)
    size = ledger.size
    print(f"ledger: {size:,} entries")
    verifier = NoteVerifier.from_vkey(ledger.log_vkey)
    rng = random.Random(1)

    latest = open_checkpoint(ledger.checkpoint(), verifier)
    inclusion: list[float] = []
    for _ in range(args.proofs):
        index = rng.randrange(latest.size)
        started = time.perf_counter()
        proof = ledger.inclusion_proof(index, latest.size)
        record = ledger.record(index)
        verify_inclusion(leaf_hash(record), index, latest.size, proof, latest.root)
        inclusion.append(time.perf_counter() - started)
        assert parse_record(record).index == index
    timings("inclusion proof (fetch record + nodes, build, verify)", inclusion)

    consistency: list[float] = []
    roots: dict[int, bytes] = {}
    for _ in range(args.proofs):
        size1 = rng.randrange(1, latest.size)
        started = time.perf_counter()
        proof = ledger.consistency_proof(size1, latest.size)
        root1 = roots.get(size1) or ledger.root_at(size1)
        verify_consistency(size1, latest.size, proof, root1, latest.root)
        consistency.append(time.perf_counter() - started)
    timings("consistency proof (fetch old root + nodes, build, verify)", consistency)

    started = time.perf_counter()
    problems = check_invariants(ledger.engine)
    print(f"check invariants: {len(problems)} problems in {time.perf_counter() - started:.1f} s")
    ledger.close()

    if not args.skip_replay:
        load = os.getloadavg()[0]
        cpu, workers = time.process_time(), children_cpu()
        started = time.perf_counter()
        report = verify_ledger(args.db)
        wall = time.perf_counter() - started
        cpu, workers = time.process_time() - cpu, children_cpu() - workers
        print(
            f"verify (replay into scratch db, compare nodes and state): {report.entries:,} "
            f"entries in {wall:.1f} s = {report.entries / wall:,.0f}/s; CPU s: main "
            f"{cpu:.1f} ({cpu / report.entries * 1e6:.0f} us/entry), signature worker "
            f"{workers:.1f}; load average {load:.2f} before, {os.getloadavg()[0]:.2f} after"
        )
    if not args.skip_replay and not args.no_bundle:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "ledger.clb"
            started = time.perf_counter()
            header = export_bundle(args.db, path)
            exported = time.perf_counter() - started
            print(
                f"export bundle: {header.size:,} entries, {path.stat().st_size / 2**20:.1f} MiB"
                f" in {exported:.1f} s"
            )
            report = verify_bundle(path, log_vkey=header.log_vkey)
            print(
                f"verify bundle offline (in memory): {report.entries:,} entries in "
                f"{report.seconds:.1f} s = {report.entries / report.seconds:,.0f}/s"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
