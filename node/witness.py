"""A transparency-log witness per C2SP tlog-witness (c2sp.org/tlog-witness): ``add-checkpoint``.

The witness is configured with its cosigning key (``node.witness_key``) and the logs it
witnesses: each log's origin and checkpoint verifier key. For each request it checks, in the
spec's order (``ledger.witness_state.add_checkpoint``): the log's signature (403 if none
verifies, 404 for an unknown origin), the old size against the size it last cosigned (409 with
its size as ``text/x.tlog.size``), then the consistency proof (422). It stores the new
checkpoint durably (``node.witness_store``) before returning its cosignature line (200).

A checkpoint of the size it already cosigned but with another root is a split view: the witness
writes both signed notes as evidence (``node.evidence``), freezes the log and answers 422 to
every later request for it. A proof that does not verify is answered 422 and logged, but
freezes nothing: anyone can send a validly signed checkpoint with a garbage proof.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool

from ledger.cosignature import CosignatureSigner
from ledger.errors import (
    InvalidInput,
    LedgerError,
    NotFound,
    SplitView,
    VerificationError,
    WitnessConflict,
)
from ledger.merkle.verify import verify_consistency
from ledger.note import NoteVerifier, b64encode
from ledger.witness_state import (
    CONFLICT_CONTENT_TYPE,
    AddCheckpointRequest,
    LogState,
    add_checkpoint,
    conflict_body,
    http_status,
)
from ledger.witness_state import Accepted as Cosigned
from node.evidence import save_evidence
from node.witness_store import LogFrozen, WitnessStore

log = logging.getLogger("carbonledger.witness")

MAX_REQUEST_BYTES = 64 * 1024
"""An add-checkpoint body is a few lines: 63 proof hashes and a note with 100 signatures."""


@dataclass(frozen=True)
class WitnessConfig:
    """Who the witness is, which logs it witnesses, and where it keeps its state."""

    signer: CosignatureSigner
    logs: Mapping[str, NoteVerifier]
    """The checkpoint verifier key of each log, by origin."""
    state_dir: Path

    @property
    def evidence_dir(self) -> Path:
        return self.state_dir / "evidence"


def parse_log_option(value: str) -> tuple[str, NoteVerifier]:
    """``[ORIGIN=]VKEY``: a log to witness; the origin defaults to the key's name."""
    origin, sep, vkey = value.partition("=")
    if not sep or "+" in origin:  # '=' inside the vkey's base64 padding, not a separator
        origin, vkey = "", value
    verifier = NoteVerifier.from_vkey(vkey.strip())
    return (origin or verifier.name), verifier


class Witness:
    """The witness's decisions over its durable store; no HTTP here."""

    def __init__(self, config: WitnessConfig) -> None:
        self.config = config
        self.store = WitnessStore(config.state_dir / "witness.db")

    def close(self) -> None:
        self.store.close()

    def add_checkpoint(self, body: bytes, timestamp: int | None = None) -> bytes:
        """Handle an add-checkpoint request body; return the cosignature lines.

        Raises a LedgerError that ``http_status`` (or ``status_of``) maps to the spec's status.
        """
        request = AddCheckpointRequest.parse(body)
        origin = request.claimed_origin()
        log_verifier = self.config.logs.get(origin)
        if log_verifier is None:
            raise NotFound(f"this witness does not witness log {origin!r}", code="unknown_log")
        now = int(time.time()) if timestamp is None else timestamp

        def decide(state: LogState) -> tuple[LogState, Cosigned]:
            accepted = add_checkpoint(
                state, request, log_verifier, self.config.signer, now, verify_consistency
            )
            return accepted.state, accepted

        try:
            accepted = self.store.advance(origin, decide)
        except SplitView as exc:
            path = save_evidence(self.config.evidence_dir, origin, exc.details["evidence"])
            self.store.freeze(origin, exc.message, path)
            log.error("SPLIT VIEW: %s; evidence in %s; log frozen", exc.message, path)
            raise
        except VerificationError as exc:
            log.warning(
                "refused checkpoint for %s (old size %d): %s: %s\n%s",
                origin,
                request.old_size,
                exc.code,
                exc.message,
                request.checkpoint_note.decode(errors="replace"),
            )
            raise
        log.info("cosigned %s at size %d", origin, accepted.checkpoint.size)
        return accepted.response_body()

    def status(self) -> dict[str, Any]:
        """The witness's identity and, per log, its latest cosigned size and any freeze."""
        logs = []
        for origin in sorted(set(self.config.logs) | set(self.store.origins())):
            state = self.store.state(origin)
            frozen = self.store.frozen(origin)
            logs.append(
                {
                    "origin": origin,
                    "size": state.size,
                    "root": b64encode(state.root),
                    "frozen": None
                    if frozen is None
                    else {"reason": frozen.reason, "evidence": frozen.evidence},
                }
            )
        return {
            "name": self.config.signer.name,
            "vkey": self.config.signer.verifier().vkey(),
            "logs": logs,
        }


def status_of(error: LedgerError) -> int:
    """The HTTP status for ``error``: the spec's mapping, and 422 for a frozen log."""
    if isinstance(error, LogFrozen):
        return 422
    return http_status(error)


def create_app(config: WitnessConfig) -> FastAPI:
    """The witness's HTTP application; the store opens with the app and closes with it."""
    holder: dict[str, Witness] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        holder["witness"] = Witness(config)
        try:
            yield
        finally:
            holder.pop("witness").close()

    app = FastAPI(title="carbonledger witness", lifespan=lifespan)

    @app.post("/add-checkpoint")
    async def post_add_checkpoint(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_REQUEST_BYTES:
            return _error(InvalidInput(f"request of {len(body)} bytes, want at most 64 KiB"))
        try:
            lines = await run_in_threadpool(holder["witness"].add_checkpoint, body)
        except LedgerError as exc:
            return _error(exc)
        return Response(lines, media_type="text/plain; charset=utf-8")

    @app.get("/status")
    async def get_status() -> dict[str, Any]:
        return await run_in_threadpool(holder["witness"].status)

    return app


def _error(error: LedgerError) -> Response:
    if isinstance(error, WitnessConflict):
        # Exactly the spec's media type: Starlette would append a charset to a text/* one.
        headers = {"Content-Type": CONFLICT_CONTENT_TYPE}
        return Response(conflict_body(error), status_code=409, headers=headers)
    status = status_of(error)
    return Response(f"{error.code}: {error.message}\n", status_code=status, media_type="text/plain")
