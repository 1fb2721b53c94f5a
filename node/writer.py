"""The sequencer's single writer: one thread owns the ledger and commits submissions in groups.

HTTP handlers hand a ``Submission`` (one entry, or a bulk request's entries) to ``submit`` and
await its ``Reply``. The writer thread takes whatever submissions are waiting, up to about
``max_group`` entries or ``max_group_bytes`` of entries, and applies them as ONE group: one
transaction, one fsync, for every request of the group (group commit). Each submission's reply
is rendered and, when it carries an idempotency key and appended anything, stored in that same
transaction; replies are released only after the commit, so an acknowledged entry is durable.

Groups are pipelined (``Ledger.begin``): while one group's transaction is written and committed,
the thread applies the next group, if requests are waiting; the first group's replies go out as
soon as the second has been applied (its commit is then done). With nothing waiting, the thread
waits for the commit and answers at once.

Idempotency keys are checked here, on the only thread that stores them, so two concurrent
requests with one key cannot both be applied: a key already stored returns its stored reply
(the same request) or ``idempotency_key_reused`` (another request); a key repeated within one
group, or in the group after the one being written, follows the first request with it.

Checkpoints are sealed by count (the ledger's ``seal_every``) and by time: ``seal_ms`` after
the first unsealed entry, the thread seals a partial batch even if nothing else arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection

from ledger.errors import LedgerError, RuleViolation
from ledger.log import Accepted, Ledger, Outcome, PendingGroup, Rejected
from ledger.storage import idempotency
from ledger.storage.idempotency import StoredResponse

log = logging.getLogger(__name__)

MAX_WAITING = 20_000
"""Submissions waiting for the writer before new ones are refused (``writer_busy``)."""
MAX_WAITING_BYTES = 256 * 2**20
"""Bytes of entries waiting for the writer before new submissions are refused
(``writer_busy``): a few bulk requests of tens of megabytes, or the 20,000 submissions of
``MAX_WAITING`` at up to 13 KB each. A request alone is let in however large it is."""
MAX_GROUP = 5000
"""Entries gathered into one group by default."""
MAX_GROUP_BYTES = 16 * 2**20
"""Bytes of entries gathered into one group by default: a few bulk entries of thousands of
records each (every record is held in memory until the group commits), or thousands of
ordinary entries."""


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP response as bytes; ``replayed`` when it is a stored reply to an earlier request."""

    status: int
    content_type: str
    body: bytes
    replayed: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class Submission:
    """Entries from one request, applied in order in one group, and how to render the reply."""

    raws: Sequence[bytes]
    render: Callable[[Sequence[Outcome]], Reply]
    key: str | None = None
    fingerprint: bytes = b""

    @property
    def size(self) -> int:
        """Bytes of its entries."""
        return sum(map(len, self.raws))


@dataclass(frozen=True, slots=True)
class GroupReport:
    """What one group commit did, for metrics."""

    entries: int
    appended: int
    duplicates: int
    rejected: Counter[str]
    sealed: int


Result = Reply | LedgerError


@dataclass(eq=False)
class _Waiting:
    submission: Submission
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Result]
    result: Result | None = field(default=None)


@dataclass(eq=False)
class _Flight:
    """A group applied and being written: what to answer once its commit is done."""

    group: list[_Waiting]
    to_apply: list[_Waiting]
    followers: dict[_Waiting, list[_Waiting]]
    leads: dict[str, _Waiting]
    """The first request of each idempotency key this group may store."""
    pending: PendingGroup | None
    sealed: bool


_STOP = object()


