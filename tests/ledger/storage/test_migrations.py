"""The Alembic migrations: a fresh database upgraded to the head is exactly ``schema.metadata``.

Every test gets its own database, once per backend: a SQLite file, an in-memory SQLite
database, and a PostgreSQL database created for the test on 127.0.0.1:5432 (user ``postgres``)
and dropped after it. The PostgreSQL cases are skipped only when that server is unreachable,
and fail instead when ``CARBONLEDGER_TEST_DB=postgresql`` asks for PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import orjson
import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from psycopg import sql
from sqlalchemy import CheckConstraint, Engine, Index, MetaData, func, inspect, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from ledger import queries
from ledger.audit import verify_ledger
from ledger.storage import lookups, migrate, schema
from ledger.storage.engine import make_engine
from tests.builders import TONNE, World, lots

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_URL = "postgresql://postgres@127.0.0.1:5432/{name}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL unreachable at 127.0.0.1:5432 as user postgres: {exc}"
        if os.environ.get("CARBONLEDGER_TEST_DB") == "postgresql":
            pytest.fail(f"CARBONLEDGER_TEST_DB=postgresql, but {reason}")
        pytest.skip(reason)
    name = f"carbonledger_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield PG_URL.format(name=name)
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite-file", "sqlite-memory", "postgresql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database of each backend."""
    if request.param == "sqlite-file":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
    elif request.param == "sqlite-memory":
        url = "sqlite:///:memory:"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def differences(engine: Engine, metadata: MetaData = schema.metadata) -> list[Any]:
    """What autogenerate would change to make the database match ``metadata``."""
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return migrate.current_revision(conn)


def table_names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


class TestUpgrade:
    def test_fresh_database_matches_schema_metadata(self, fresh_engine: Engine) -> None:
        migrate.upgrade(fresh_engine)
        assert differences(fresh_engine) == []
        assert revision(fresh_engine) == migrate.head_revision()

    def test_upgrading_twice_changes_nothing(self, fresh_engine: Engine) -> None:
        migrate.upgrade(fresh_engine)
        migrate.upgrade(fresh_engine)
        assert differences(fresh_engine) == []
        assert revision(fresh_engine) == migrate.head_revision()

    def test_every_check_constraint_is_created(self, fresh_engine: Engine) -> None:
        # compare_metadata does not look at CHECK constraints, so they are compared by name.
        migrate.upgrade(fresh_engine)
        with fresh_engine.connect() as conn:
            db = inspect(conn)
            for table in schema.metadata.sorted_tables:
                got = {c["name"] for c in db.get_check_constraints(table.name)}
                want = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
                assert got == want, f"{table.name}: check constraints {got}, want {want}"

    def test_a_failed_upgrade_leaves_nothing_behind(self, fresh_engine: Engine) -> None:
        with fresh_engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE corrections (x INTEGER)")
        with pytest.raises((OperationalError, ProgrammingError)):
            migrate.upgrade(fresh_engine)
        assert table_names(fresh_engine) == {"corrections"}


class TestExistingDatabases:
    def test_database_made_by_create_all_is_stamped_not_recreated(
        self, fresh_engine: Engine
    ) -> None:
        # Such a database holds exactly the baseline revision's tables, unstamped; the later
        # revisions (new tables, new columns) are then migrated.
        with fresh_engine.begin() as conn:
            command.upgrade(migrate.alembic_config(conn), migrate.BASELINE)
            conn.exec_driver_sql("DROP TABLE alembic_version")
        assert revision(fresh_engine) is None
        migrate.upgrade(fresh_engine)
        assert revision(fresh_engine) == migrate.head_revision()
        assert differences(fresh_engine) == []

    def test_downgrade_to_base_drops_every_table(self, fresh_engine: Engine) -> None:
        migrate.upgrade(fresh_engine)
        with fresh_engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "base")
        assert table_names(fresh_engine) == {"alembic_version"}
        assert revision(fresh_engine) is None


