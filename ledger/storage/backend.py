"""The database behind ledger state: loading one record by key, writing a group of changes.

``DatabaseBackend`` implements ``ledger.state.Backend`` over one SQLAlchemy connection held by
the single writer (the sequencer, or ``verify`` replaying into a scratch database). Changes
from a whole group of entries are written with one executemany per table and statement kind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from ledger.records import Range
from ledger.state import ROWS, Change, Table
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
        # Sorted here, not by ORDER BY: SQLite would then walk the batch's primary key (all its
        # holdings, thousands for a bulk batch) instead of the (account, batch, status) index.
        self._sql[Table.HELD] = (
            f"SELECT serial_start, serial_end FROM holdings WHERE account = {mark} "
            f"AND batch = {mark} AND status = 'held'"
        )
        self._sql[Table.ORIGIN] = (
            f"SELECT id FROM batches WHERE program = {mark} AND origin_ref = {mark}"
        )
        self._sql[Table.PROJECT_PERIODS] = (
            f"SELECT vintage_start, vintage_end, id FROM batches WHERE project = {mark} "
            "AND kind = 'project' ORDER BY vintage_start"
        )
        self._sql[Table.PERSONAL_PROJECT] = (
            f"SELECT 1 FROM batches WHERE project = {mark} AND kind = 'personal' LIMIT 1"
        )
        self._sql[Table.ACCOUNT_BATCHES] = (
            f"SELECT DISTINCT batch FROM holdings WHERE account = {mark} AND status = 'held'"
        )
        self._sql[Table.EVIDENCE] = f"SELECT idx FROM evidence_digests WHERE digest = {mark}"
        self._sql[Table.POINTS] = (
            f"SELECT points FROM points_balances WHERE account = {mark} AND issuer = {mark}"
        )
        self._sql[Table.CONTRIBUTIONS] = (
            "SELECT account, quantity FROM aggregation_contributions "
            f"WHERE aggregation = {mark} ORDER BY position"
        )
        # load_many: (SELECT of the key column and the value columns, key column name)
        self._many: dict[Table, tuple[str, str]] = {
            Table.EVIDENCE: ("SELECT digest, idx FROM evidence_digests", "digest"),
            Table.NONCE: ("SELECT participant, last_seq FROM nonces", "participant"),
        }
        for table in (Table.ACCOUNT, Table.BATCH, Table.METHODOLOGY, Table.PARTICIPANT):
            sql_table = MAPPINGS[table].table
            (key_column,) = [c.name for c in sql_table.primary_key]
            names = ", ".join(self._columns[table])
            self._many[table] = (f"SELECT {key_column}, {names} FROM {sql_table.name}", key_column)
        self._mark = mark
        self._texts: dict[int, str] = {}  # statements by length: n placeholders, -n held pairs
        # Tables whose record takes the row's values as they are, in column order.
        self._positional = {
            table
            for table, mapping in MAPPINGS.items()
            if not mapping.into
            and [f.name if f.name != "index" else "idx" for f in fields(mapping.record)]
            == self._columns[table]
        }

    def load(self, table: Table, key: Any) -> Any:
        conn = self.connection
        if not conn.in_transaction():
            conn.begin()
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self._sql[table], key if isinstance(key, tuple) else (key,))
            if table is Table.HELD:
                return tuple(sorted(tuple(r) for r in cursor.fetchall())) or None
            if table in (Table.PROJECT_PERIODS, Table.CONTRIBUTIONS):
                rows = cursor.fetchall()
                return tuple(tuple(r) for r in rows) or None
            if table is Table.ACCOUNT_BATCHES:
                return tuple(r[0] for r in cursor.fetchall())
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

    def load_many(self, table: Table, keys: Sequence[Any]) -> dict[Any, Any]:
        """The records of ``keys`` that exist: one query per ``MANY_CHUNK`` keys for the tables
        groups and bulk entries look up (accounts, batches, participants, methodologies,
        sequence numbers, evidence digests)."""
        if table is Table.HELD:
            return self._load_held(keys)
        if table not in self._many:
            found = {key: self.load(table, key) for key in keys}
            return {key: value for key, value in found.items() if value is not None}
        select, key_column = self._many[table]
        conn = self.connection
        if not conn.in_transaction():
            conn.begin()
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        out: dict[Any, Any] = {}
        try:
            for i in range(0, len(keys), MANY_CHUNK):
                chunk = _padded(list(keys[i : i + MANY_CHUNK]), MANY_CHUNK)
                cursor.execute(f"{select} WHERE {key_column} IN ({self._marks(len(chunk))})", chunk)
                for row in cursor.fetchall():
                    out[row[0]] = self._value(table, row[1:])
        finally:
            cursor.close()
        return out

    def count_in_custody(self, accounts: Sequence[str], custodian: str) -> int:
        """How many of ``accounts`` (distinct ids) are personal accounts kept by ``custodian``:
        one counting query per chunk, no row fetched."""
        conn = self.connection
        if not conn.in_transaction():
            conn.begin()
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        mark = self._mark
        count = 0
        try:
            for i in range(0, len(accounts), MANY_CHUNK):
                chunk = _padded(list(accounts[i : i + MANY_CHUNK]), MANY_CHUNK)
                cursor.execute(
                    f"SELECT count(*) FROM accounts WHERE kind = 'personal' AND custodian = {mark} "
                    f"AND id IN ({self._marks(len(chunk))})",
                    [custodian, *chunk],
                )
                row = cursor.fetchone()
                assert row is not None, "a count is one row"
                count += int(row[0])
        finally:
            cursor.close()
        return count

    def _load_held(self, keys: Sequence[tuple[str, str]]) -> dict[Any, Any]:
        """Held ranges of many (account, batch) pairs: an OR of index lookups per chunk."""
        keys = list(dict.fromkeys(keys))  # a row must be collected once
        conn = self.connection
        if not conn.in_transaction():
            conn.begin()
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        found: dict[Any, set[tuple[int, int]]] = defaultdict(set)  # a range once, however found
        try:
            for i in range(0, len(keys), HELD_CHUNK):
                chunk = _padded(keys[i : i + HELD_CHUNK], HELD_CHUNK)
                cursor.execute(self._held_sql(len(chunk)), [v for key in chunk for v in key])
                for account, batch, start, end in cursor.fetchall():
                    found[(account, batch)].add((start, end))
        finally:
            cursor.close()
        return {key: tuple(sorted(ranges)) for key, ranges in found.items()}

    def _marks(self, n: int) -> str:
        """``n`` placeholders, comma-separated."""
        text = self._texts.get(n)
        if text is None:
            text = self._texts[n] = ", ".join([self._mark] * n)
        return text

    def _held_sql(self, n: int) -> str:
        """The held ranges of ``n`` (account, batch) pairs."""
        text = self._texts.get(-n)
        if text is None:
            term = f"(account = {self._mark} AND batch = {self._mark})"
            text = self._texts[-n] = (
                "SELECT account, batch, serial_start, serial_end FROM holdings "
                f"WHERE status = 'held' AND ({' OR '.join([term] * n)})"
            )
        return text

    def _value(self, table: Table, values: Sequence[Any]) -> Any:
        if table in self._positional:
            return MAPPINGS[table].record(*values)
        if table in MAPPINGS:
            return MAPPINGS[table].from_row(dict(zip(self._columns[table], values, strict=True)))
        return values[0]


def _padded(keys: list[Any], limit: int) -> list[Any]:
    """``keys`` with the last one repeated up to the next power of two (at most ``limit``): a
    statement then has one of a few lengths, which the driver keeps prepared instead of
    parsing every group's anew. A key twice matches the same rows once."""
    size = min(1 << (len(keys) - 1).bit_length(), limit)
    return keys + keys[-1:] * (size - len(keys))


