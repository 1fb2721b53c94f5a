"""RFC 9162 (Certificate Transparency v2) section 2.1 Merkle trees for the ledger's log.

``hashing`` holds leaf and node hashing (2.1.1), ``compact`` the O(log n) right frontier the
sequencer appends to, ``proofs`` builds inclusion (2.1.3.1) and consistency (2.1.4.1) proofs from
stored perfect-subtree nodes, and ``verify`` checks them (2.1.3.2, 2.1.4.2).
"""

from __future__ import annotations

from ledger.merkle.compact import CompactRange, NodeId, range_nodes
from ledger.merkle.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from ledger.merkle.proofs import (
    NodeFetcher,
    ProofNodes,
    consistency_nodes,
    consistency_proof,
    inclusion_nodes,
    inclusion_proof,
)
from ledger.merkle.verify import (
    root_from_consistency_proof,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "NodeFetcher",
    "NodeId",
    "ProofNodes",
    "consistency_nodes",
    "consistency_proof",
    "inclusion_nodes",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "range_nodes",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]
