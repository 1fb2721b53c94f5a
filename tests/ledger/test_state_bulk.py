"""The state's bulk path and custody bookkeeping: many new records in one undo step, rows
flushed first, and custody totals kept in step with every change of held ranges."""

from __future__ import annotations

from ledger.records import Account, Custody
from ledger.state import ROWS, MemoryBackend, State, Table

PERSONAL = Account("p1", None, "platform", "personal", 1)


def state_with_account() -> State:
    state = State(MemoryBackend())
    state.put(Table.ACCOUNT, "p1", PERSONAL)
    state.commit()
    return state


class TestBulkUndo:
    def test_rows_and_preloaded_values_are_undone_in_one_step(self) -> None:
        state = State(MemoryBackend())
        state.get(Table.EVIDENCE, b"seen")  # cached as absent
        mark = state.savepoint()
        state.insert_rows(Table.EVIDENCE, [(b"new", 5, 0), (b"seen", 5, 1)])
        state.preload(Table.EVIDENCE, [(b"new", 5), (b"seen", 5)])
        assert state.get_many(Table.EVIDENCE, [b"new", b"seen", b"other"]) == {
            b"new": 5,
            b"seen": 5,
            b"other": None,
        }
        state.rollback(mark)
        assert list(state.changes()) == []
        assert state.get(Table.EVIDENCE, b"seen") is None
        assert state.get(Table.EVIDENCE, b"new") is None

    def test_rows_come_before_every_other_change(self) -> None:
        state = state_with_account()
        state.put(Table.NONCE, "platform", 3)
        state.insert_rows(Table.EVIDENCE, [(b"d", 7, 0)])
        changes = list(state.changes())
        assert (changes[0].table, changes[0].key, changes[0].after) == (
            Table.EVIDENCE,
            ROWS,
            [(b"d", 7, 0)],
        )
        assert [c.table for c in changes[1:]] == [Table.NONCE]

    def test_a_put_after_a_preload_is_flushed_as_a_change_from_it(self) -> None:
        state = state_with_account()
        state.credit_new_batch("B1", [("p1", 0, 10)], "platform")
        state.put(Table.HELD, ("p1", "B1"), ((0, 4),))
        held = [c for c in state.changes() if c.table is Table.HELD and c.key is not ROWS]
        assert [(c.before, c.after) for c in held] == [(((0, 10),), ((0, 4),))]


class TestCustody:
    def test_opening_crediting_and_debiting_update_the_custody_totals(self) -> None:
        state = state_with_account()
        assert state.custody("platform") == Custody("platform", 1, 0)
        state.put(Table.HELD, ("p1", "B1"), ((0, 10),))
        state.put(Table.HELD, ("p1", "B2"), ((5, 8),))
        state.put(Table.HELD, ("p1", "B1"), ((6, 10),))
        assert state.custody("platform") == Custody("platform", 1, 7)
        assert state.balance("p1") == 7

    def test_a_rejected_entry_leaves_the_totals_as_they_were(self) -> None:
        state = state_with_account()
        mark = state.savepoint()
        state.put(Table.HELD, ("p1", "B1"), ((0, 10),))
        state.rollback(mark)
        assert state.custody("platform") == Custody("platform", 1, 0)

    def test_a_move_to_another_custodian_takes_the_balance_along(self) -> None:
        state = state_with_account()
        state.put(Table.HELD, ("p1", "B1"), ((0, 10),))
        state.put(Table.ACCOUNT, "p1", Account("p1", None, "other", "personal", 1))
        assert state.custody("platform") == Custody("platform", 0, 0)
        assert state.custody("other") == Custody("other", 1, 10)

    def test_participant_accounts_are_nobodys_custody(self) -> None:
        state = State(MemoryBackend())
        state.put(Table.ACCOUNT, "alice", Account("alice", "alice", None, "participant", 1))
        state.put(Table.HELD, ("alice", "B1"), ((0, 10),))
        assert state.get(Table.CUSTODY, "alice") is None
        assert state.balance("alice") == 10