class GroupWriter:
    """The one thread that writes the ledger; ``submit`` is called from the event loop."""

    def __init__(
        self,
        open_ledger: Callable[[], Ledger],
        *,
        seal_ms: int = 1000,
        max_group: int = MAX_GROUP,
        max_group_bytes: int = MAX_GROUP_BYTES,
        max_waiting_bytes: int = MAX_WAITING_BYTES,
        on_group: Callable[[GroupReport], None] | None = None,
    ) -> None:
        self._open = open_ledger
        self._max_waiting_bytes = max_waiting_bytes
        self._waiting_bytes = 0  # of the submissions in the queue
        # Held to change _waiting_bytes, inside the gate by submitters; alone by the writer
        # thread, which must not wait for the gate (stop() holds it while queueing _STOP).
        self._bytes_lock = threading.Lock()
        self._seal_ms = seal_ms
        self._max_group = max_group
        self._max_group_bytes = max_group_bytes
        self._on_group = on_group
        self._queue: queue.Queue[_Waiting | object] = queue.Queue(MAX_WAITING)
        self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._ledger: Ledger | None = None
        self._opened = False
        self._stopping = False
        # Held while queueing and while stopping: nothing is queued after the last drain.
        self._gate = threading.Lock()

    # -- the event loop's side -----------------------------------------------------------------
    def start(self, timeout: float = 120) -> None:
        """Open the ledger on the writer thread; raise what opening it raised."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuleViolation("the writer did not open the ledger in time", code="writer_failed")
        if self._failure is not None:
            raise self._failure

    @property
    def alive(self) -> bool:
        """Opened, and neither stopped nor stopping (a ledger being reopened after a failed
        commit counts: submissions wait in the queue meanwhile)."""
        return self._opened and self._thread.is_alive() and not self._stopping

    async def submit(self, submission: Submission) -> Reply:
        """Queue ``submission`` for the next group and wait until it is durable; its reply.

        Raises the LedgerError that refused the whole request (``idempotency_key_reused``,
        ``writer_unavailable``, ``writer_busy``, ``writer_failed``).
        """
        loop = asyncio.get_running_loop()
        waiting = _Waiting(submission, loop, loop.create_future())
        with self._gate:
            if not self.alive:
                raise RuleViolation("the writer is not running", code="writer_unavailable")
            size = submission.size
            with self._bytes_lock:
                waiting_bytes = self._waiting_bytes
                if waiting_bytes and waiting_bytes + size > self._max_waiting_bytes:
                    raise RuleViolation(
                        f"{waiting_bytes} bytes of entries are waiting", code="writer_busy"
                    )
                try:
                    self._queue.put_nowait(waiting)
                except queue.Full as exc:
                    raise RuleViolation(
                        "too many submissions are waiting", code="writer_busy"
                    ) from exc
                self._waiting_bytes += size
        result = await waiting.future
        if isinstance(result, LedgerError):
            raise result
        return result

    def stop(self, timeout: float = 30) -> None:
        """Finish the submissions already queued, seal what is unsealed, close the ledger."""
        with self._gate:
            if self._stopping:
                return
            self._stopping = True
            if self._thread.is_alive():
                self._queue.put(_STOP)  # the writer drains the queue meanwhile: room comes
        if self._thread.ident is not None:  # started
            self._thread.join(timeout)

    # -- the writer thread -----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            ledger = self._open()
        except BaseException as exc:
            self._failure = exc
            self._ready.set()
            return
        self._ledger = ledger
        self._opened = True
        self._ready.set()
        try:
            self._loop(ledger)
        except BaseException:
            log.exception("the ledger writer stopped")
        finally:
            with self._gate:
                self._stopping = True
                self._fail_waiting()
            if self._ledger is not None:
                self._seal(self._ledger)
                self._ledger.close()

    def _loop(self, ledger: Ledger) -> None:
        unsealed_since = None if ledger.size == ledger.sealed_size else time.monotonic()
        flight: _Flight | None = None
        try:
            while True:
                if flight is not None:
                    try:
                        first = self._queue.get_nowait()
                    except queue.Empty:  # nothing to apply meanwhile: answer the group now
                        ledger, flight = self._finish(ledger, flight), None
                        continue
                else:
                    timeout = None
                    if unsealed_since is not None and self._seal_ms > 0:
                        timeout = max(0.0, unsealed_since + self._seal_ms / 1000 - time.monotonic())
                    try:
                        first = self._queue.get(timeout=timeout)
                    except queue.Empty:
                        self._seal(ledger)
                        unsealed_since = None
                        continue
                if first is _STOP:
                    return
                assert isinstance(first, _Waiting)
                group, stop = self._gather(first)
                previous, flight = flight, None
                ledger, flight = self._begin(ledger, group, previous)
                if ledger.size == ledger.sealed_size:
                    unsealed_since = None
                elif unsealed_since is None:
                    unsealed_since = time.monotonic()
                if stop:
                    return
        finally:
            if flight is not None:
                self._finish(ledger, flight)

    def _gather(self, first: _Waiting) -> tuple[list[_Waiting], bool]:
        """``first`` and the submissions waiting behind it, up to about ``max_group`` entries
        or ``max_group_bytes`` of them (a request is never split: the last one may go over)."""
        group, count, size = [first], len(first.submission.raws), first.submission.size
        stop = False
        while count < self._max_group and size < self._max_group_bytes:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                stop = True
                break
            assert isinstance(item, _Waiting)
            group.append(item)
            count += len(item.submission.raws)
            size += item.submission.size
        with self._bytes_lock:
            self._waiting_bytes -= size
        return group, stop

    def _begin(
        self, ledger: Ledger, group: list[_Waiting], previous: _Flight | None
    ) -> tuple[Ledger, _Flight | None]:
        """Apply ``group`` and start writing it, then answer ``previous`` (whose commit that
        waited for). The ledger to go on with, and the group now in flight."""
        to_apply: list[_Waiting] = []
        try:
            to_apply, followers, leads = self._resolve_keys(ledger, group, previous)
            raws = [raw for waiting in to_apply for raw in waiting.submission.raws]
            pending = None
            if raws:
                pending = ledger.begin(raws, before_commit=_renderer(to_apply))
            sealed = bool(raws) and ledger.sealed_size == ledger.size
        except BaseException as exc:
            log.exception("a group commit failed")
            # The group before was written or failed: the commit this one waited for is over.
            going_on = ledger if previous is None else self._finish(ledger, previous)
            _fail(group, to_apply, _failed(exc))
            _release(group)
            return (self._reopen(ledger) if going_on is ledger else going_on), None
        if previous is not None:
            ledger = self._finish(ledger, previous)
        return ledger, _Flight(group, to_apply, followers, leads, pending, sealed)

    def _finish(self, ledger: Ledger, flight: _Flight) -> Ledger:
        """Wait for ``flight``'s commit and release its replies; the ledger to go on with."""
        outcomes: list[Outcome] = []
        everyone = [*flight.group, *(w for same in flight.followers.values() for w in same)]
        try:
            if flight.pending is not None:
                outcomes = flight.pending.wait()
        except BaseException as exc:
            log.exception("a group commit failed")
            _fail(everyone, flight.to_apply, _failed(exc))
            _release(everyone)
            return self._reopen(ledger)
        for lead, same in flight.followers.items():
            for waiting in same:
                waiting.result = _replayed(lead.result)
        _release(everyone)
        if self._on_group is not None and flight.pending is not None:
            try:
                self._on_group(_report(outcomes, flight.sealed))
            except Exception:
                log.exception("reporting a group commit failed")
        return ledger

    def _resolve_keys(
        self, ledger: Ledger, group: list[_Waiting], previous: _Flight | None
    ) -> tuple[list[_Waiting], dict[_Waiting, list[_Waiting]], dict[str, _Waiting]]:
        """Answer requests whose key is stored; return those to apply, their followers and the
        first request of each key. A request whose key the group in flight (``previous``) may
        store follows that group's request."""
        keys = {w.submission.key for w in group if w.submission.key is not None}
        stored: dict[str, StoredResponse] = {}
        if keys:
            with ledger.engine.connect() as conn:
                stored = idempotency.find(conn, keys)
        in_flight = {} if previous is None else previous.leads
        to_apply: list[_Waiting] = []
        leads: dict[str, _Waiting] = {}
        followers: dict[_Waiting, list[_Waiting]] = defaultdict(list)
        for waiting in group:
            sub = waiting.submission
            if sub.key is None:
                to_apply.append(waiting)
            elif sub.key in stored:
                found = stored[sub.key]
                waiting.result = (
                    Reply(found.status, found.content_type, found.body, replayed=True)
                    if found.fingerprint == sub.fingerprint
                    else _key_reused(sub.key)
                )
            elif sub.key in leads:
                lead = leads[sub.key]
                if lead.submission.fingerprint == sub.fingerprint:
                    followers[lead].append(waiting)
                else:
                    waiting.result = _key_reused(sub.key)
            elif sub.key in in_flight:
                assert previous is not None  # answered when the group in flight is
                lead = in_flight[sub.key]
                if lead.submission.fingerprint == sub.fingerprint:
                    previous.followers.setdefault(lead, []).append(waiting)
                else:
                    waiting.result = _key_reused(sub.key)
            else:
                leads[sub.key] = waiting
                to_apply.append(waiting)
        return to_apply, followers, leads

    def _seal(self, ledger: Ledger) -> None:
        try:
            if ledger.seal() is not None and self._on_group is not None:
                self._on_group(GroupReport(0, 0, 0, Counter(), 1))
        except Exception:
            log.exception("sealing a checkpoint failed")

    def _reopen(self, ledger: Ledger) -> Ledger:
        """A fresh ledger after a failed commit (its connection may be broken)."""
        try:
            ledger.close()
        except Exception:
            log.exception("closing the ledger after a failed commit failed")
        self._ledger = None
        self._ledger = self._open()
        return self._ledger

    def _fail_waiting(self) -> None:
        error = RuleViolation("the writer stopped", code="writer_unavailable")
        pending: list[_Waiting] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Waiting):
                item.result = error
                pending.append(item)
        with self._bytes_lock:
            self._waiting_bytes = 0  # the gate is held: nothing is queued meanwhile
        _release(pending)


