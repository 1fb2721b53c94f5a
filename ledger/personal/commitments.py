"""The sum trees behind balance commitments: built from the ledger, stored, and served as proofs.

``build_tree`` reads a platform's balances in one snapshot (``ledger.personal.balances``),
draws a secret seed, orders the leaves by their salt (a keyed pseudo-random order, so a
person's neighbours in the tree are nobody in particular) with a bounded-memory sort, builds
the tree leaf by leaf and stores it: every leaf (account and balance; salts are re-derived from
the seed) and every node from ``STORED_FROM`` up. ``leaf_path`` serves the path of one account
from the stored tree: the leaf's bucket of ``2**STORED_FROM`` leaves is re-hashed, the siblings
above come from one indexed query. The tree describes balances as of log size ``size``; it is
what the platform signs in ``commit_balances``, which must then be the entry at that index.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select

from ledger.errors import NotFound, RuleViolation
from ledger.personal.balances import log_size, platform_balances, snapshot
from ledger.personal.extsort import external_sort
from ledger.storage import schema
from ledger.sumtree import (
    STORED_FROM,
    Node,
    Step,
    TreeBuilder,
    build_levels,
    leaf_node,
    path_ids,
    salt_for,
)
from ledger.sumtree.hashing import SEED_SIZE

INSERT_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class StoredTree:
    """A sum tree kept in the database: a platform's balances as of log size ``size``."""

    id: int
    platform: str
    size: int
    root: bytes
    total: int
    leaves: int
    seed: bytes


@dataclass(frozen=True, slots=True)
class LeafPath:
    """One account's leaf in a stored tree and the path from it to the root."""

    tree: StoredTree
    account: str
    balance: int
    salt: bytes
    position: int
    path: list[Step]


def build_tree(engine: Engine, platform: str, *, chunk: int = 250_000) -> StoredTree:
    """Build and store the sum tree of ``platform``'s balances as of the current log size.

    Memory is bounded by ``chunk`` leaves whatever the number of accounts. Raises
    RuleViolation ``nothing_to_commit`` if the platform keeps no personal account.
    """
    seed = os.urandom(SEED_SIZE)
    with snapshot(engine) as conn:
        size = log_size(conn)
        count = conn.execute(
            select(func.count())
            .select_from(schema.accounts)
            .where(schema.accounts.c.custodian == platform, schema.accounts.c.kind == "personal")
        ).scalar_one()
        if not count:
            raise RuleViolation(
                f"{platform!r} keeps no personal account to commit to", code="nothing_to_commit"
            )
        salted = (
            (salt_for(seed, account).hex(), account, grams)
            for account, grams in platform_balances(conn, platform)
        )
        ordered = external_sort(salted, _salted, chunk=chunk)
        # WAL (SQLite) and MVCC (PostgreSQL) let this snapshot stay open while the tree is written.
        return _store(engine, platform, size, seed, count, ordered)


def _salted(fields: list[str]) -> tuple[str, str, int]:
    return fields[0], fields[1], int(fields[2])


def _store(
    engine: Engine,
    platform: str,
    size: int,
    seed: bytes,
    count: int,
    ordered: Iterator[tuple[Any, ...]],
) -> StoredTree:
    nodes: list[dict[str, object]] = []
    with engine.begin() as conn:
        tree_id = (conn.execute(select(func.max(schema.balance_trees.c.id))).scalar() or 0) + 1
        builder = TreeBuilder(
            count,
            lambda level, idx, node: nodes.append(
                {"tree": tree_id, "level": level, "idx": idx, "hash": node.hash, "sum": node.sum}
            ),
        )
        leaves: list[dict[str, object]] = []
        for position, (salt_hex, account, grams) in enumerate(ordered):
            builder.add(leaf_node(account, grams, bytes.fromhex(salt_hex)))
            leaves.append(
                {"tree": tree_id, "position": position, "account": account, "balance": grams}
            )
            if len(leaves) >= INSERT_ROWS:
                conn.execute(insert(schema.balance_tree_leaves), leaves)
                leaves = []
        if leaves:
            conn.execute(insert(schema.balance_tree_leaves), leaves)
        root = builder.root()
        if nodes:
            conn.execute(insert(schema.balance_tree_nodes), nodes)
        tree = StoredTree(tree_id, platform, size, root.hash, root.sum, count, seed)
        conn.execute(
            insert(schema.balance_trees),
            {
                "id": tree.id,
                "root": tree.root,
                "platform": platform,
                "size": size,
                "leaves": tree.leaves,
                "total": tree.total,
                "seed": seed,
                "created_ms": int(time.time() * 1000),
            },
        )
    return tree


