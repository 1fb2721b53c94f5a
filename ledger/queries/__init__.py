"""Read-only queries over a ledger database, shared by the command line and the HTTP API.

Every function takes a SQLAlchemy ``Engine``, reads through one short connection and returns
frozen dataclasses of plain values; ``as_json`` turns any result into JSON-ready data (hashes,
kept as ``bytes`` inside, become hex there). Amounts are integer grams CO2e and money integer fen
(0.01 CNY), never floats; ``format_tonnes`` and ``format_cny`` print them exactly. Lists come in
a stable order and are paged by ``limit`` (1 to ``MAX_LIMIT``) and ``offset`` (0 or more). A
missing record raises ``NotFound`` with a stable code.

One module per subject: ``log`` (entries, checkpoints, sequence numbers), ``proofs``,
``registry`` (participants, programs, methodologies, projects, accounts), ``credits`` (batches,
supply, holdings), ``history`` and ``uses`` (retirements, cancellations, pledges, trades). Import
from this package: ``from ledger import queries; queries.batches(engine)``.
"""

from __future__ import annotations

from ledger.queries.credits import (
    Balance,
    BatchView,
    HoldingView,
    Supply,
    balances,
    batch,
    batches,
    holdings,
    supply,
)
from ledger.queries.formatting import as_json, format_cny, format_tonnes, trade_value_fen
from ledger.queries.history import HistoryItem, history
from ledger.queries.log import (
    CheckpointView,
    EntryRecord,
    EntryView,
    LedgerInfo,
    checkpoint,
    checkpoints,
    entries,
    entry,
    ledger_info,
    next_seq,
)
from ledger.queries.proofs import (
    ConsistencyProof,
    InclusionProof,
    consistency_proof,
    inclusion_proof,
)
from ledger.queries.registry import (
    AccountView,
    KeyView,
    MethodologyView,
    ParticipantView,
    ProgramView,
    ProjectView,
    account,
    accounts,
    methodologies,
    methodology,
    participant,
    participants,
    program,
    programs,
    project,
    projects,
)
from ledger.queries.rows import DEFAULT_LIMIT, MAX_LIMIT
from ledger.queries.uses import (
    CancellationView,
    PledgeView,
    RetirementView,
    TradeView,
    cancellation,
    cancellations,
    pledge,
    pledges,
    retirement,
    retirements,
    trades,
)

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "AccountView",
    "Balance",
    "BatchView",
    "CancellationView",
    "CheckpointView",
    "ConsistencyProof",
    "EntryRecord",
    "EntryView",
    "HistoryItem",
    "HoldingView",
    "InclusionProof",
    "KeyView",
    "LedgerInfo",
    "MethodologyView",
    "ParticipantView",
    "PledgeView",
    "ProgramView",
    "ProjectView",
    "RetirementView",
    "Supply",
    "TradeView",
    "account",
    "accounts",
    "as_json",
    "balances",
    "batch",
    "batches",
    "cancellation",
    "cancellations",
    "checkpoint",
    "checkpoints",
    "consistency_proof",
    "entries",
    "entry",
    "format_cny",
    "format_tonnes",
    "history",
    "holdings",
    "inclusion_proof",
    "ledger_info",
    "methodologies",
    "methodology",
    "next_seq",
    "participant",
    "participants",
    "pledge",
    "pledges",
    "program",
    "programs",
    "project",
    "projects",
    "retirement",
    "retirements",
    "supply",
    "trade_value_fen",
    "trades",
]
