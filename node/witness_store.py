"""A witness's memory: per log, the latest checkpoint it cosigned, kept in SQLite.

C2SP tlog-witness requires that checking a request's old size against the stored size and
storing the new checkpoint be one atomic step, persisted before the cosignature is returned.
``advance`` does exactly that: it takes SQLite's write lock (``BEGIN IMMEDIATE``, so two
processes on one file serialise too), reads the log's state, lets the caller decide, writes the
new state and commits with ``synchronous=FULL`` before returning. A log found to have signed a
split view is *frozen*: the store remembers the evidence file and refuses every later request.

Tree sizes go up to 2^64 - 1, beyond SQLite's signed integers, so they are stored as decimal
text.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ledger.errors import RuleViolation
from ledger.witness_state import LogState

T = TypeVar("T")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS logs (
        origin TEXT PRIMARY KEY,      -- the log's origin line
        size TEXT NOT NULL,           -- tree size of the latest cosigned checkpoint, decimal
        root BLOB NOT NULL,           -- its root hash
        note BLOB NOT NULL,           -- that signed checkpoint, kept as evidence
        updated_ms INTEGER NOT NULL   -- when it was cosigned, Unix ms
    )""",
    """CREATE TABLE IF NOT EXISTS frozen (
        origin TEXT PRIMARY KEY,      -- a log caught signing a split view
        reason TEXT NOT NULL,         -- what was found
        evidence TEXT NOT NULL,       -- path of the evidence file
        frozen_ms INTEGER NOT NULL    -- when, Unix ms
    )""",
)


class LogFrozen(RuleViolation):
    """The witness holds split-view evidence against this log and cosigns nothing more."""

    code = "log_frozen"


@dataclass(frozen=True)
class Frozen:
    origin: str
    reason: str
    evidence: str
    frozen_ms: int


class WitnessStore:
    """Witness state in one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA busy_timeout=10000")
            for statement in _SCHEMA:
                self._conn.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def advance(self, origin: str, decide: Callable[[LogState], tuple[LogState, T]]) -> T:
        """Atomically read ``origin``'s state, apply ``decide`` and store the state it returns.

        ``decide(state)`` returns (new state, result); if it raises, nothing is stored. Raises
        LogFrozen, without calling ``decide``, for a frozen log. The new state is durable when
        this returns.
        """
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                frozen = self._frozen(origin)
                if frozen is not None:
                    raise LogFrozen(
                        f"log {origin!r} is frozen: {frozen.reason} (evidence {frozen.evidence})",
                        evidence=frozen.evidence,
                    )
                new_state, result = decide(self._load(origin))
                conn.execute(
                    "INSERT INTO logs (origin, size, root, note, updated_ms) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET "
                    "size = excluded.size, root = excluded.root, note = excluded.note, "
                    "updated_ms = excluded.updated_ms",
                    (
                        new_state.origin,
                        str(new_state.size),
                        new_state.root,
                        new_state.note,
                        _now_ms(),
                    ),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return result

    def state(self, origin: str) -> LogState:
        """The latest cosigned state of ``origin`` (the empty tree if none)."""
        with self._lock:
            return self._load(origin)

    def freeze(self, origin: str, reason: str, evidence: Path) -> None:
        """Refuse every later request for ``origin``; the first freeze is the one kept."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO frozen (origin, reason, evidence, frozen_ms) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (origin) DO NOTHING",
                (origin, reason, str(evidence), _now_ms()),
            )

    def frozen(self, origin: str) -> Frozen | None:
        with self._lock:
            return self._frozen(origin)

    def origins(self) -> list[str]:
        """Every log with a cosigned checkpoint or a freeze, sorted."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT origin FROM logs UNION SELECT origin FROM frozen ORDER BY origin"
            ).fetchall()
        return [str(row[0]) for row in rows]

    def _load(self, origin: str) -> LogState:
        row = self._conn.execute(
            "SELECT size, root, note FROM logs WHERE origin = ?", (origin,)
        ).fetchone()
        if row is None:
            return LogState.unseen(origin)
        return LogState(origin, int(row[0]), bytes(row[1]), bytes(row[2]))

    def _frozen(self, origin: str) -> Frozen | None:
        row = self._conn.execute(
            "SELECT reason, evidence, frozen_ms FROM frozen WHERE origin = ?", (origin,)
        ).fetchone()
        return None if row is None else Frozen(origin, str(row[0]), str(row[1]), int(row[2]))


def _now_ms() -> int:
    return int(time.time() * 1000)