def discard_tree(engine: Engine, tree_id: int) -> None:
    """Delete a stored tree whose commitment was refused."""
    with engine.begin() as conn:
        for table in (schema.balance_tree_nodes, schema.balance_tree_leaves):
            conn.execute(delete(table).where(table.c.tree == tree_id))
        conn.execute(delete(schema.balance_trees).where(schema.balance_trees.c.id == tree_id))


def committed_tree(conn: Connection, index: int) -> StoredTree:
    """The stored tree of the balance commitment at log index ``index``."""
    c, t = schema.balance_commitments, schema.balance_trees
    row = conn.execute(
        select(t).join(c, (c.c.root == t.c.root) & (c.c.idx == t.c.size)).where(c.c.idx == index)
    ).first()
    if row is None:
        raise NotFound(
            f"no stored sum tree for a balance commitment at entry {index}",
            code="unknown_commitment",
        )
    return StoredTree(
        row.id, row.platform, row.size, bytes(row.root), row.total, row.leaves, bytes(row.seed)
    )


def latest_commitments(conn: Connection, platform: str, limit: int = 16) -> list[int]:
    """Log indexes of ``platform``'s latest balance commitments, newest first."""
    c = schema.balance_commitments
    query = select(c.c.idx).where(c.c.platform == platform).order_by(c.c.idx.desc()).limit(limit)
    return [int(i) for i in conn.execute(query).scalars()]


def leaf_path(conn: Connection, tree: StoredTree, account: str) -> LeafPath:
    """The path of ``account``'s leaf in ``tree``: one lookup, one bucket, one node query."""
    lv = schema.balance_tree_leaves
    found = conn.execute(
        select(lv.c.position, lv.c.balance).where(lv.c.tree == tree.id, lv.c.account == account)
    ).first()
    if found is None:
        raise NotFound(
            f"account {account!r} is not in the tree of the commitment at entry {tree.size}",
            code="not_in_commitment",
        )
    position = int(found.position)
    first = position >> STORED_FROM << STORED_FROM
    bucket = conn.execute(
        select(lv.c.account, lv.c.balance)
        .where(lv.c.tree == tree.id, lv.c.position.between(first, first + (1 << STORED_FROM) - 1))
        .order_by(lv.c.position)
    ).all()
    low = build_levels([leaf_node(a, b, salt_for(tree.seed, a)) for a, b in bucket])
    ids = path_ids(position, tree.leaves)
    stored = _nodes(conn, tree.id, [(level, idx) for level, idx, _ in ids if level >= STORED_FROM])
    path = []
    for level, idx, side in ids:
        low_level = level < STORED_FROM
        node = low[level][idx - (first >> level)] if low_level else stored[level, idx]
        path.append(Step(side, node))
    return LeafPath(tree, account, int(found.balance), salt_for(tree.seed, account), position, path)


def _nodes(conn: Connection, tree: int, ids: list[tuple[int, int]]) -> dict[tuple[int, int], Node]:
    if not ids:
        return {}
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    # An OR of whole primary keys: each term one index lookup, on SQLite and PostgreSQL alike.
    where = " OR ".join([f"(tree = {mark} AND level = {mark} AND idx = {mark})"] * len(ids))
    params = [value for level, idx in ids for value in (tree, level, idx)]
    rows = conn.exec_driver_sql(
        f"SELECT level, idx, hash, sum FROM balance_tree_nodes WHERE {where}", tuple(params)
    ).all()
    found = {(r[0], r[1]): Node(bytes(r[2]), int(r[3])) for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"sum tree nodes {missing[:3]} are not stored", code="missing_nodes")
    return found