def _renderer(to_apply: list[_Waiting]) -> Callable[[Connection, list[Outcome]], None]:
    """Render each request's reply, and store those with an idempotency key, in the group's
    transaction just before it commits."""

    def before_commit(conn: Connection, outcomes: list[Outcome]) -> None:
        rows: list[tuple[str, StoredResponse]] = []
        position = 0
        for waiting in to_apply:
            sub = waiting.submission
            part = outcomes[position : position + len(sub.raws)]
            position += len(sub.raws)
            reply = sub.render(part)
            waiting.result = reply
            if sub.key is not None and any(isinstance(o, Accepted) for o in part):
                stored = StoredResponse(
                    sub.fingerprint, reply.status, reply.content_type, reply.body
                )
                rows.append((sub.key, stored))
        if rows:
            idempotency.store(conn, rows, int(time.time() * 1000))

    return before_commit


def _failed(exc: BaseException) -> LedgerError:
    return RuleViolation(f"the writer could not commit: {type(exc).__name__}", code="writer_failed")


def _fail(group: Sequence[_Waiting], unwritten: Sequence[_Waiting], error: LedgerError) -> None:
    """Answer ``unwritten`` with ``error`` (replies rendered for a group rolled back are void),
    and the rest of ``group`` not answered yet."""
    for waiting in unwritten:
        waiting.result = error
    for waiting in group:
        if waiting.result is None:
            waiting.result = error


