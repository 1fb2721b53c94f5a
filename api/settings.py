"""What one API process needs to know: its database, whether it holds the writer, the limits.

A process either holds the single writer (``log_signer`` given: it opens the ledger and commits
submissions in groups) or forwards writes to the process that does (``writer_url``); a process
with neither serves reads only and answers writes with ``writer_unavailable``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.cosignature import CosignatureVerifier
from ledger.errors import InvalidInput
from ledger.note import NoteSigner
from ledger.storage.engine import DEFAULT_URL
from node.writer import MAX_GROUP, MAX_GROUP_BYTES

MIB = 1 << 20


@dataclass(frozen=True, slots=True)
class WitnessConfig:
    """A witness the log trusts: its cosignature verifier key and, if the sequencer is to ask
    it for cosignatures (C2SP tlog-witness), the URL prefix of its add-checkpoint endpoint."""

    vkey: str
    url: str | None = None

    @classmethod
    def parse(cls, text: str) -> WitnessConfig:
        """``"<vkey>"`` or ``"<vkey> <url>"``; InvalidInput if the key is not a witness key."""
        vkey, _, url = text.strip().partition(" ")
        config = cls(vkey, url.strip() or None)
        config.verifier()
        return config

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier.from_vkey(self.vkey)

    def __str__(self) -> str:
        return self.vkey if self.url is None else f"{self.vkey} {self.url}"


@dataclass(frozen=True, slots=True)
class Settings:
    """Settings of one API process; ``check`` states what a valid combination is."""

    db: str = DEFAULT_URL
    """Database URL: ``sqlite:///FILE`` or ``postgresql://...``."""
    log_signer: NoteSigner | None = field(default=None, repr=False)
    """The log's checkpoint key: given only to the process that holds the writer."""
    writer_url: str | None = None
    """Base URL of the writer to forward writes to (a worker that does not hold the writer)."""
    seal_every: int = 1000
    """Seal a checkpoint once this many entries are unsealed."""
    seal_ms: int = 1000
    """Seal a partial batch this many milliseconds after its first entry; 0: by count only."""
    max_group: int = MAX_GROUP
    """Entries the writer gathers into one group commit (one request is never split)."""
    max_group_bytes: int = MAX_GROUP_BYTES
    """Bytes of entries the writer gathers into one group commit (one request is never split)."""
    max_bulk_entries: int = 10_000
    """Lines of one bulk request."""
    max_entry_bytes: int = MIB
    """Bytes of one entry (a single submission's body, or one bulk line)."""
    max_bulk_bytes: int = 64 * MIB
    """Bytes of one bulk request."""
    witnesses: tuple[WitnessConfig, ...] = ()
    """Witnesses whose cosignatures are accepted (and, with a URL, requested after each seal)."""
    request_max_age_s: int = 300
    """Signed read requests older (or newer) than this many seconds are refused as stale."""
    fast_path: bool = True
    """Answer the hottest requests (a single entry, an inclusion proof, a holding) on
    ``api.fastpath``: the same answers, less CPU. False: every request goes through its route."""

    def check(self) -> None:
        """Raise InvalidInput unless the settings make sense together."""
        if self.log_signer is not None and self.writer_url is not None:
            raise InvalidInput("a process holds the writer or forwards to one, not both")
        for name in (
            "seal_every",
            "max_group",
            "max_group_bytes",
            "max_bulk_entries",
            "max_entry_bytes",
        ):
            if getattr(self, name) < 1:
                raise InvalidInput(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.seal_ms < 0:
            raise InvalidInput(f"seal_ms must be 0 or more, got {self.seal_ms}")
        if self.max_bulk_bytes < self.max_entry_bytes:
            raise InvalidInput("max_bulk_bytes must be at least max_entry_bytes")
        if self.request_max_age_s < 1:
            raise InvalidInput("request_max_age_s must be at least 1")

    @property
    def holds_writer(self) -> bool:
        return self.log_signer is not None
