"""Fresh databases for tests, and snapshots of everything a ledger database holds.

``fresh_database`` gives a URL to a new database for one test, holding the ledger schema at the
newest migration and no ledger: a SQLite file in a given directory by default, or, when
``CARBONLEDGER_TEST_DB=postgresql``, a uniquely named PostgreSQL database on 127.0.0.1:5432
(trust authentication, user ``postgres``), created through the ``postgres`` database and dropped
afterwards. Migrating takes a fifth of a second and a PostgreSQL ``CREATE DATABASE`` as long
again, so each database is a copy of a template migrated once per run (a file copy for SQLite,
``CREATE DATABASE ... TEMPLATE`` for PostgreSQL, made by background threads ahead of need).
``tests/ledger/storage/test_migrations.py`` is where migrations of an empty database are tested.

``snapshot`` reads every table of ``ledger.storage.schema`` in primary-key order, so that a test
can show that a rejected entry changed nothing at all.
"""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Dialect, Engine, select

from ledger.storage import schema
from ledger.storage.engine import make_engine
from ledger.storage.migrate import upgrade

DB_ENV = "CARBONLEDGER_TEST_DB"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_ADMIN_DSN = f"{PG_SERVER}/postgres"
PG_PREFETCH = 3
"""PostgreSQL test databases kept ready ahead of the tests that will use them."""

Snapshot = dict[str, list[tuple[Any, ...]]]
"""Table name to its rows, in primary-key order."""


def database_kind() -> str:
    """``sqlite`` or ``postgresql``, from the environment."""
    kind = os.environ.get(DB_ENV, "sqlite") or "sqlite"
    if kind not in ("sqlite", "postgresql"):
        raise ValueError(f"{DB_ENV}={kind!r}, want 'sqlite' or 'postgresql'")
    return kind


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """The URL of a new database with no ledger in it, removed when the block ends."""
    if database_kind() == "sqlite":
        path = directory / "ledger.db"
        shutil.copyfile(_sqlite_template(), path)
        yield f"sqlite:///{path}"
        return
    name = _postgres().acquire()
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        _postgres().release(name)