class TestComparison:
    def test_a_missing_index_is_reported(self, fresh_engine: Engine) -> None:
        # The comparison above means something only if it sees what the migration left out.
        migrate.upgrade(fresh_engine)
        wanted = MetaData()
        for table in schema.metadata.sorted_tables:
            table.to_metadata(wanted)
        Index("entries_op", wanted.tables["entries"].c.op)
        (diff,) = differences(fresh_engine, wanted)
        assert diff[0] == "add_index"
        assert diff[1].name == "entries_op"


class TestAccountsClustered:
    """Revision 0006: ``accounts`` without a rowid on SQLite, rows and index kept."""

    ROWS: ClassVar[list[tuple[Any, ...]]] = [
        ("p1", None, "didi", "personal", 5),
        ("alice", "alice", None, "participant", 3),
        ("p0", None, "didi", "personal", 9),
    ]

    @staticmethod
    def accounts_sql(engine: Engine) -> str | None:
        if engine.dialect.name != "sqlite":
            return None
        with engine.connect() as conn:
            sql_text = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'accounts'"
            ).scalar()
        assert isinstance(sql_text, str)
        return sql_text

    def test_a_fresh_database_has_no_rowid_in_accounts(self, fresh_engine: Engine) -> None:
        migrate.upgrade(fresh_engine)
        made = make_engine("sqlite:///:memory:")
        schema.metadata.create_all(made, tables=[schema.accounts])
        assert "WITHOUT ROWID" in (self.accounts_sql(made) or "")
        made.dispose()
        if fresh_engine.dialect.name == "sqlite":
            assert "WITHOUT ROWID" in (self.accounts_sql(fresh_engine) or "")
        assert self.stored(fresh_engine) == []

    def test_upgrading_an_existing_ledger_keeps_its_accounts(self, fresh_engine: Engine) -> None:
        with fresh_engine.begin() as conn:
            command.upgrade(migrate.alembic_config(conn), "0005")
            for row in self.ROWS:
                conn.exec_driver_sql(
                    "INSERT INTO accounts (id, holder, custodian, kind, opened_at) "
                    + (
                        "VALUES (?, ?, ?, ?, ?)"
                        if conn.dialect.paramstyle == "qmark"
                        else "VALUES (%s, %s, %s, %s, %s)"
                    ),
                    row,
                )
        migrate.upgrade(fresh_engine)
        assert differences(fresh_engine) == []
        assert self.stored(fresh_engine) == sorted(self.ROWS)
        if fresh_engine.dialect.name == "sqlite":
            assert "WITHOUT ROWID" in (self.accounts_sql(fresh_engine) or "")
        with fresh_engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0005")
        assert self.stored(fresh_engine) == sorted(self.ROWS)
        if fresh_engine.dialect.name == "sqlite":
            assert "WITHOUT ROWID" not in (self.accounts_sql(fresh_engine) or "")

    @staticmethod
    def stored(engine: Engine) -> list[tuple[Any, ...]]:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, holder, custodian, kind, opened_at FROM accounts ORDER BY id"
            ).all()
            indexes = {i["name"] for i in inspect(conn).get_indexes("accounts")}
        assert indexes == {"accounts_custodian"}
        return [tuple(r) for r in rows]


