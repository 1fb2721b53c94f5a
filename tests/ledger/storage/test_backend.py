"""Loading state records from the database: one by one, and many in one query."""

from __future__ import annotations

from ledger.state import Table
from ledger.storage.backend import HELD_CHUNK, DatabaseBackend
from tests.builders import World, lots


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
