"""The database behind ledger state: loading one record by key, writing a group of changes.

``DatabaseBackend`` implements ``ledger.state.Backend`` over one SQLAlchemy connection held by
the single writer (the sequencer, or ``verify`` replaying into a scratch database). Changes
from a whole group of entries are written with one executemany per table and statement kind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, update

from ledger.records import Holding, Range
from ledger.state import Change, Table
from ledger.storage import schema
from ledger.storage.rows import MAPPINGS

_h = schema.holdings


class DatabaseBackend:
    """Reads state records from the database on ``connection``."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._by_pk = {
            table: select(m.table).where(
                and_(*(c == bindparam(f"k{i}") for i, c in enumerate(m.table.primary_key)))
            )
            for table, m in MAPPINGS.items()
        }

    def load(self, table: Table, key: Any) -> Any:
        conn = self.connection
        if table in self._by_pk:
            params = {f"k{i}": k for i, k in enumerate(key if isinstance(key, tuple) else (key,))}
            row = conn.execute(self._by_pk[table], params).mappings().first()
            if row is None:
                return None
            found = MAPPINGS[table].from_row(row)
            if table is Table.HOLDING and found.status == "held":
                return None
            return found
        if table is Table.NONCE:
            return conn.execute(
                select(schema.nonces.c.last_seq).where(schema.nonces.c.participant == key)
            ).scalar()
        if table is Table.PROGRAM_ROLES:
            t = schema.program_roles
            text = conn.execute(
                select(t.c.roles).where(t.c.program == key[0], t.c.participant == key[1])
            ).scalar()
            return None if text is None else frozenset(text.split())
        if table is Table.HELD:
            rows = conn.execute(
                select(_h.c.serial_start, _h.c.serial_end)
                .where(_h.c.account == key[0], _h.c.batch == key[1], _h.c.status == "held")
                .order_by(_h.c.serial_start)
            ).all()
            return tuple((r[0], r[1]) for r in rows) or None
        if table is Table.ORIGIN:
            b = schema.batches
            return conn.execute(
                select(b.c.id).where(b.c.program == key[0], b.c.origin_ref == key[1])
            ).scalar()
        if table is Table.PROJECT_PERIODS:
            b = schema.batches
            rows = conn.execute(
                select(b.c.vintage_start, b.c.vintage_end, b.c.id)
                .where(b.c.project == key)
                .order_by(b.c.vintage_start)
            ).all()
            return tuple((r[0], r[1], r[2]) for r in rows) or None
        raise AssertionError(f"no loader for {table}")


def write_changes(conn: Connection, changes: Iterable[Change]) -> None:
    """Write every change of a group; holdings' deletions go before their insertions."""
    inserts: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    updates: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    deletes: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    holding_deletes: list[dict[str, Any]] = []
    holding_inserts: list[dict[str, Any]] = []
    for change in changes:
        table, key, before, after = change.table, change.key, change.before, change.after
        if table is Table.HELD:
            _held_diff(key, before or (), after or (), holding_deletes, holding_inserts)
        elif table is Table.HOLDING:
            if before is not None:
                holding_deletes.append({"b": key[0], "s": key[1]})
            if after is not None:
                holding_inserts.append(MAPPINGS[table].to_row(after))
        elif table is Table.NONCE:
            row = {"participant": key, "last_seq": after}
            (inserts if before is None else updates)[table].append(row)
        elif table is Table.PROGRAM_ROLES:
            row = {"program": key[0], "participant": key[1], "roles": " ".join(sorted(after))}
            (inserts if before is None else updates)[table].append(row)
        elif before is None:
            inserts[table].append(MAPPINGS[table].to_row(after))
        elif after is None:
            deletes[table].append(MAPPINGS[table].to_row(before))
        else:
            updates[table].append(MAPPINGS[table].to_row(after))

    if holding_deletes:
        conn.execute(
            delete(_h).where(_h.c.batch == bindparam("b"), _h.c.serial_start == bindparam("s")),
            holding_deletes,
        )
    if holding_inserts:
        conn.execute(insert(_h), holding_inserts)
    for table, rows in inserts.items():
        conn.execute(insert(_sql_table(table)), rows)
    for table, rows in updates.items():
        sql = _sql_table(table)
        pk = {c.name for c in sql.primary_key}
        # executemany: the SET clause is every column named in the rows but the keys.
        stmt = update(sql).where(
            and_(*(c == bindparam(f"pk_{c.name}") for c in sql.primary_key))
        )
        conn.execute(
            stmt,
            [{**{k: v for k, v in r.items() if k not in pk}, **{f"pk_{k}": r[k] for k in pk}}
             for r in rows],
        )
    for table, rows in deletes.items():
        sql = _sql_table(table)
        stmt = delete(sql).where(
            and_(*(c == bindparam(f"pk_{c.name}") for c in sql.primary_key))
        )
        conn.execute(stmt, [{f"pk_{c.name}": r[c.name] for c in sql.primary_key} for r in rows])


def _sql_table(table: Table) -> Any:
    if table is Table.NONCE:
        return schema.nonces
    if table is Table.PROGRAM_ROLES:
        return schema.program_roles
    return MAPPINGS[table].table


def _held_diff(
    key: tuple[str, str],
    before: tuple[Range, ...],
    after: tuple[Range, ...],
    deletes: list[dict[str, Any]],
    inserts: list[dict[str, Any]],
) -> None:
    account, batch = key
    old, new = set(before), set(after)
    for start, _end in old - new:
        deletes.append({"b": batch, "s": start})
    for start, end in new - old:
        inserts.append(
            MAPPINGS[Table.HOLDING].to_row(Holding(batch, start, end, account, "held", None))
        )
