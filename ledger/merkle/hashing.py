"""Leaf and node hashing per RFC 9162 section 2.1.1 (Merkle Tree Hash).

RFC 9162 fixes the tree shape and separates leaves from interior nodes with a one-byte prefix,
which is what gives second-preimage resistance:

    MTH({})       = HASH()
    MTH({d(0)})   = HASH(0x00 || d(0))
    MTH(D[n])     = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   k: largest power of two < n

The hash is SHA-256, the only algorithm the ledger uses. Everything is plain ``bytes``.
"""

from __future__ import annotations

import hashlib
from typing import Final

__all__ = ["EMPTY_ROOT", "HASH_SIZE", "leaf_hash", "node_hash"]

HASH_SIZE: Final = 32
"""Size in bytes of every leaf, node and root hash."""

EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
"""Root of the empty tree: SHA-256 of the empty string, with no prefix."""

_sha256 = hashlib.sha256
_LEAF_PREFIX: Final = b"\x00"
_NODE_PREFIX: Final = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """Hash of one log entry as a leaf: SHA-256(0x00 || data)."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node from its children's hashes: SHA-256(0x01 || left || right)."""
    return _sha256(_NODE_PREFIX + left + right).digest()
