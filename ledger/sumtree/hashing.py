"""Hashing of a Merkle sum tree: salted leaves carrying a balance, nodes carrying two sums.

A leaf commits to one account's balance::

    leaf.hash = SHA-256(0x00 || "carbonledger/balances/v1\\n" || salt || u64be(balance) || account)
    leaf.sum  = balance

and an interior node to both children, each with its own sum (committing to the two sums
separately, not only to their total, closes the sum-shifting flaw of the first Merkle sum tree
designs)::

    node.hash = SHA-256(0x01 || left.hash || u64be(left.sum) || right.hash || u64be(right.sum))
    node.sum  = left.sum + right.sum

Every sum is an integer in ``[0, MAX_SUM]``: balances are never negative, and the bound keeps a
parent's sum inside 64 bits. The salt of an account is ``HMAC-SHA-256(seed, account)`` under a
secret seed drawn for each tree, so a leaf hash given to someone else as a sibling reveals
neither the account nor lets anyone test guesses of it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
DOMAIN = b"carbonledger/balances/v1\n"
SALT_DOMAIN = b"carbonledger/balance-salt/v1\n"
SALT_SIZE = 32
SEED_SIZE = 32
MAX_SUM = 2**62
"""Largest sum any leaf or node may carry: two of them still add up inside a signed 64 bits."""


@dataclass(frozen=True, slots=True)
class Node:
    """A node of a sum tree: its hash and the sum of the balances under it."""

    hash: bytes
    sum: int


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def check_sum(value: int, what: str) -> None:
    """Raise ValueError unless ``0 <= value <= MAX_SUM``."""
    if not 0 <= value <= MAX_SUM:
        raise ValueError(f"{what} {value} is outside [0, {MAX_SUM}]")


def leaf_node(account: str, balance: int, salt: bytes) -> Node:
    """The leaf of ``account`` holding ``balance`` grams.

    Requires 0 <= balance <= MAX_SUM and a SALT_SIZE-byte salt.
    """
    check_sum(balance, "balance")
    if len(salt) != SALT_SIZE:
        raise ValueError(f"wrong salt size {len(salt)}, want {SALT_SIZE}")
    digest = hashlib.sha256(LEAF_PREFIX + DOMAIN + salt + _u64(balance) + account.encode()).digest()
    return Node(digest, balance)


def combine(left: Node, right: Node) -> Node:
    """The parent of ``left`` and ``right``. Requires their sum to be at most MAX_SUM."""
    total = left.sum + right.sum
    check_sum(total, "node sum")
    digest = hashlib.sha256(
        NODE_PREFIX + left.hash + _u64(left.sum) + right.hash + _u64(right.sum)
    ).digest()
    return Node(digest, total)


def salt_for(seed: bytes, account: str) -> bytes:
    """The salt of ``account`` in the tree drawn with ``seed``: HMAC-SHA-256(seed, account)."""
    return hmac.new(seed, SALT_DOMAIN + account.encode(), hashlib.sha256).digest()
