"""A signer's entries and an account's transfers, read from the lookup tables below the mark
and from the log's tail above it: the same answers wherever the mark stands."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, delete, insert, select

from ledger import queries
from ledger.audit import verify_ledger
from ledger.errors import TamperDetected
from ledger.log import Accepted, Outcome
from ledger.storage import lookups, schema
from tests.builders import TONNE, World, lots

RUN = 3


@pytest.fixture
def trading(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """owner is issued 100 t and trades with alice and bob, eight transfers in all; the
    lookup tables are filled every three entries from then on."""
    monkeypatch.setattr(lookups, "RUN", RUN)
    batch = world.issue(100 * TONNE)
    moves = [("owner", "alice"), ("alice", "bob"), ("owner", "bob"), ("bob", "owner")] * 2
    for sender, receiver in moves:
        body = {"from_account": sender, "to_account": receiver, "lots": lots(batch, TONNE)}
        world.accept(sender, "transfer", body)
    return world


def mark(world: World) -> int:
    with world.ledger.engine.connect() as conn:
        return lookups.marked(conn)


def answers(world: World) -> dict[str, Any]:
    """What the lookups answer for every participant and account of ``trading``."""
    engine = world.ledger.engine
    return {
        **{f"entries:{p}": queries.entries(engine, signer=p) for p in ("owner", "bob", "issuer")},
        **{f"history:{a}": queries.history(engine, a) for a in ("owner", "alice", "bob")},
    }


class TestMark:
    def test_the_tables_hold_every_entry_below_the_mark_and_no_other(self, trading: World) -> None:
        size = trading.ledger.size
        assert 0 < size - RUN < mark(trading) <= size
        with trading.ledger.engine.connect() as conn:
            assert lookups.mismatch(conn) is None
            s = schema.signer_entries
            indexed = conn.execute(select(s.c.idx).order_by(s.c.idx)).scalars().all()
            a = schema.account_transfers
            parties = {tuple(r) for r in conn.execute(select(a.c.account, a.c.idx))}
        assert indexed == list(range(mark(trading)))
        assert ("alice", size - 7) in parties and ("bob", size - 7) in parties

    def test_answers_are_the_same_wherever_the_mark_stands(self, world: World) -> None:
        batch = world.issue(100 * TONNE)
        for sender, receiver in [("owner", "alice"), ("alice", "bob"), ("bob", "owner")]:
            body = {"from_account": sender, "to_account": receiver, "lots": lots(batch, TONNE)}
            world.accept(sender, "transfer", body)
        size = world.ledger.size
        assert mark(world) == 0  # the default run is far longer than this log
        before = answers(world)
        assert [e.index for e in before["entries:bob"]] == [size - 1]
        assert [h.kind for h in before["history:alice"]] == ["transfer_in", "transfer_out"]
        for end in (1, size // 2, size - 1, size):
            with world.ledger.engine.begin() as conn:
                lookups.catch_up(conn, mark(world), end)
            assert mark(world) == end
            assert answers(world) == before

    def test_signer_entries_are_the_signers_in_log_order(self, trading: World) -> None:
        engine = trading.ledger.engine
        every = queries.entries(engine, limit=queries.MAX_LIMIT)
        for signer in ("owner", "alice", "bob", "regulator"):
            found = queries.entries(engine, signer=signer)
            assert found == [e for e in every if e.signer == signer]
        pages = [queries.entries(engine, signer="owner", limit=2, offset=o) for o in (0, 2, 4)]
        assert [e for page in pages for e in page] == queries.entries(engine, signer="owner")

    def test_a_group_that_fails_leaves_the_mark_where_it_was(self, trading: World) -> None:
        ledger = trading.ledger
        batch = trading.issue(10 * TONNE)
        raws = [
            trading.sign(
                "owner",
                "transfer",
                {"from_account": "owner", "to_account": "alice", "lots": lots(batch, TONNE)},
            )
            for _ in range(RUN)
        ]
        moved_to = mark(trading)

        def lose_connection(conn: Connection, outcomes: list[Outcome]) -> None:
            assert lookups.marked(conn) > moved_to  # this group's transaction moved it
            raise OSError("connection lost")

        with pytest.raises(OSError, match="connection lost"):
            ledger.submit(raws, before_commit=lose_connection)
        assert mark(trading) == moved_to
        outcomes = ledger.submit(raws)
        assert all(isinstance(o, Accepted) and not o.duplicate for o in outcomes)
        assert mark(trading) == ledger.size
        with ledger.engine.connect() as conn:
            assert lookups.mismatch(conn) is None


class TestResubmission:
    def test_an_entry_is_acknowledged_again_below_and_above_the_mark(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(lookups, "RUN", RUN)
        batch = world.issue(10 * TONNE)
        body = {"from_account": "owner", "to_account": "alice", "lots": lots(batch, TONNE)}
        first = world.sign("owner", "transfer", body)
        first_at = world.ledger.size
        world.accept_raw(first)
        for _ in range(RUN):
            world.accept("owner", "transfer", body)
        last = world.sign("owner", "transfer", body)
        last_at = world.ledger.size
        world.accept_raw(last)
        assert first_at < mark(world) <= last_at
        for raw, index in ((first, first_at), (last, last_at)):
            (outcome,) = world.ledger.submit([raw])
            assert isinstance(outcome, Accepted) and outcome.duplicate
            assert outcome.index == index


class TestVerify:
    @pytest.mark.parametrize("table", ["signer_entries", "account_transfers"])
    def test_a_removed_row_is_found(self, trading: World, table: str) -> None:
        trading.close()
        lookup = schema.metadata.tables[table]
        with trading.ledger.engine.begin() as conn:
            row = conn.execute(select(lookup).limit(1)).first()
            assert row is not None
            conn.execute(delete(lookup).where(lookup.c.idx == row.idx))
        with pytest.raises(TamperDetected, match=f"{table} lacks"):
            verify_ledger(trading.url)

    def test_an_added_row_is_found(self, trading: World) -> None:
        trading.close()
        with trading.ledger.engine.begin() as conn:
            conn.execute(insert(schema.account_transfers).values(account="carol", idx=1))
        with pytest.raises(TamperDetected, match=r"account_transfers holds \('carol', 1\)"):
            verify_ledger(trading.url)

    def test_a_row_at_or_above_the_mark_is_found(self, trading: World) -> None:
        trading.close()
        at = mark(trading)
        with trading.ledger.engine.begin() as conn:
            conn.execute(insert(schema.signer_entries).values(signer="owner", seq=999, idx=at))
        with pytest.raises(TamperDetected, match="signer_entries holds"):
            verify_ledger(trading.url)
