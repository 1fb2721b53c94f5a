"""Hot reads on a connection per thread, with statements compiled once.

A read through ``ledger.queries`` pays SQLAlchemy's per-statement machinery (building the
statement, its cache key, the execution context, the result wrapper): about 60 µs a statement
here, against about 25 µs for SQLite itself. ``HotReads`` keeps one DB-API connection per
thread of its own small pool, in autocommit (a read holds no transaction open between
requests), and runs statements built with the schema's SQLAlchemy Core tables, compiled once for
the engine's dialect. It serves the few reads a loaded API answers most (``api.fastpath``);
everything else goes through ``ledger.queries``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import ClauseElement, Engine, and_, bindparam, func, or_, select
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.sql.compiler import SQLCompiler

from api.auth import KeyRow
from ledger.merkle import proofs
from ledger.merkle.compact import range_nodes
from ledger.merkle.hashing import EMPTY_ROOT, node_hash
from ledger.merkle.proofs import NodeId
from ledger.storage import schema

T = TypeVar("T")
NODE_CACHE_LEVEL = 8
"""Nodes of this level and above (subtrees of 256 entries or more) are kept in memory once
read: about 2 per 256 entries, so an inclusion proof reads only its lower nodes."""
NODE_CACHE_MAX = 200_000
"""At most this many cached nodes (a log of 25 million entries); beyond, they are read."""
THREADS = 4
"""Threads (and connections) for hot reads: SQLite releases the GIL while it reads, and a
PostgreSQL read waits on the network, so a few overlap; more would only contend."""


class Declined(Exception):
    """The hot read cannot answer this request exactly as the full route would (a missing
    row, a value out of range): the caller hands the request to the full route."""


@dataclass(frozen=True, slots=True)
class Statement:
    """SQL compiled for one dialect, the order of its parameters if they are positional, and
    the values of the parameters the statement fixes itself (a literal ``limit(1)``)."""

    sql: str
    positions: tuple[str, ...] | None
    fixed: dict[str, Any]

    @classmethod
    def compile(cls, statement: ClauseElement, engine: Engine) -> Statement:
        compiled = statement.compile(dialect=engine.dialect)
        assert isinstance(compiled, SQLCompiler)
        positions = compiled.positiontup if compiled.positional else None
        fixed = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        return cls(compiled.string, None if positions is None else tuple(positions), fixed)

    def params(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        if self.fixed:
            values = {**self.fixed, **values}
        if self.positions is None:
            return values
        return [values[name] for name in self.positions]


class Connection:
    """One thread's DB-API connection, and the statements compiled for its engine."""

    def __init__(
        self,
        engine: Engine,
        statements: dict[object, Statement],
        node_cache: dict[NodeId, bytes] | None = None,
    ) -> None:
        self._engine = engine
        self._statements = statements
        self.node_cache: dict[NodeId, bytes] = {} if node_cache is None else node_cache
        """Stored Merkle nodes of the upper levels, shared by the threads: a stored node is
        the hash of a complete subtree and never changes."""
        proxied = engine.raw_connection()
        proxied.detach()  # owned by this thread until closed, never returned to the pool
        dbapi = proxied.dbapi_connection
        assert dbapi is not None
        engine.dialect.set_isolation_level(dbapi, "AUTOCOMMIT")
        self._proxied = proxied
        self.dbapi: DBAPIConnection = dbapi

    def rows(
        self, key: object, build: Callable[[], ClauseElement], values: Mapping[str, Any]
    ) -> list[Any]:
        """The rows of the statement ``build()`` makes (compiled once per ``key``)."""
        statement = self._statements.get(key)
        if statement is None:
            statement = Statement.compile(build(), self._engine)
            self._statements[key] = statement
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(statement.sql, statement.params(values))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def close(self) -> None:
        self._proxied.close()


class HotReads:
    """A few threads, each with its own connection to ``engine``, for the hottest reads."""

    def __init__(self, engine: Engine, threads: int = THREADS) -> None:
        self._engine = engine
        self._statements: dict[object, Statement] = {}
        self._nodes: dict[NodeId, bytes] = {}
        self._local = threading.local()
        self._opened: list[Connection] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="hot-read")
        self._inline = engine.url.get_backend_name() == "sqlite"
        """SQLite answers a hot read from its page cache in well under a millisecond: on the
        event loop's thread that costs less than the hop to a worker thread and back. A
        PostgreSQL read waits on the network, so it goes to a thread."""
        self.errors: tuple[type[Exception], ...] = (engine.dialect.loaded_dbapi.Error,)
        """What a failed statement raises (the driver's base error)."""

    @staticmethod
    def supported(engine: Engine) -> bool:
        """Whether a connection of its own sees ``engine``'s database (not an in-memory one)."""
        return engine.url.get_backend_name() != "sqlite" or engine.url.database not in (
            None,
            "",
            ":memory:",
        )

    async def run(self, work: Callable[[Connection], T]) -> T:
        """``work(connection)`` on a hot-read thread (or the loop's own, for SQLite); a
        connection that failed is replaced."""
        if self._inline:
            return self._call(work)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, work)

    def _call(self, work: Callable[[Connection], T]) -> T:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = Connection(self._engine, self._statements, self._nodes)
            with self._lock:
                self._opened.append(conn)
            self._local.conn = conn
        try:
            return work(conn)
        except self.errors:
            self._local.conn = None
            with self._lock:
                self._opened.remove(conn)
            conn.close()
            raise

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()


