"""Public anchoring of the ledger's checkpoints on an EVM chain.

``CheckpointAnchor.sol`` records each log's checkpoints (tree size and RFC 9162 root) and any
split view, and verifies RFC 9162 inclusion proofs on chain; ``client`` is its Python client,
``errors`` the anchoring errors, ``reverts`` their decoding from contract reverts, ``devnode``
a local anvil for tests and benchmarks, ``inprocess`` the embedded eth-tester chain kept in a
journal, ``prove`` the end-to-end proof of an entry, and ``compile`` builds ``build/*.json``
with the pinned solc-js. ``CreditToken1155.sol`` is a per-credit ERC-1155 baseline for gas
comparisons only.
"""

from __future__ import annotations

from contracts.client import (
    AnchorClient,
    AnchoredCheckpoint,
    AnchorReceipt,
    AnchorStatus,
    AnchorTransaction,
    LogInfo,
    load_artefact,
    log_id,
)

__all__ = [
    "AnchorClient",
    "AnchorReceipt",
    "AnchorStatus",
    "AnchorTransaction",
    "AnchoredCheckpoint",
    "LogInfo",
    "load_artefact",
    "log_id",
]
