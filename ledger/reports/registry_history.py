"""What the registry looked like at any log index, rebuilt from the log's own entries.

A regulator's audit must not trust the state tables of the copy it reads (another program may
have built them, or someone may have edited them), so the facts an issuance depended on are
read back from the entries: which participants held a program's verifier role
(``set_program_role``), each methodology's status (``register_methodology``,
``set_methodology_status``) and every participant key with the indexes between which it was
live (the ``keys`` table, whose rows the replay also checks).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypeVar

import orjson
from sqlalchemy import Connection, select

from ledger.storage import lookups, schema

T = TypeVar("T")
HISTORY_OPS = ("set_program_role", "register_methodology", "set_methodology_status")


@dataclass(frozen=True, slots=True)
class LiveKey:
    participant: str
    public_key: bytes
    added_at: int
    revoked_at: int | None

    def live_at(self, index: int) -> bool:
        """Whether the key could sign entry ``index``: added before it, not yet revoked."""
        return self.added_at < index and (self.revoked_at is None or index <= self.revoked_at)


@dataclass
class RegistryHistory:
    """Program roles and methodology statuses as changes over log indexes."""

    roles: dict[tuple[str, str, str], list[tuple[int, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    """(program, participant, role) -> [(index, granted)] in index order."""
    statuses: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    """methodology id -> [(index, status)] in index order, from its registration on."""
    keys: dict[str, LiveKey] = field(default_factory=dict)

    def had_role(self, program: str, participant: str, role: str, index: int) -> bool:
        """Whether ``participant`` held ``role`` in ``program`` when entry ``index`` applied."""
        changes = self.roles.get((program, participant, role), [])
        position = _changes_before(changes, index)
        return position > 0 and changes[position - 1][1]

    def status_at(self, methodology: str, index: int) -> str | None:
        """The methodology's status when entry ``index`` applied; None if not yet registered."""
        changes = self.statuses.get(methodology, [])
        position = _changes_before(changes, index)
        return changes[position - 1][1] if position else None


def _changes_before(changes: list[tuple[int, T]], index: int) -> int:
    """How many of ``changes`` (in index order) were made before entry ``index``."""
    return bisect_left(changes, index, key=lambda change: change[0])


def load_history(conn: Connection) -> RegistryHistory:
    """Read every role grant, methodology status change and key from the copy."""
    history = RegistryHistory()
    e, k, p = schema.entries, schema.keys, schema.programs
    # Only a program's administrator may make these entries, so they are found by signer
    # (ledger.storage.lookups). Should a tampered copy name another administrator, its real
    # entries are missed and the batches are flagged: the error is on the side of too many flags.
    administrators = select(p.c.administrator).distinct()
    rows = conn.execute(
        select(e.c.idx, e.c.record)
        .where(e.c.idx.in_(lookups.entry_ids_signed_by(administrators)), e.c.op.in_(HISTORY_OPS))
        .order_by(e.c.idx)
    )
    for index, record in rows:
        try:
            payload = orjson.loads(record)["entry"]["payload"]
            op, body = payload["op"], payload["body"]
            if op == "set_program_role":
                key = (body["program"], body["participant"], body["role"])
                history.roles[key].append((index, bool(body.get("granted", True))))
            elif op == "register_methodology":
                mid = f"{body['code']}:{body['version']}"
                history.statuses[mid].append((index, str(body.get("status", "active"))))
            else:
                history.statuses[body["methodology"]].append((index, str(body["status"])))
        except (orjson.JSONDecodeError, KeyError, TypeError):
            continue  # an unreadable record grants nothing; its batches are flagged instead
    for row in conn.execute(select(k)):
        history.keys[row.key_id] = LiveKey(
            row.participant, bytes(row.public_key), row.added_at, row.revoked_at
        )
    return history
