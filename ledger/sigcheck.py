"""Signature checking beside the main work: a worker process verifies while rules are applied.

Ed25519 verification holds the interpreter lock in both ``cryptography`` and PyNaCl, so
threads do not help; a worker process on the second core does. The sequencer and the replayer
start a batch's check, apply the batch's rules optimistically, then collect the verdicts; a
batch with a bad signature is re-applied with that entry checked inline (and so rejected).
Small batches are checked inline: a round trip to the worker costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ledger.keys import verify_one

Item = tuple[bytes, bytes, bytes]
"""(raw public key, signature, message)"""

WORKER_MIN_BATCH = 256
PARENT_POLL_S = 1.0
"""How often a worker checks that the process that started it is still there."""
WORKER_MIN_BYTES = 1 << 20
"""A batch of fewer signatures still goes to the worker when its messages add up to this many
bytes (bulk entries of thousands of rows): hashing them costs more than sending them."""


def _exit_with_parent() -> None:
    """Worker initializer: leave when the process that started the worker is gone.

    A worker forked from the ledger's process would otherwise outlive it whenever that process
    ends without shutting its pool down (killed, or a server stopped abruptly): it waits on a
    pipe it holds both ends of, for ever.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _verify_all(items: Sequence[Item]) -> list[bool]:
    return [verify_one(pub, sig, msg) for pub, sig, msg in items]


class SignatureChecker:
    """Checks batches of signatures in worker processes (one per spare core)."""

    def __init__(self, workers: int | None = None) -> None:
        self._workers = workers if workers is not None else max(1, (os.cpu_count() or 2) - 1)
        self._pool: ProcessPoolExecutor | None = None

    def start(self, items: Sequence[Item]) -> Callable[[], list[bool]]:
        """Begin checking ``items``; the returned function waits for and returns the verdicts."""
        if len(items) < WORKER_MIN_BATCH and sum(len(m) for _, _, m in items) < WORKER_MIN_BYTES:
            return lambda: _verify_all(items)
        if self._pool is None:
            # fork: the worker needs no re-import of __main__ (spawn and forkserver do, which
            # fails for programs read from standard input) and touches nothing but libsodium.
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers, mp_context=context, initializer=_exit_with_parent
            )
        size = -(-len(items) // self._workers)
        futures: list[Future[list[bool]]] = [
            self._pool.submit(_verify_all, list(items[i : i + size]))
            for i in range(0, len(items), size)
        ]

        def collect() -> list[bool]:
            try:
                return [ok for future in futures for ok in future.result()]
            except BrokenProcessPool:
                self.close()  # a dead worker: check here instead, and start afresh next time
                return _verify_all(items)

        return collect

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
