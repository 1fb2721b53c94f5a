"""Loading state records from the database: one by one, and many in one query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ledger.state import Table
from ledger.storage import schema
from ledger.storage.backend import (
    HELD_CHUNK,
    MANY_CHUNK,
    VALUES_ROWS,
    DatabaseBackend,
    execute_many,
)
from tests.builders import World, lots
from tests.ledger.personal.scene import PLATFORM, open_accounts


class TestLoadMany:
    def test_held_ranges_of_many_pairs_equal_those_loaded_one_by_one(self, world: World) -> None:
        first = world.issue(1_000, to="alice")
        second = world.issue(500, to="bob")
        for grams in (100, 7, 50):
            world.submit(
                "alice",
                "transfer",
                {"from_account": "alice", "to_account": "bob", "lots": lots(first, grams)},
            )
        # bob gives back a middle piece: bob then holds two ranges of the first batch
        world.submit(
            "bob",
            "transfer",
            {
                "from_account": "bob",
                "to_account": "alice",
                "lots": [{"batch": first, "serial_start": 10, "serial_end": 20}],
            },
        )
        world.submit(
            "bob",
            "transfer",
            {"from_account": "bob", "to_account": "alice", "lots": lots(second, 20)},
        )
        keys = [
            (account, batch)
            for account in ("alice", "bob", "nobody")
            for batch in (first, second, "NO-SUCH-BATCH")
        ] * (HELD_CHUNK // 4)  # repeated keys across several chunks
        with world.ledger.engine.connect() as conn:
            backend = DatabaseBackend(conn)
            many = backend.load_many(Table.HELD, keys)
            one_by_one = {key: backend.load(Table.HELD, key) for key in set(keys)}
        assert many == {key: value for key, value in one_by_one.items() if value is not None}
        assert set(many) == {(a, b) for a in ("alice", "bob") for b in (first, second)}
        assert len(many[("bob", first)]) == 2
        assert sum(end - start for start, end in many[("bob", first)]) == 147

    def test_records_of_any_number_of_keys_equal_those_loaded_one_by_one(
        self, world: World
    ) -> None:
        known = ["owner", "alice", "bob", "bank", "issuer", "verifier", "regulator"]
        with world.ledger.engine.connect() as conn:
            backend = DatabaseBackend(conn)
            for n in (1, 2, 3, 5, 7):
                keys = [*known[:n], "nobody"]  # statements are padded to 2, 4 and 8 keys
                many = backend.load_many(Table.ACCOUNT, keys)
                assert many == {key: backend.load(Table.ACCOUNT, key) for key in known[:n]}


class TestCountInCustody:
    def test_only_personal_accounts_of_the_custodian_count(self, world: World) -> None:
        people = [f"p{i:05d}" for i in range(MANY_CHUNK + 3)]  # more than one query's worth
        open_accounts(world, people)
        world.add_participant("other", ["platform"], kind="platform")
        world.open_account("q1", "other")
        world.issue(1_000, to="alice")  # alice's own (participant) account
        with world.ledger.engine.connect() as conn:
            backend = DatabaseBackend(conn)
            assert backend.count_in_custody(people, PLATFORM) == len(people)
            mixed = [*people[:10], "q1", "ghost", "alice"]
            assert backend.count_in_custody(mixed, PLATFORM) == 10
            assert backend.count_in_custody(mixed, "other") == 1
            assert backend.count_in_custody(["alice"], "alice") == 0


class TestManyRows:
    """Inserts, updates and deletes of many rows: several statements of ``VALUES_ROWS`` rows
    each on SQLite, an executemany on PostgreSQL; the same rows either way."""

    COUNT = 2 * VALUES_ROWS + 37

    def test_rows_inserted_updated_and_deleted_in_chunks(self, world: World) -> None:
        table = schema.points_balances
        rows: list[dict[str, Any]] = [
            {"account": f"acct-{i:04d}", "issuer": "platform", "points": i}
            for i in range(self.COUNT)
        ]
        changed = [{**row, "points": row["points"] * 10} for row in rows[::2]]
        gone = [{"account": r["account"], "issuer": r["issuer"]} for r in rows[1::3]]
        with world.ledger.engine.connect() as conn:
            execute_many(conn, "insert", table, rows)
            execute_many(conn, "update", table, changed, ("points",))
            execute_many(conn, "delete", table, gone)
            conn.commit()
            stored = {
                (account, issuer): points
                for account, issuer, points in conn.execute(
                    select(table.c.account, table.c.issuer, table.c.points)
                )
            }
        want = {(r["account"], r["issuer"]): r["points"] for r in rows}
        want.update({(r["account"], r["issuer"]): r["points"] for r in changed})
        for r in gone:
            del want[(r["account"], r["issuer"])]
        assert stored == want

    def test_an_update_sets_only_the_columns_it_names(self, world: World) -> None:
        batch = world.issue(1_000)
        before = world.row(schema.batches, id=batch)
        assert before is not None
        with world.ledger.engine.connect() as conn:
            execute_many(
                conn,
                "update",
                schema.batches,
                [{"id": batch, "held": 600, "retired": 400, "project": "ELSEWHERE"}],
                ("held", "retired"),
            )
            conn.commit()
        after = world.row(schema.batches, id=batch)
        assert after == {**before, "held": 600, "retired": 400}
