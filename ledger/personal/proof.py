"""The portable balance proof: one person's balance in a platform's committed sum tree.

A proof document (``docs/formats.md``) carries the person's leaf (account, balance, salt), its
path to the root, and the ``commit_balances`` entry that put the root and total in the log,
with that entry's inclusion proof under a checkpoint signed by the log. ``verify_balance_proof``
checks all of it with no database: the path leads to the committed root and total with every
sum in range and the shape its position and leaf count imply; the entry is in the log signed by
the trusted log key; the entry is the platform's commitment to exactly that root, total and
leaf count. The ledger accepted the entry only if the total and the number of accounts were
what it held in the platform's custody (``ledger.ops.commit_balances``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select

from ledger.errors import InvalidInput, NotFound, ProofError, VerificationError
from ledger.merkle.proofs import NodeId, inclusion_proof
from ledger.personal.commitments import LeafPath, committed_tree, latest_commitments, leaf_path
from ledger.storage import schema
from ledger.sumtree import Node, Step, path_ids, verify_path
from ledger.verifier import verify_inclusion_proof

FORMAT = "carbonledger-balance-proof/1"


@dataclass(frozen=True, slots=True)
class ProvenBalance:
    """What a checked balance proof establishes."""

    account: str
    balance: int
    platform: str
    total: int
    leaves: int
    commitment: int
    checkpoint_size: int


def make_balance_proof(
    engine: Engine, account: str, *, commitment: int | None = None
) -> dict[str, Any]:
    """The proof document for ``account`` in the commitment at log index ``commitment``
    (default: its custodian's latest commitment that includes it). The commitment must be
    sealed under a checkpoint. One connection, a handful of indexed queries."""
    with engine.connect() as conn:
        if commitment is None:
            found = _latest_leaf(conn, account)
        else:
            found = leaf_path(conn, committed_tree(conn, commitment), account)
        tree = found.tree
        c, e = schema.checkpoints, schema.entries
        sealed = conn.execute(select(c.c.size, c.c.note).order_by(c.c.size.desc()).limit(1)).first()
        if sealed is None or sealed.size <= tree.size:
            raise NotFound(
                f"the commitment at entry {tree.size} is not under a checkpoint yet",
                code="not_sealed",
            )
        record = bytes(conn.execute(select(e.c.record).where(e.c.idx == tree.size)).scalar_one())
        proof = inclusion_proof(tree.size, sealed.size, lambda ids: _log_nodes(conn, ids))
    return {
        "format": FORMAT,
        "platform": tree.platform,
        "account": account,
        "balance": found.balance,
        "salt": found.salt.hex(),
        "position": found.position,
        "leaves": tree.leaves,
        "path": [
            {"side": step.side, "hash": step.node.hash.hex(), "sum": step.node.sum}
            for step in found.path
        ],
        "root": tree.root.hex(),
        "total": tree.total,
        "commitment": {
            "index": tree.size,
            "record": base64.b64encode(record).decode(),
            "proof": [base64.b64encode(h).decode() for h in proof],
            "checkpoint": bytes(sealed.note).decode(),
        },
    }


def _log_nodes(conn: Connection, ids: Sequence[NodeId]) -> list[bytes]:
    """Stored Merkle nodes of the log, in order: one query, an OR of primary keys."""
    if not ids:
        return []
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    where = " OR ".join([f"(level = {mark} AND idx = {mark})"] * len(ids))
    rows = conn.exec_driver_sql(
        f"SELECT level, idx, hash FROM merkle_nodes WHERE {where}",
        tuple(value for node in ids for value in node),
    ).all()
    found = {(r[0], r[1]): bytes(r[2]) for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"Merkle nodes {missing[:3]} are not stored", code="missing_nodes")
    return [found[i] for i in ids]


def _latest_leaf(conn: Connection, account: str) -> LeafPath:
    a = schema.accounts
    custodian = conn.execute(
        select(a.c.custodian).where(a.c.id == account, a.c.kind == "personal")
    ).scalar()
    if custodian is None:
        raise NotFound(f"no personal account {account!r}", code="unknown_account")
    for index in latest_commitments(conn, custodian):
        try:
            return leaf_path(conn, committed_tree(conn, index), account)
        except NotFound:
            continue
    raise NotFound(
        f"no recent balance commitment of {custodian!r} includes {account!r}",
        code="not_in_commitment",
    )


def verify_balance_proof(document: dict[str, Any], log_vkey: str) -> ProvenBalance:
    """Check a balance proof document against the log's trusted key; raise if it fails."""
    try:
        if document.get("format") != FORMAT:
            raise InvalidInput(f"not a {FORMAT} document", code="bad_balance_proof")
        account = _str(document["account"])
        platform = _str(document["platform"])
        balance, total = _int(document["balance"]), _int(document["total"])
        position, leaves = _int(document["position"]), _int(document["leaves"])
        salt = bytes.fromhex(_str(document["salt"]))
        root = bytes.fromhex(_str(document["root"]))
        path = [
            Step(_side(s["side"]), Node(bytes.fromhex(_str(s["hash"])), _int(s["sum"])))
            for s in document["path"]
        ]
        commitment = document["commitment"]
        index = _int(commitment["index"])
        inclusion = {
            "format": "carbonledger-inclusion/1",
            "index": index,
            "record": _str(commitment["record"]),
            "proof": list(commitment["proof"]),
            "checkpoint": _str(commitment["checkpoint"]),
        }
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise InvalidInput(f"malformed balance proof: {exc}", code="bad_balance_proof") from exc
    try:
        shape = [side for _, _, side in path_ids(position, leaves)]
    except ValueError as exc:
        raise ProofError(str(exc)) from exc
    if shape != [step.side for step in path]:
        raise ProofError(f"the path does not fit leaf {position} of a tree of {leaves} leaves")
    verify_path(account, balance, salt, path, root, total)
    proven = verify_inclusion_proof(inclusion, log_vkey)
    entry = proven.entry
    body = entry.body
    claimed = {"root": root.hex(), "total": total, "leaves": leaves, "as_of": index}
    if entry.op != "commit_balances" or entry.signer != platform:
        raise VerificationError(
            f"entry {index} is {entry.op} by {entry.signer!r}, not {platform!r}'s commitment",
            code="commitment_mismatch",
        )
    if {k: body.get(k) for k in claimed} != claimed:
        raise VerificationError(
            f"entry {index} commits to {body}, the proof to {claimed}",
            code="commitment_mismatch",
        )
    return ProvenBalance(account, balance, platform, total, leaves, index, proven.checkpoint.size)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a string")
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"{value!r} is not an integer")
    return value


def _side(value: Any) -> Any:
    if value not in ("left", "right"):
        raise ValueError(f"side {value!r}, want 'left' or 'right'")
    return value
