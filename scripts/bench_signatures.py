"""Benchmark Ed25519 verification throughput: ``cryptography`` (OpenSSL) against PyNaCl.

Both libraries verify the same signatures over the same messages (checkpoint-sized bodies signed
by a handful of keys), first one at a time on the calling thread, then spread over a thread pool
to see which binding releases the GIL. Run it with ``python scripts/bench_signatures.py``; it
prints verifies per second for each way, and for ``ledger.keys.verify_many`` if importable.
This is a measurement, not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import nacl.bindings
import nacl.signing
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

Item = tuple[bytes, bytes, bytes]
"""(raw public key, signature, message)."""


def make_items(count: int, keys: int) -> list[Item]:
    """Sign ``count`` distinct checkpoint-like messages with ``keys`` fresh keys."""
    privs = [Ed25519PrivateKey.generate() for _ in range(keys)]
    pubs = [p.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) for p in privs]
    items: list[Item] = []
    for i in range(count):
        msg = f"carbonledger.example/log\n{i}\n{os.urandom(32).hex()}\n".encode()
        k = i % keys
        items.append((pubs[k], privs[k].sign(msg), msg))
    return items


def run_cryptography_preloaded(items: Sequence[Item]) -> int:
    keys = {pub: Ed25519PublicKey.from_public_bytes(pub) for pub, _, _ in items}
    for pub, sig, msg in items:
        keys[pub].verify(sig, msg)
    return len(items)


def run_cryptography_load_each(items: Sequence[Item]) -> int:
    for pub, sig, msg in items:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
    return len(items)


def run_nacl_preloaded(items: Sequence[Item]) -> int:
    keys = {pub: nacl.signing.VerifyKey(pub) for pub, _, _ in items}
    for pub, sig, msg in items:
        keys[pub].verify(msg, sig)
    return len(items)


def run_nacl_bindings(items: Sequence[Item]) -> int:
    sign_open = nacl.bindings.crypto_sign_open
    for pub, sig, msg in items:
        sign_open(sig + msg, pub)
    return len(items)


def threaded(run: Callable[[Sequence[Item]], int], workers: int) -> Callable[[Sequence[Item]], int]:
    """Split the items into one chunk per worker and run them on a thread pool."""

    def go(items: Sequence[Item]) -> int:
        chunks = [items[i::workers] for i in range(workers)]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return sum(pool.map(run, chunks))

    return go


def measure(run: Callable[[Sequence[Item]], int], items: Sequence[Item], rounds: int) -> float:
    """Best verifies/second over ``rounds`` runs (the best run has the least noise)."""
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        done = run(items)
        elapsed = time.perf_counter() - start
        best = max(best, done / elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="signatures per round")
    parser.add_argument("--keys", type=int, default=16, help="distinct signing keys")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    items = make_items(args.count, args.keys)
    cases: list[tuple[str, Callable[[Sequence[Item]], int]]] = [
        ("cryptography, key loaded once", run_cryptography_preloaded),
        ("cryptography, key loaded per verify", run_cryptography_load_each),
        ("pynacl VerifyKey, key loaded once", run_nacl_preloaded),
        ("pynacl bindings.crypto_sign_open", run_nacl_bindings),
        (
            f"cryptography, {args.workers} threads",
            threaded(run_cryptography_preloaded, args.workers),
        ),
        (f"pynacl bindings, {args.workers} threads", threaded(run_nacl_bindings, args.workers)),
    ]
    try:
        from ledger.keys import verify_many
    except ImportError:
        pass
    else:
        cases.append(("ledger.keys.verify_many", lambda xs: sum(verify_many(xs))))

    print(f"{args.count} signatures, {args.keys} keys, best of {args.rounds} rounds")
    for name, run in cases:
        print(f"{name:42} {measure(run, items, args.rounds):>10,.0f} verifies/s")


if __name__ == "__main__":
    main()