def _key_reused(key: str) -> LedgerError:
    return RuleViolation(
        f"idempotency key {key!r} was used for another request", code="idempotency_key_reused"
    )


def _replayed(result: Result | None) -> Result:
    if isinstance(result, Reply):
        return Reply(result.status, result.content_type, result.body, replayed=True)
    if result is None:
        return RuleViolation("the request with this key was not applied", code="writer_failed")
    return result


def _release(group: Sequence[_Waiting]) -> None:
    """Hand each result to its event loop: one wake-up per loop, not per request."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Waiting]] = defaultdict(list)
    for waiting in group:
        by_loop[waiting.loop].append(waiting)
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(_set_results, items)


def _set_results(items: list[_Waiting]) -> None:
    for waiting in items:
        if not waiting.future.done():
            result = waiting.result
            if result is None:
                result = RuleViolation("no reply was rendered", code="writer_failed")
            waiting.future.set_result(result)


def _report(outcomes: Sequence[Outcome], sealed: bool) -> GroupReport:
    appended = duplicates = 0
    rejected: Counter[str] = Counter()
    for outcome in outcomes:
        if isinstance(outcome, Rejected):
            rejected[outcome.error.code] += 1
        elif outcome.duplicate:
            duplicates += 1
        else:
            appended += 1
    return GroupReport(len(outcomes), appended, duplicates, rejected, int(sealed and appended > 0))