# -- the reads ------------------------------------------------------------------------------------
def log_size(conn: Connection) -> int:
    """Entries in the log (one past the highest index)."""
    (row,) = conn.rows("log_size", lambda: select(func.max(schema.entries.c.idx)), {})
    return 0 if row[0] is None else int(row[0]) + 1


def inclusion_proof(conn: Connection, index: int, size: int) -> dict[str, Any]:
    """``index``, ``size``, ``proof`` (hashes) and ``root`` of entry ``index`` in the tree of
    ``size``, as ``ledger.queries.inclusion_proof`` finds them. Declined unless
    0 <= index < size <= the log's size and a ledger is there."""
    if not 0 <= index < size or size > log_size(conn):
        raise Declined
    path = proofs.inclusion_proof(index, size, lambda ids: nodes(conn, ids))
    return {"index": index, "size": size, "proof": path, "root": root(conn, size)}


def nodes(conn: Connection, ids: Sequence[NodeId]) -> list[bytes]:
    """The stored Merkle nodes ``ids``, in order (one indexed query for those not cached);
    declined if any is missing (the full route names them)."""
    if not ids:
        return []
    cache = conn.node_cache
    found = {node: cache[node] for node in ids if node in cache}
    wanted = [node for node in dict.fromkeys(ids) if node not in found]
    if wanted:
        values: dict[str, int] = {}
        for i, (level, idx) in enumerate(wanted):
            values[f"l{i}"], values[f"i{i}"] = level, idx
        rows = conn.rows(("nodes", len(wanted)), _nodes_query(len(wanted)), values)
        for level, idx, stored in rows:
            node, digest = (int(level), int(idx)), bytes(stored)
            found[node] = digest
            if node[0] >= NODE_CACHE_LEVEL and len(cache) < NODE_CACHE_MAX:
                cache[node] = digest
    if len(found) != len(set(ids)):
        raise Declined
    return [found[i] for i in ids]


@cache
def _nodes_query(count: int) -> Callable[[], ClauseElement]:
    def build() -> ClauseElement:
        n = schema.merkle_nodes
        # An OR of key equalities: SQLite answers it from the primary key, not a table scan.
        wanted = or_(
            *(
                and_(n.c.level == bindparam(f"l{i}"), n.c.idx == bindparam(f"i{i}"))
                for i in range(count)
            )
        )
        return select(n.c.level, n.c.idx, n.c.hash).where(wanted)

    return build


def root(conn: Connection, size: int) -> bytes:
    """The root of the first ``size`` entries: the checkpoint's, or from the stored nodes."""
    c = schema.checkpoints
    found = conn.rows(
        "checkpoint_root",
        lambda: select(c.c.root).where(c.c.size == bindparam("size")),
        {"size": size},
    )
    if found:
        return bytes(found[0][0])
    if size == 0:
        return EMPTY_ROOT
    hashes = nodes(conn, range_nodes(0, size))
    digest = hashes[-1]
    for left in reversed(hashes[:-1]):
        digest = node_hash(left, digest)
    return digest


def key(conn: Connection, key_id: str) -> KeyRow | None:
    """A registered signing key, or None."""
    k = schema.keys
    found = conn.rows(
        "key",
        lambda: select(k.c.participant, k.c.public_key, k.c.revoked_at).where(
            k.c.key_id == bindparam("key_id")
        ),
        {"key_id": key_id},
    )
    if not found:
        return None
    participant, public_key, revoked_at = found[0]
    return KeyRow(participant, bytes(public_key), revoked_at)


def account_parties(conn: Connection, account_id: str) -> tuple[str | None, str | None]:
    """The holder and custodian of an account; declined if there is no such account."""
    a = schema.accounts
    found = conn.rows(
        "account",
        lambda: select(a.c.holder, a.c.custodian).where(a.c.id == bindparam("id")),
        {"id": account_id},
    )
    if not found:
        raise Declined
    holder, custodian = found[0]
    return holder, custodian


def administers_a_program(conn: Connection, participant: str) -> bool:
    p = schema.programs
    found = conn.rows(
        "administers",
        lambda: select(p.c.code).where(p.c.administrator == bindparam("participant")).limit(1),
        {"participant": participant},
    )
    return bool(found)


def holdings(
    conn: Connection,
    account_id: str,
    *,
    status: str | None,
    batch: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """One page of ``account_id``'s serial ranges, as ``ledger.queries.holdings`` orders them."""
    values: dict[str, Any] = {"account": account_id, "limit": limit, "offset": offset}
    if status is not None:
        values["status"] = status
    if batch is not None:
        values["batch"] = batch
    rows = conn.rows(
        ("holdings", status is not None, batch is not None),
        lambda: _holdings_query(status is not None, batch is not None),
        values,
    )
    return [
        {
            "batch": batch_id,
            "serial_start": start,
            "serial_end": end,
            "quantity": end - start,
            "status": held_as,
            "ref": ref,
        }
        for batch_id, start, end, held_as, ref in rows
    ]


def _holdings_query(by_status: bool, by_batch: bool) -> ClauseElement:
    h = schema.holdings
    query = (
        select(h.c.batch, h.c.serial_start, h.c.serial_end, h.c.status, h.c.ref)
        .where(h.c.account == bindparam("account"))
        .order_by(h.c.batch, h.c.serial_start)
    )
    if by_status:
        query = query.where(h.c.status == bindparam("status"))
    if by_batch:
        query = query.where(h.c.batch == bindparam("batch"))
    return query.limit(bindparam("limit")).offset(bindparam("offset"))