class PostgresDatabases:
    """Uniquely named PostgreSQL databases, copied from a template migrated once.

    Worker threads create the next databases ahead of need; another thread drops used ones.
    PostgreSQL 15 takes a checkpoint for every DROP DATABASE, which can queue up behind a busy
    server: ``close`` (end of session, or exit) does not wait for it, but hands whatever is
    left, template last, to a detached process that drops it after the tests have finished.
    """

    def __init__(self, prefetch: int = PG_PREFETCH, workers: int = 2) -> None:
        self._prefetch = prefetch
        self._run = f"carbonledger_test_{uuid.uuid4().hex[:12]}"
        self._creator = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="test-db-create")
        self._lock = threading.Lock()
        self._template: str | None = None
        self._ready: deque[Future[str]] = deque()
        self._count = 0
        self._used: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._dropping: str | None = None
        self._undropped: list[str] = []
        self._closing = threading.Event()
        self._dropper = threading.Thread(target=self._drop_used, name="test-db-drop", daemon=True)
        self._dropper.start()

    def acquire(self) -> str:
        """The name of a new database for one test."""
        with self._lock:
            if self._template is None:
                self._template = self._make_template()
            while len(self._ready) <= self._prefetch:
                self._ready.append(self._creator.submit(self._create, self._next_name()))
            ready = self._ready.popleft()
        return ready.result()

    def release(self, name: str) -> None:
        """Drop ``name`` soon, in the background; a connection left open is closed by force."""
        self._used.put(name)

    def close(self) -> None:
        """Stop, and have every database still here dropped by a detached process."""
        self._closing.set()
        self._used.put("")  # wakes the dropper
        self._creator.shutdown(wait=True)
        with self._lock:
            left = [f.result() for f in self._ready if f.exception() is None]
            self._ready.clear()
            template, self._template = self._template, None
        left += self._undropped
        dropping = self._dropping
        if dropping is not None:
            left.append(dropping)  # perhaps half done; dropping again is harmless
        while True:
            try:
                name = self._used.get_nowait()
            except queue.Empty:
                break
            if name:
                left.append(name)
        if template is not None:
            left.append(template)
        if left:
            subprocess.Popen(
                [sys.executable, "-c", _DROP_ALL, PG_ADMIN_DSN, *left],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

    def _drop_used(self) -> None:
        while not self._closing.is_set():
            name = self._used.get()
            if not name or self._closing.is_set():
                if name:
                    self._used.put(name)  # left for the detached process
                return
            self._dropping = name
            try:
                _drop(name)
            except psycopg.Error:
                self._undropped.append(name)  # tried again by the detached process
            self._dropping = None

    def _next_name(self) -> str:
        self._count += 1
        return f"{self._run}_{self._count}"

    def _make_template(self) -> str:
        name = f"{self._run}_template"
        _execute("CREATE DATABASE {}", name)
        engine = make_engine(f"{PG_SERVER}/{name}")
        try:
            upgrade(engine)
        finally:
            engine.dispose()  # a template must have no open connection when it is copied
        return name

    def _create(self, name: str) -> str:
        assert self._template is not None
        _execute("CREATE DATABASE {} TEMPLATE {}", name, self._template)
        return name


_DROP_ALL = """
import sys
import psycopg
from psycopg import sql
with psycopg.connect(sys.argv[1], autocommit=True) as admin:
    for name in sys.argv[2:]:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
"""
"""Drops the databases named on its command line (run detached, after the tests)."""


def _execute(statement: str, *names: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(sql.SQL(statement).format(*(sql.Identifier(n) for n in names)))


def _drop(name: str) -> None:
    # FORCE: a test that failed half-way may have left a connection open.
    _execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


_sqlite_file: Path | None = None
_sqlite_lock = threading.Lock()


def _sqlite_template() -> Path:
    """A migrated SQLite database file, made once per process and removed at exit."""
    global _sqlite_file
    with _sqlite_lock:
        if _sqlite_file is None:
            directory = Path(tempfile.mkdtemp(prefix="carbonledger-test-template-"))
            atexit.register(shutil.rmtree, directory, ignore_errors=True)
            path = directory / "template.db"
            engine = make_engine(f"sqlite:///{path}")
            try:
                upgrade(engine)
            finally:
                engine.dispose()
            # Fold the write-ahead log into the file, so that copying the file copies it all.
            with sqlite3.connect(path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            _sqlite_file = path
        return _sqlite_file


_factory: PostgresDatabases | None = None
_factory_lock = threading.Lock()


def close_databases() -> None:
    """Drop every PostgreSQL database this process still holds (end of the test session)."""
    global _factory
    with _factory_lock:
        factory, _factory = _factory, None
    if factory is not None:
        atexit.unregister(factory.close)
        factory.close()


def _postgres() -> PostgresDatabases:
    global _factory
    with _factory_lock:
        if _factory is None:
            _factory = PostgresDatabases()
            atexit.register(_factory.close)
        return _factory


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every ledger table, each table ordered by its primary key."""
    queries = _snapshot_queries(engine.dialect)
    with engine.connect() as conn:
        # Through the driver's cursor: a snapshot is taken around every rejection in the suite.
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            taken: Snapshot = {}
            for name, query in queries:
                cursor.execute(query)
                taken[name] = [tuple(row) for row in cursor.fetchall()]
            return taken
        finally:
            cursor.close()
            conn.rollback()


_queries: dict[str, list[tuple[str, str]]] = {}


def _snapshot_queries(dialect: Dialect) -> list[tuple[str, str]]:
    """(table name, SQL selecting all its rows in primary-key order) for every ledger table."""
    if dialect.name not in _queries:
        _queries[dialect.name] = [
            (
                table.name,
                str(select(table).order_by(*table.primary_key.columns).compile(dialect=dialect)),
            )
            for table in schema.metadata.sorted_tables
        ]
    return _queries[dialect.name]


def changed_tables(before: Snapshot, after: Snapshot) -> list[str]:
    """Names of the tables whose rows differ between two snapshots."""
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