MANY_CHUNK = 5000
"""Keys per query of ``load_many``: far below SQLite's limit of 32,766 parameters."""
HELD_CHUNK = 250
"""(account, batch) pairs per query of held ranges: an OR of index lookups."""


def write_changes(conn: Connection, changes: Iterable[Change]) -> None:
    """Write every change of a group; holdings' deletions go before their insertions."""
    inserts: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    updates: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    # Rows of mapped records, by table and the columns that changed: only those are set, so
    # an index over columns that did not change is left alone (SQLite rewrites an index
    # entry whenever an UPDATE sets one of its columns, even to the same value).
    changed: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
    deletes: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    # holdings rows as tuples: (batch, serial_start) to delete, every column to insert
    holding_deletes: list[tuple[str, int]] = []
    holding_inserts: list[tuple[Any, ...]] = []
    bulk: list[tuple[Table, list[tuple[Any, ...]]]] = []
    for change in changes:
        table, key, before, after = change.table, change.key, change.before, change.after
        if key is ROWS:
            bulk.append((table, after))
        elif table is Table.HELD:
            _held_diff(key, before or (), after or (), holding_deletes, holding_inserts)
        elif table is Table.HOLDING:
            if before is not None:
                holding_deletes.append(key)
            if after is not None:
                h = after
                holding_inserts.append(
                    (h.batch, h.serial_start, h.serial_end, h.account, h.status, h.ref)
                )
        elif table is Table.NONCE:
            row = {"participant": key, "last_seq": after}
            (inserts if before is None else updates)[table].append(row)
        elif table is Table.PROGRAM_ROLES:
            row = {"program": key[0], "participant": key[1], "roles": " ".join(sorted(after))}
            (inserts if before is None else updates)[table].append(row)
        elif table is Table.POINTS:
            row = {"account": key[0], "issuer": key[1], "points": after}
            if before is None:
                inserts[table].append(row)
            elif after is None:
                deletes[table].append(row)
            else:
                updates[table].append(row)
        elif before is None:
            inserts[table].append(MAPPINGS[table].to_row(after))
        elif after is None:
            deletes[table].append(MAPPINGS[table].to_row(before))
        else:
            columns, row = MAPPINGS[table].changed_row(before, after)
            if columns:
                changed[(table, columns)].append(row)

    # Bulk rows go first: later changes of the same group may update or delete them.
    for table, values in bulk:
        insert_tuples(conn, _ROW_TABLES[table], values)
    if holding_deletes:
        if conn.dialect.paramstyle == "qmark":
            _delete_values(conn, "holdings", ["batch", "serial_start"], holding_deletes)
        else:
            conn.exec_driver_sql(
                "DELETE FROM holdings WHERE batch = %s AND serial_start = %s", holding_deletes
            )
    if holding_inserts:
        insert_tuples(conn, schema.holdings, holding_inserts)
    for kind, groups in (("insert", inserts), ("update", updates), ("delete", deletes)):
        for table, rows in groups.items():
            execute_many(conn, kind, _sql_table(table), rows)
    for (table, columns), rows in changed.items():
        execute_many(conn, "update", MAPPINGS[table].table, rows, columns)


