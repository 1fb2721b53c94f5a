"""The anchorer: anchors the ledger's newest checkpoint every K checkpoints or T seconds.

It runs beside the sequencer and never in its way: a thread (``start``) or a process of its own
(``carbonledger anchorer``), with a database engine of its own that reads checkpoints and
writes nothing but anchor receipts and the remembered contract address, in short transactions.

A round is due when ``every_checkpoints`` checkpoints have been sealed above the last anchored
size, or when the oldest of them was sealed ``every_seconds`` ago, whichever comes first: while
the chain is up no checkpoint waits longer than T for an anchor. A round anchors the newest
checkpoint only: the contract wants sizes to grow, and a checkpoint commits to all earlier ones.

When the chain is slow or down the round fails, and the next one waits for an exponential,
jittered, capped backoff (``node.backoff``); the sequencer keeps accepting entries and sealing
checkpoints meanwhile, and the first round that succeeds anchors the newest checkpoint of
that moment: the anchors catch up. After a failure the anchorer connects again and marks
``orphaned`` any receipt whose transaction the chain has lost (``node.anchoring.find_orphans``),
so that the size it next anchors is judged against what the chain really holds.

A split view (the contract holds another root for a size this ledger signed) is recorded as
evidence and raised as an alarm: logged at CRITICAL and passed to ``on_alarm``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from contracts.client import AnchorClient
from ledger import queries
from ledger.errors import InvalidInput, LedgerError
from ledger.queries.anchors import (
    ANCHORED,
    SPLIT_VIEW,
    AnchorView,
    Unanchored,
    latest_anchor,
    unanchored,
)
from ledger.storage.engine import make_engine
from node.anchor_chain import ChainConnection, ChainSettings, anchor_contract
from node.anchoring import anchor_checkpoint, find_orphans
from node.backoff import Backoff, BackoffPolicy

log = logging.getLogger(__name__)

IDLE = "idle"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AnchorPolicy:
    """When to anchor and how to back off; times in seconds."""

    every_checkpoints: int = 10
    """Anchor once this many checkpoints are sealed above the last anchored size (K)."""
    every_seconds: float = 600.0
    """... or once the oldest of them is this old (T), whichever comes first."""
    poll_seconds: float = 1.0
    """How often to look for new checkpoints."""
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    """Waits after consecutive failures: doubling from ``base``, jittered, at most ``cap``."""

    def __post_init__(self) -> None:
        if self.every_checkpoints < 1:
            raise InvalidInput(f"every_checkpoints {self.every_checkpoints}, want 1 or more")
        if self.every_seconds <= 0 or self.poll_seconds <= 0:
            raise InvalidInput(
                f"every_seconds {self.every_seconds} and poll_seconds {self.poll_seconds}, "
                "want both above 0"
            )


@dataclass(frozen=True, slots=True)
class RoundReport:
    """What one round did: ``idle``, ``anchored``, ``split_view`` or ``failed``."""

    kind: str
    receipt: AnchorView | None = None
    error: LedgerError | None = None
    retry_in: float | None = None
    """Seconds until the next try, after a failure."""
    orphaned: tuple[AnchorView, ...] = ()
    """Receipts found lost by the chain when (re)connecting in this round."""


class Anchorer:
    """Anchors the ledger at ``db_url`` on the chain of ``settings``, following ``policy``."""

    def __init__(
        self,
        db_url: str,
        settings: ChainSettings,
        policy: AnchorPolicy | None = None,
        *,
        on_report: Callable[[RoundReport], None] | None = None,
        on_alarm: Callable[[AnchorView], None] | None = None,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        settings.check()
        self.settings = settings
        self.policy = policy or AnchorPolicy()
        self._engine = make_engine(db_url)
        self.origin = queries.ledger_info(self._engine).origin
        self._on_report = on_report
        self._on_alarm = on_alarm
        self._clock = clock
        self._backoff = Backoff(self.policy.backoff, jitter)
        self._connection: ChainConnection | None = None
        self._client: AnchorClient | None = None
        self._retry_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one round ------------------------------------------------------------------------------

    def step(self) -> RoundReport:
        """Run one round now: connect if needed, anchor if due. Never raises a chain or
        database failure: it is reported, and the next round is put off by the backoff.
        Rounds are not thread-safe: run them from one thread (``run`` does)."""
        now = self._clock()
        orphaned: list[AnchorView] = []
        try:
            client = self._client
            if client is None:
                client = self._connect()
                orphaned = find_orphans(client, self._engine, self.origin)
            pending = self._pending(client)
            if pending is None or not self._due(pending, now):
                return self._emit(RoundReport(IDLE, orphaned=tuple(orphaned)))
            outcome = anchor_checkpoint(
                client,
                self._engine,
                self.origin,
                pending.newest_size,
                pending.newest_root,
                confirmations=self.settings.confirmations,
                clock=self._clock,
            )
        except Exception as exc:  # a round never ends the loop: chain, node or database
            error = (
                exc
                if isinstance(exc, LedgerError)
                else LedgerError(f"{type(exc).__name__}: {exc}", code="anchor_error")
            )
            self._disconnect()
            delay = self._backoff.failed()
            self._retry_at = now + delay
            return self._emit(
                RoundReport(FAILED, error=error, retry_in=delay, orphaned=tuple(orphaned))
            )
        self._backoff.succeeded()
        return self._emit(
            RoundReport(outcome.receipt.status, outcome.receipt, orphaned=tuple(orphaned))
        )

    def _connect(self) -> AnchorClient:
        connection = ChainConnection.open(self.settings)
        try:
            client = anchor_contract(connection, self.settings, self._engine, self.origin)
        except BaseException:
            connection.close()
            raise
        self._connection, self._client = connection, client
        return client

    def disconnect(self) -> None:
        """Drop the chain connection (releasing the in-process chain's journal for another
        writer); the next round connects again."""
        self._disconnect()

    def _disconnect(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = self._client = None

    def _pending(self, client: AnchorClient) -> Unanchored | None:
        """The checkpoints above the largest size this ledger anchored (or found split) here."""
        last = 0
        for status in (ANCHORED, SPLIT_VIEW):
            receipt = latest_anchor(
                self._engine, chain_id=client.chain_id, contract=client.address, status=status
            )
            if receipt is not None:
                last = max(last, receipt.size)
        return unanchored(self._engine, last)

    def _due(self, pending: Unanchored, now: float) -> bool:
        if pending.count >= self.policy.every_checkpoints:
            return True
        return now * 1000 - pending.oldest_ms >= self.policy.every_seconds * 1000

    # -- the loop -------------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> None:
        """Run rounds until ``stop`` (default: ``self.stop()``) is set."""
        stop = stop or self._stop
        while not stop.is_set():
            wait = self._retry_at - self._clock()
            if wait > 0:
                stop.wait(wait)
                continue
            report = self.step()
            stop.wait(report.retry_in if report.kind == FAILED else self.policy.poll_seconds)

    def start(self) -> None:
        """Run the loop on a daemon thread of its own."""
        if self._thread is not None:
            raise InvalidInput("the anchorer is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="anchorer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the loop after the current round, then release the chain and the database."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.close()

    def close(self) -> None:
        self._disconnect()
        self._engine.dispose()

    def _emit(self, report: RoundReport) -> RoundReport:
        """Log ``report``, raise the alarm for a split view, pass it on; return it."""
        for lost in report.orphaned:
            log.warning(
                "the chain no longer holds the anchor of size %d (transaction %s): marked "
                "orphaned; the next anchor covers it",
                lost.size,
                lost.tx_hash.hex(),
            )
        receipt = report.receipt
        if report.kind == FAILED:
            assert report.error is not None
            log.warning(
                "anchoring failed: %s: %s; next try in %.1f s",
                report.error.code,
                report.error.message,
                report.retry_in or 0.0,
            )
        elif report.kind == SPLIT_VIEW and receipt is not None:
            log.critical(
                "SPLIT VIEW: chain %d contract %s holds root %s for size %d, this ledger signed "
                "%s (evidence: transaction %s, block %d)",
                receipt.chain_id,
                receipt.contract,
                receipt.chain_root.hex(),
                receipt.size,
                receipt.root.hex(),
                receipt.tx_hash.hex(),
                receipt.block_number,
            )
            if self._on_alarm is not None:
                self._on_alarm(receipt)
        elif report.kind == ANCHORED and receipt is not None:
            log.info(
                "anchored size %d root %s in block %d (transaction %s)",
                receipt.size,
                receipt.root.hex(),
                receipt.block_number,
                receipt.tx_hash.hex(),
            )
        if self._on_report is not None:
            self._on_report(report)
        return report
