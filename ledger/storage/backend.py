"""The database behind ledger state: loading one record by key, writing a group of changes.

``DatabaseBackend`` implements ``ledger.state.Backend`` over one SQLAlchemy connection held by
the single writer (the sequencer, or ``verify`` replaying into a scratch database). Changes
from a whole group of entries are written with one executemany per table and statement kind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from ledger.records import Holding, Range
from ledger.state import Change, Table
from ledger.storage import schema
from ledger.storage.rows import MAPPINGS


class DatabaseBackend:
    """Reads state records from the database on ``connection``.

    Loads are the hot path of the sequencer (several per entry on a cache miss), so they run as
    prepared SQL on the DBAPI cursor of the same connection, inside its transaction.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        self._sql: dict[Table, str] = {}
        self._columns: dict[Table, list[str]] = {}
        for table, mapping in MAPPINGS.items():
            sql_table = mapping.table
            columns = [c.name for c in sql_table.columns]
            where = " AND ".join(f"{c.name} = {mark}" for c in sql_table.primary_key)
            self._sql[table] = f"SELECT {', '.join(columns)} FROM {sql_table.name} WHERE {where}"
            self._columns[table] = columns
        self._sql[Table.HOLDING] += " AND status <> 'held'"
        self._sql[Table.NONCE] = f"SELECT last_seq FROM nonces WHERE participant = {mark}"
        self._sql[Table.PROGRAM_ROLES] = (
            f"SELECT roles FROM program_roles WHERE program = {mark} AND participant = {mark}"
        )
        self._sql[Table.HELD] = (
            f"SELECT serial_start, serial_end FROM holdings WHERE account = {mark} "
            f"AND batch = {mark} AND status = 'held' ORDER BY serial_start"
        )
        self._sql[Table.ORIGIN] = (
            f"SELECT id FROM batches WHERE program = {mark} AND origin_ref = {mark}"
        )
        self._sql[Table.PROJECT_PERIODS] = (
            f"SELECT vintage_start, vintage_end, id FROM batches WHERE project = {mark} "
            "ORDER BY vintage_start"
        )

    def load(self, table: Table, key: Any) -> Any:
        conn = self.connection
        if not conn.in_transaction():
            conn.begin()
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self._sql[table], key if isinstance(key, tuple) else (key,))
            if table in (Table.HELD, Table.PROJECT_PERIODS):
                rows = cursor.fetchall()
                return tuple(tuple(r) for r in rows) or None
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        if table in MAPPINGS:
            return MAPPINGS[table].from_row(dict(zip(self._columns[table], row, strict=True)))
        if table is Table.PROGRAM_ROLES:
            return frozenset(row[0].split())
        return row[0]


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
                holding_deletes.append({"batch": key[0], "serial_start": key[1]})
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
        execute_many(conn, "delete", schema.holdings, holding_deletes)
    if holding_inserts:
        execute_many(conn, "insert", schema.holdings, holding_inserts)
    for kind, groups in (("insert", inserts), ("update", updates), ("delete", deletes)):
        for table, rows in groups.items():
            execute_many(conn, kind, _sql_table(table), rows)


_STATEMENTS: dict[tuple[str, str, str], tuple[str, list[str]]] = {}


def execute_many(conn: Connection, kind: str, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT, UPDATE (by primary key) or DELETE (by primary key) ``rows`` in one executemany.

    Prepared SQL straight to the driver: the rows are plain values already, and SQLAlchemy's
    per-row parameter processing would cost more than the database's work.
    """
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cache_key = (kind, table.name, mark)
    if cache_key not in _STATEMENTS:
        keys = [c.name for c in table.primary_key]
        others = [c.name for c in table.columns if c.name not in keys]
        where = " AND ".join(f"{k} = {mark}" for k in keys)
        if kind == "insert":
            names = [c.name for c in table.columns]
            sql = (
                f"INSERT INTO {table.name} ({', '.join(names)}) "
                f"VALUES ({', '.join([mark] * len(names))})"
            )
        elif kind == "update":
            names = others + keys
            sql = (
                f"UPDATE {table.name} SET {', '.join(f'{o} = {mark}' for o in others)} "
                f"WHERE {where}"
            )
        else:
            names = keys
            sql = f"DELETE FROM {table.name} WHERE {where}"
        _STATEMENTS[cache_key] = (sql, names)
    sql, names = _STATEMENTS[cache_key]
    pick = itemgetter(*names)
    conn.exec_driver_sql(
        sql, [pick(row) for row in rows] if len(names) > 1 else [(pick(row),) for row in rows]
    )


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
        deletes.append({"batch": batch, "serial_start": start})
    for start, end in new - old:
        inserts.append(
            MAPPINGS[Table.HOLDING].to_row(Holding(batch, start, end, account, "held", None))
        )