_STATEMENTS: dict[tuple[str, str, str, tuple[str, ...] | None], tuple[str, list[str]]] = {}


def execute_many(
    conn: Connection,
    kind: str,
    table: Any,
    rows: list[dict[str, Any]],
    columns: tuple[str, ...] | None = None,
) -> None:
    """INSERT, UPDATE (by primary key) or DELETE (by primary key) ``rows`` in one executemany;
    an UPDATE sets ``columns``, or every column that is not part of the key.

    Prepared SQL straight to the driver: the rows are plain values already, and SQLAlchemy's
    per-row parameter processing would cost more than the database's work.
    """
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cache_key = (kind, table.name, mark, columns)
    if cache_key not in _STATEMENTS:
        keys = [c.name for c in table.primary_key]
        others = [c.name for c in table.columns if c.name not in keys]
        if columns is not None:
            others = [name for name in others if name in columns]
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
    values = [pick(row) for row in rows] if len(names) > 1 else [(pick(row),) for row in rows]
    if mark != "?":
        conn.exec_driver_sql(sql, values)
    elif kind == "insert":
        _insert_values(conn, table.name, names, values)
    elif kind == "update":
        count = len(table.primary_key)  # the key's columns come last in an UPDATE's names
        _update_values(conn, table.name, names[:-count], names[-count:], values)
    else:
        _delete_values(conn, table.name, names, values)