class TestLeanWriteIndexes:
    """Revision 0007: entries found by (signer, seq); on SQLite ``entries.idx`` is the rowid
    and ``merkle_nodes`` and ``holdings`` are clustered on their keys. Rows are kept."""

    KEPT: ClassVar[list[Any]] = [schema.merkle_nodes, schema.holdings, schema.batches]

    @staticmethod
    def rows(engine: Engine, table: Any, columns: list[str] | None = None) -> list[Any]:
        names = columns or [c.name for c in table.columns]
        keys = ", ".join(c.name for c in table.primary_key)
        with engine.connect() as conn:
            query = f"SELECT {', '.join(names)} FROM {table.name} ORDER BY {keys}"
            return [tuple(r) for r in conn.exec_driver_sql(query)]

    @staticmethod
    def table_sql(engine: Engine, name: str) -> str:
        with engine.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).scalar()
        assert isinstance(found, str)
        return found

    def test_a_ledger_upgraded_from_0006_keeps_its_rows_and_verifies(self, world: World) -> None:
        batch = world.issue(5 * TONNE)
        moved = {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 2 * TONNE)}
        world.accept("owner", "transfer", moved)
        retired = {
            "account": "alice",
            "lots": lots(batch, TONNE),
            "beneficiary": {"name": "Alice"},
            "purpose": "personal",
            "jurisdiction": "CN-GD",
        }
        world.accept("alice", "retire", retired)
        world.close()
        engine = make_engine(world.url)
        entry_columns = [c.name for c in schema.entries.columns if c.name != "seq"]
        entries = self.rows(engine, schema.entries, entry_columns)
        kept = {table.name: self.rows(engine, table) for table in self.KEPT}
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0006")
        assert self.rows(engine, schema.entries, entry_columns) == entries
        assert {table.name: self.rows(engine, table) for table in self.KEPT} == kept
        if engine.dialect.name == "sqlite":
            assert "WITHOUT ROWID" not in self.table_sql(engine, "holdings")
            assert "idx BIGINT" in self.table_sql(engine, "entries")

        migrate.upgrade(engine)
        assert differences(engine) == []
        assert self.rows(engine, schema.entries, entry_columns) == entries
        assert {table.name: self.rows(engine, table) for table in self.KEPT} == kept
        seqs = self.rows(engine, schema.entries, ["signer", "seq", "record"])
        for signer, seq, record in seqs:
            payload = orjson.loads(record)["entry"]["payload"]
            assert (signer, seq) == (payload["signer"], payload["seq"])
        if engine.dialect.name == "sqlite":
            assert "WITHOUT ROWID" in self.table_sql(engine, "holdings")
            assert "WITHOUT ROWID" in self.table_sql(engine, "merkle_nodes")
            assert "idx INTEGER" in self.table_sql(engine, "entries")
        engine.dispose()
        report = verify_ledger(world.url)
        assert report.entries == len(entries)


class TestLookupTables:
    """Revision 0008: a signer's entries and an account's transfers in tables filled behind
    the log, in place of three indexes. Existing rows are copied and the mark set past them."""

    INDEXES: ClassVar[set[str]] = {"entries_signer_seq", "transfers_from", "transfers_to"}

    @staticmethod
    def indexes(engine: Engine) -> set[str]:
        with engine.connect() as conn:
            found = inspect(conn)
            names = [i["name"] for t in ("entries", "transfers") for i in found.get_indexes(t)]
        return {name for name in names if name is not None}

    def test_a_ledger_upgraded_from_0007_has_every_row_below_the_mark(self, world: World) -> None:
        batch = world.issue(5 * TONNE)
        for sender, receiver in [("owner", "alice"), ("alice", "bob")]:
            body = {"from_account": sender, "to_account": receiver, "lots": lots(batch, TONNE)}
            world.accept(sender, "transfer", body)
        size = world.ledger.size
        world.close()
        engine = make_engine(world.url)
        history = queries.history(engine, "alice")
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0007")
        assert self.indexes(engine) >= self.INDEXES
        assert not {"signer_entries", "account_transfers"} & table_names(engine)

        migrate.upgrade(engine)
        assert differences(engine) == []
        assert not self.INDEXES & self.indexes(engine)
        with engine.connect() as conn:
            assert lookups.marked(conn) == size
            assert lookups.mismatch(conn) is None
            signed = conn.execute(select(func.count()).select_from(schema.signer_entries))
            assert signed.scalar() == size
        assert queries.history(engine, "alice") == history
        engine.dispose()
        assert verify_ledger(world.url).entries == size

    def test_an_empty_database_gets_no_mark(self, fresh_engine: Engine) -> None:
        migrate.upgrade(fresh_engine)
        with fresh_engine.connect() as conn:
            assert conn.execute(select(schema.meta)).first() is None
            assert lookups.marked(conn) == 0
