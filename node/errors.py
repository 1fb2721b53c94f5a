"""Errors of the ledger's processes, in the ledger's hierarchy, each with a stable code."""

from __future__ import annotations

from ledger.errors import LedgerError, VerificationError


class WitnessUnavailable(LedgerError):
    """A witness could not be reached, or answered something that is not the protocol."""

    code = "witness_unavailable"


class WitnessRefused(LedgerError):
    """A witness answered add-checkpoint with an error status; ``status`` is the HTTP status."""

    code = "witness_refused"

    def __init__(self, witness: str, status: int, text: str) -> None:
        super().__init__(
            f"witness {witness} refused the checkpoint: HTTP {status}: {text.strip()[:500]}",
            witness=witness,
            status=status,
        )
        self.status = status


class LogUnavailable(LedgerError):
    """The log's HTTP API could not be reached or answered an unexpected status."""

    code = "log_unavailable"


class ReplicationHalted(VerificationError):
    """A follower found something that does not verify and stopped replicating."""

    code = "replication_halted"
