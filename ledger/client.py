"""Building signed entries on the client side: a participant's identity and its sequence.

A ``Identity`` holds a participant id and one of its signing keys. ``sign`` makes the entry
bytes for an operation, with optional co-signers (the verifier of an issuance, the authority of
an ecological-compensation case, the bank of a pledge).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.entry import build_entry
from ledger.keys import SigningKey, key_id


@dataclass
class Identity:
    """A participant able to sign entries; ``seq`` is the last sequence number it used."""

    participant: str
    key: SigningKey
    seq: int = 0
    key_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.key_id = key_id(self.key.verifying_key.to_bytes())

    @classmethod
    def generate(cls, participant: str) -> Identity:
        return cls(participant, SigningKey.generate())

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.key.verifying_key.to_bytes()).decode()

    def sign(
        self,
        ledger: str,
        op: str,
        body: dict[str, Any],
        cosigners: Sequence[Identity] = (),
        *,
        seq: int | None = None,
    ) -> bytes:
        """Entry bytes for ``op``; uses the next sequence number unless ``seq`` is given."""
        if seq is None:
            self.seq += 1
            seq = self.seq
        keys = [(who.participant, who.key_id, who.key) for who in (self, *cosigners)]
        return build_entry(ledger, op, self.participant, seq, body, keys)
