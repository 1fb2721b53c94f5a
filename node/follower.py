"""A follower: another organisation's own, verified replica of the log.

It pulls the log's signed checkpoints and records over HTTP (``node.log_client``) and trusts
nothing it has not checked itself. Before anything is stored:

- every checkpoint verifies under the log key the follower was configured with, for the
  configured origin (and, if asked, carries k of n witness cosignatures);
- each new checkpoint is consistent with the last one the follower stored (the log's RFC 9162
  consistency proof, checked against both signed roots);
- every record is canonical, sits at its index, chains to the one before, keeps time from
  going backwards, and its entry's signatures and rules hold when applied to the follower's own
  state (``Ledger.append_records``: the same code path as the sequencer's);
- the Merkle root the follower computes from its own records equals the signed root: directly
  at the checkpoint's size, and through a consistency proof for a page that ends below it.

Records and state are stored page by page, each page in one transaction, and each checkpoint
with the page that reaches it. The moment anything fails to verify, the follower stops: it
logs at ERROR, writes the alarm to ``HALTED.json`` in its state directory (and to its status),
and, for two different signed checkpoints of one size or an inconsistent pair, a portable
evidence file (``node.evidence``). While ``HALTED.json`` exists it refuses to replicate, also
after a restart. A log that cannot be reached is no failure: the follower retries.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import insert, select

from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.cosignature import CosignatureVerifier, require_cosignatures
from ledger.errors import (
    InsufficientSignatures,
    InvalidInput,
    LedgerError,
    RuleViolation,
    TamperDetected,
)
from ledger.log import FORMAT_VERSION, Ledger
from ledger.merkle.verify import verify_consistency
from ledger.note import NoteVerifier, b64encode
from ledger.storage import schema
from ledger.storage.engine import make_engine
from ledger.storage.migrate import upgrade
from ledger.witness_state import SplitViewEvidence
from node.errors import LogUnavailable, ReplicationHalted
from node.evidence import (
    inconsistent_evidence,
    save_evidence,
    tampered_record_evidence,
    write_atomically,
)
from node.log_client import MAX_PAGE, LogClient

log = logging.getLogger("carbonledger.follower")

HALT_FILE = "HALTED.json"
STATUS_FILE = "status.json"


@dataclass(frozen=True)
class FollowerConfig:
    """Where the log is, which key and origin to trust, and where the replica lives."""

    log_url: str
    log_vkey: str
    db_url: str
    state_dir: Path
    origin: str | None = None
    """The log's origin; by convention, and by default, the log key's name."""
    poll_seconds: float = 0.5
    page_size: int = MAX_PAGE
    witnesses: tuple[CosignatureVerifier, ...] = field(default=())
    require_cosignatures: int = 0
    """Accept a checkpoint only once this many of ``witnesses`` cosigned it (0: no policy)."""


def open_replica(db_url: str, origin: str, log_vkey: str) -> Ledger:
    """The follower's ledger at ``db_url``, created empty for this log if new.

    Raises RuleViolation (``wrong_replica``) if the database replicates another log.
    """
    engine = make_engine(db_url)
    upgrade(engine)
    want = {"origin": origin, "log_vkey": log_vkey}
    with engine.begin() as conn:
        meta = dict(conn.execute(select(schema.meta.c.key, schema.meta.c.value)).all())
        if not meta:
            rows = [{"key": k, "value": v} for k, v in {**want, "format": FORMAT_VERSION}.items()]
            conn.execute(insert(schema.meta), rows)
        elif {k: meta.get(k) for k in want} != want:
            engine.dispose()
            raise RuleViolation(
                f"{db_url} replicates {meta.get('origin')!r} under key {meta.get('log_vkey')}, "
                f"not {origin!r} under {log_vkey}",
                code="wrong_replica",
            )
    return Ledger(engine, None)


class Follower:
    """Replicates one log into its own database, verifying everything first."""

    def __init__(self, config: FollowerConfig, *, client: LogClient | None = None) -> None:
        self.config = config
        self.verifier = NoteVerifier.from_vkey(config.log_vkey)
        self.origin = config.origin or self.verifier.name
        if not 0 <= config.require_cosignatures <= len(config.witnesses):
            raise InvalidInput(
                f"require {config.require_cosignatures} cosignatures, want 0 to "
                f"{len(config.witnesses)} (the witnesses given)"
            )
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.client = client if client is not None else LogClient(config.log_url)
        self.ledger = open_replica(config.db_url, self.origin, config.log_vkey)
        self._lock = threading.Lock()
        self._target: bytes | None = None
        """The signed note the records being fetched are checked against."""
        self._status: dict[str, Any] = {
            "origin": self.origin,
            "log_url": config.log_url,
            "state": "replicating",
            "size": self.ledger.size,
            "checkpoint_size": self.ledger.sealed_size,
            "log_size": None,
            "last_error": None,
            "halted": None,
        }
        halt_file = config.state_dir / HALT_FILE
        if halt_file.exists():
            self._status["state"] = "halted"
            self._status["halted"] = json.loads(halt_file.read_text(encoding="utf-8"))
            log.error("replication stays halted: %s exists", halt_file)
        self._write_status()

    def close(self) -> None:
        self.client.close()
        self.ledger.close()

    # -- the replication loop ---------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._status)

    @property
    def halted(self) -> bool:
        return self._status["halted"] is not None

    def run(self, stop: threading.Event) -> None:
        """Replicate until ``stop`` is set or replication halts; transient errors are retried."""
        while not stop.is_set() and not self.halted:
            try:
                appended = self.step()
            except ReplicationHalted:
                return
            except LogUnavailable as exc:
                self._update(last_error=_error_json(exc))
                appended = 0
            except Exception as exc:  # a database hiccup: retry, the next round starts afresh
                log.exception("replication round failed")
                self._update(last_error={"code": "internal", "message": str(exc)})
                appended = 0
            if not appended:
                stop.wait(self.config.poll_seconds)

    def step(self) -> int:
        """One round: fetch the latest checkpoint and every record up to it; return how many.

        Raises ReplicationHalted if replication is (or becomes) halted, LogUnavailable if the
        log cannot be read.
        """
        if self.halted:
            raise ReplicationHalted("replication is halted", code="replication_halted")
        note = self.client.checkpoint()
        cp = self._open(note)
        self._update(log_size=cp.size)
        if not self._cosigned_enough(note):
            return 0
        stored = self._latest_stored()
        if stored is not None and cp.size == stored[1].size:
            if cp.root != stored[1].root:
                self._split_view(stored[0], note, cp)
            return 0
        if cp.size <= self.ledger.size:
            self._check_own_root(note, cp)
            if cp.size == self.ledger.size:
                self._append([], note, checkpoint=note)
            return 0
        if stored is not None:
            self._check_consistency(stored[0], stored[1], note, cp)
        self._target = note
        appended = 0
        while self.ledger.size < cp.size:
            appended += self._fetch_page(note, cp)
        self._update(last_error=None)
        return appended

    # -- checks ------------------------------------------------------------------------------
    def _open(self, note: bytes) -> Checkpoint:
        try:
            return open_checkpoint(note, self.verifier, origin=self.origin)
        except LedgerError as exc:
            self._halt(
                "bad_checkpoint",
                f"the log's checkpoint does not verify under the trusted key: {exc.message}",
                note=note.decode(errors="replace"),
            )

    def _cosigned_enough(self, note: bytes) -> bool:
        k = self.config.require_cosignatures
        if not k:
            return True
        try:
            require_cosignatures(note, self.config.witnesses, k)
        except InsufficientSignatures as exc:
            self._update(last_error=_error_json(exc))
            return False
        except LedgerError as exc:
            self._halt("bad_cosignature", f"a witness cosignature does not verify: {exc.message}")
        return True

    def _latest_stored(self) -> tuple[bytes, Checkpoint] | None:
        if not self.ledger.sealed_size:
            return None
        note = self.ledger.checkpoint()
        return note, open_checkpoint(note, self.verifier, origin=self.origin)

    def _check_own_root(self, note: bytes, cp: Checkpoint) -> None:
        """A checkpoint within the records held must have the root those records give."""
        if self.ledger.root_at(cp.size) == cp.root:
            return
        try:
            same_size = self.ledger.checkpoint(cp.size)
        except LedgerError:
            same_size = None
        if same_size is not None:
            self._split_view(same_size, note, cp)
        stored = self._latest_stored()
        reference = self._target or (None if stored is None else stored[0])
        mismatch = (
            f"the log's checkpoint of size {cp.size} has root {b64encode(cp.root)}, the "
            f"verified records give {b64encode(self.ledger.root_at(cp.size))}"
        )
        if reference is None:
            self._halt("inconsistent_checkpoints", mismatch, note=note.decode(errors="replace"))
        ref_cp = open_checkpoint(reference, self.verifier, origin=self.origin)
        if ref_cp.size == cp.size:
            self._split_view(reference, note, cp)
        pair = sorted([(ref_cp.size, reference), (cp.size, note)])
        try:
            proof = self.client.consistency_proof(pair[0][0], pair[1][0])
        except LogUnavailable:
            proof = []
        self._halt(
            "inconsistent_checkpoints",
            mismatch,
            evidence=inconsistent_evidence(
                pair[0][1], pair[1][1], proof, "roots differ from the follower's verified tree"
            ),
        )

    def _check_consistency(
        self, old_note: bytes, old: Checkpoint, note: bytes, cp: Checkpoint
    ) -> None:
        proof = self.client.consistency_proof(old.size, cp.size)
        try:
            verify_consistency(old.size, cp.size, proof, old.root, cp.root)
        except LedgerError as exc:
            self._halt(
                "inconsistent_checkpoints",
                f"checkpoint {cp.size} is not consistent with checkpoint {old.size}: {exc.message}",
                evidence=inconsistent_evidence(old_note, note, proof, exc.message),
            )

    def _split_view(self, earlier: bytes, note: bytes, cp: Checkpoint) -> NoReturn:
        self._halt(
            "split_view",
            f"the log signed two different roots for size {cp.size}",
            evidence=SplitViewEvidence(earlier, note).to_dict(),
        )

    # -- fetching and appending --------------------------------------------------------------
    def _fetch_page(self, note: bytes, cp: Checkpoint) -> int:
        start = self.ledger.size
        records = self.client.records(start, min(self.config.page_size, cp.size - start))
        if not records:
            raise LogUnavailable(f"the log served no records from {start}, its tree has {cp.size}")
        end = start + len(records)
        if end == cp.size:
            self._append(records, note, checkpoint=note)
        else:
            # The page's own root is bound to the signed root by the log's consistency proof.
            proof = self.client.consistency_proof(end, cp.size)

            def check(size: int, root: bytes) -> None:
                verify_consistency(size, cp.size, proof, root, cp.root)

            self._append(records, note, check_root=check)
        self._update(size=self.ledger.size, checkpoint_size=self.ledger.sealed_size)
        return len(records)

    def _append(
        self,
        records: list[bytes],
        note: bytes,
        *,
        checkpoint: bytes | None = None,
        check_root: Callable[[int, bytes], None] | None = None,
    ) -> None:
        start = self.ledger.size
        try:
            self.ledger.append_records(records, check_root=check_root, checkpoint=checkpoint)
        except TamperDetected as exc:
            index = int(exc.details.get("index", start))
            raw = records[index - start] if 0 <= index - start < len(records) else b""
            self._halt(
                "tampered_record",
                exc.message,
                evidence=tampered_record_evidence(index, raw, exc.message, note),
                index=index,
            )
        except LedgerError as exc:
            self._halt(
                "records_do_not_match_checkpoint",
                f"records {start} to {start + len(records) - 1} do not match the signed "
                f"checkpoint: {exc.code}: {exc.message}",
                note=note.decode(errors="replace"),
            )

    # -- alarm and status --------------------------------------------------------------------
    def _halt(
        self, code: str, message: str, *, evidence: dict[str, Any] | None = None, **details: Any
    ) -> NoReturn:
        path = None
        if evidence is not None:
            path = save_evidence(self.config.state_dir / "evidence", self.origin, evidence)
        alarm = {
            "code": code,
            "message": message,
            "evidence": None if path is None else str(path),
            "at_ms": int(time.time() * 1000),
            "size": self.ledger.size,
            **details,
        }
        write_atomically(
            self.config.state_dir / HALT_FILE,
            (json.dumps(alarm, ensure_ascii=False, indent=2) + "\n").encode(),
        )
        log.error(
            "REPLICATION HALTED for %s: %s: %s%s",
            self.origin,
            code,
            message,
            "" if path is None else f" (evidence in {path})",
        )
        self._update(state="halted", halted=alarm)
        raise ReplicationHalted(message, code="replication_halted", cause=code)

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._status.update(changes)
        self._write_status()

    def _write_status(self) -> None:
        with self._lock:
            text = json.dumps(self._status, ensure_ascii=False, indent=2) + "\n"
        path = self.config.state_dir / STATUS_FILE
        temporary = path.with_suffix(".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)


def _error_json(error: LedgerError) -> dict[str, Any]:
    return {"code": error.code, "message": error.message, "at_ms": int(time.time() * 1000)}
