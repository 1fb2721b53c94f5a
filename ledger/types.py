"""Identifier types that must not be mixed up, and small shared value types."""

from __future__ import annotations

from typing import NewType

LogIndex = NewType("LogIndex", int)
"""Zero-based position of an entry in the log."""

TreeSize = NewType("TreeSize", int)
"""Number of leaves in a Merkle tree."""

ParticipantId = NewType("ParticipantId", str)
AccountId = NewType("AccountId", str)
ProgramCode = NewType("ProgramCode", str)
ProjectId = NewType("ProjectId", str)
BatchId = NewType("BatchId", str)
KeyId = NewType("KeyId", str)

Grams = int
"""Amounts are whole grams of CO2e. Never a float."""

GRAMS_PER_TONNE = 1_000_000
