"""Getting the sequencer's checkpoints cosigned by its witnesses, beside the write path.

``Witnessing`` runs one background thread. The sequencer calls ``checkpoint_sealed`` after
each seal (a cheap wake-up, never a network call on the write path); the thread then asks every
configured witness (``node.witness_client``) to cosign the latest checkpoint and stores each
verified cosignature line with it (``ledger.storage.cosignatures``), so that ``GET
/v1/log/checkpoint`` serves the note with them. Checkpoints sealed while a round is in flight
are coalesced: a witness cosigns the latest tree it is shown, and its cosignature covers every
smaller tree consistent with it. A witness that fails is retried at the next seal or after
``retry_seconds``, from the size it last cosigned (read back from the database after a
restart; a 409 corrects a wrong guess). Clients enforce their k-of-n policy with
``ledger.cosignature.require_cosignatures``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from sqlalchemy import Engine, func, select

from ledger import queries
from ledger.errors import LedgerError, NotFound
from ledger.storage import cosignatures, schema
from node.witness_client import WitnessClient

log = logging.getLogger("carbonledger.cosigning")


class Witnessing:
    """Cosigns the log's latest checkpoint with every witness, in a background thread."""

    def __init__(
        self,
        engine: Engine,
        witnesses: Sequence[WitnessClient],
        *,
        retry_seconds: float = 5.0,
    ) -> None:
        self._engine = engine
        self.witnesses = list(witnesses)
        self._retry = retry_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        for witness in self.witnesses:
            witness.known_size = self._last_cosigned(witness.name)

    def start(self) -> None:
        """Start the thread; it runs a first round at once (checkpoints sealed while down)."""
        if self._thread is None and self.witnesses:
            self._wake.set()
            self._thread = threading.Thread(target=self._run, name="witnessing", daemon=True)
            self._thread.start()

    def checkpoint_sealed(self, note: bytes | None = None) -> None:
        """The sequencer's hook after each seal: wake the thread. Returns at once."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        for witness in self.witnesses:
            witness.close()

    def run_once(self) -> list[str]:
        """One round: each witness without a cosignature on the latest checkpoint is asked.

        Returns the names of the witnesses that cosigned in this round.
        """
        try:
            latest = queries.checkpoint(self._engine)
        except NotFound:
            return []
        done = self._cosigned_by(latest.size)
        cosigned = []
        for witness in self.witnesses:
            if witness.name in done:
                continue
            try:
                line = witness.cosign(latest.note.encode(), self._proof)
                cosignatures.add_cosignatures(
                    self._engine, latest.size, line.format(), [witness.verifier]
                )
            except LedgerError as exc:
                log.warning("witness %s did not cosign size %d: %s", witness.name, latest.size, exc)
                continue
            cosigned.append(witness.name)
        return cosigned

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self._retry)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.run_once()
            except Exception:  # the thread must outlive a database hiccup; the next round retries
                log.exception("witnessing round failed")

    def _proof(self, size1: int, size2: int) -> list[bytes]:
        return queries.consistency_proof(self._engine, size1, size2).proof

    def _cosigned_by(self, size: int) -> set[str]:
        t = schema.checkpoint_cosignatures
        with self._engine.connect() as conn:
            return set(conn.execute(select(t.c.witness).where(t.c.size == size)).scalars())

    def _last_cosigned(self, witness: str) -> int:
        t = schema.checkpoint_cosignatures
        with self._engine.connect() as conn:
            size = conn.execute(select(func.max(t.c.size)).where(t.c.witness == witness)).scalar()
        return int(size or 0)