def insert_tuples(conn: Connection, table: Any, rows: list[tuple[Any, ...]]) -> None:
    """INSERT ``rows``, each a tuple of values in ``table``'s column order, in one executemany."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    names = [c.name for c in table.columns]
    if mark == "?":
        _insert_values(conn, table.name, names, rows)
        return
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})",
        rows,
    )


def _sql_table(table: Table) -> Any:
    if table is Table.NONCE:
        return schema.nonces
    if table is Table.PROGRAM_ROLES:
        return schema.program_roles
    if table is Table.POINTS:
        return schema.points_balances
    return MAPPINGS[table].table


_ROW_TABLES: dict[Table, Any] = {
    Table.HELD: schema.holdings,
    Table.EVIDENCE: schema.evidence_digests,
    Table.CONTRIBUTIONS: schema.aggregation_contributions,
    Table.REVENUE_SHARES: schema.revenue_shares,
}
"""Where the rows of ``State.insert_rows`` go."""


def _held_diff(
    key: tuple[str, str],
    before: tuple[Range, ...],
    after: tuple[Range, ...],
    deletes: list[tuple[str, int]],
    inserts: list[tuple[Any, ...]],
) -> None:
    """The holdings rows to delete and insert to turn ``key``'s held ranges from ``before``
    into ``after`` (rows in the column order of ``schema.holdings``)."""
    account, batch = key
    old, new = set(before), set(after)
    for start, _end in old - new:
        deletes.append((batch, start))
    for start, end in new - old:
        inserts.append((batch, start, end, account, "held", None))


VALUES_ROWS = 200
"""Rows per multi-row statement on SQLite (at most 32,766 parameters per statement)."""
_VALUES_SQL: dict[tuple[str, str, tuple[str, ...], int], str] = {}

# Many rows per statement on SQLite. One statement works on many rows in one call into SQLite,
# which runs without the interpreter lock for the whole statement: an ``executemany`` takes
# the lock back after every row, and the sequencer's writer thread would wait for it behind
# the thread applying the next group (``Ledger.begin``) once per row.


def _insert_values(
    conn: Connection, table: str, names: list[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT ``rows`` (values in the order of ``names``) into a SQLite table."""

    def sql(n: int) -> str:
        row = f"({', '.join('?' * len(names))})"
        return f"INSERT INTO {table} ({', '.join(names)}) VALUES {', '.join([row] * n)}"

    _many_rows(conn, ("insert", table, tuple(names)), sql, rows)


def _update_values(
    conn: Connection,
    table: str,
    columns: list[str],
    keys: list[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """UPDATE ``columns`` of the SQLite rows found by ``keys``; each row of ``rows`` holds
    the new values of ``columns``, then the key's (a join with a VALUES list)."""
    sets = ", ".join(f"{name} = v.column{i + 1}" for i, name in enumerate(columns))
    where = " AND ".join(
        f"{table}.{key} = v.column{len(columns) + i + 1}" for i, key in enumerate(keys)
    )

    def sql(n: int) -> str:
        row = f"({', '.join('?' * (len(columns) + len(keys)))})"
        return f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([row] * n)}) AS v WHERE {where}"

    _many_rows(conn, ("update", table, (*columns, *keys)), sql, rows)


def _delete_values(
    conn: Connection, table: str, keys: list[str], rows: Sequence[Sequence[Any]]
) -> None:
    """DELETE the SQLite rows whose ``keys`` hold the values of ``rows`` (an OR of primary-key
    lookups: SQLite does not search a key of several columns for a list of row values)."""
    term = f"({' AND '.join(f'{key} = ?' for key in keys)})"

    def sql(n: int) -> str:
        return f"DELETE FROM {table} WHERE {' OR '.join([term] * n)}"

    _many_rows(conn, ("delete", table, tuple(keys)), sql, rows)


def _many_rows(
    conn: Connection,
    kind: tuple[str, str, tuple[str, ...]],
    sql: Callable[[int], str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Run ``sql(n)``, a statement for ``n`` rows, on ``rows`` ``VALUES_ROWS`` at a time."""
    if not rows:
        return
    if not conn.in_transaction():
        conn.begin()
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(rows), VALUES_ROWS):
            chunk = rows[start : start + VALUES_ROWS]
            key = (*kind, len(chunk))
            text = _VALUES_SQL.get(key)
            if text is None:
                text = _VALUES_SQL[key] = sql(len(chunk))
            cursor.execute(text, [value for values in chunk for value in values])
    finally:
        cursor.close()
