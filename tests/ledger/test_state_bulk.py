"""The state's bulk path and custody bookkeeping: many new records in one undo step, rows
flushed first, and custody totals kept in step with every change of held ranges."""

from __future__ import annotations

from typing import Any

import pytest

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


class Stored(MemoryBackend):
    """A backend holding given records, as the database does once a group is written."""

    def __init__(self) -> None:
        self.records: dict[tuple[Table, Any], Any] = {}

    def load(self, table: Table, key: Any) -> Any:
        return self.records.get((table, key))

    def load_many(self, table: Table, keys: Any) -> dict[Any, Any]:
        found = {key: self.records.get((table, key)) for key in keys}
        return {key: value for key, value in found.items() if value is not None}


class TestPreloadedLayers:
    def test_preloaded_records_leave_memory_when_the_next_group_commits(self) -> None:
        backend = Stored()
        state = State(backend, forget_appended=True)
        state.preload(Table.EVIDENCE, [(b"d1", 7)])
        state.commit()  # the group is being written: its records are still read from memory
        assert state.get(Table.EVIDENCE, b"d1") == 7
        assert state.get_many(Table.EVIDENCE, [b"d1", b"d2"]) == {b"d1": 7, b"d2": None}
        state.commit()  # the next group: the first is durable, its records are read from storage
        assert state.get_many(Table.EVIDENCE, [b"d1"]) == {b"d1": None}
        backend.records[(Table.EVIDENCE, b"d1")] = 7
        assert state.get(Table.EVIDENCE, b"d1") == 7

    def test_without_forgetting_they_join_the_cache_under_later_writes(self) -> None:
        state = state_with_account()
        state.credit_new_batch("B1", [("p1", 0, 10)], "platform")
        state.put(Table.HELD, ("p1", "B1"), ((0, 4),))
        state.preload(Table.EVIDENCE, [(b"d1", 7)])
        state.commit()
        assert state.held("p1", "B1") == ((0, 4),)
        assert state.get(Table.EVIDENCE, b"d1") == 7
        assert state.custody("platform") == Custody("platform", 1, 4)

    def test_a_key_that_holds_a_record_is_refused(self) -> None:
        state = State(MemoryBackend())
        state.put(Table.EVIDENCE, b"d1", 3)
        with pytest.raises(ValueError, match="holds a record"):
            state.preload(Table.EVIDENCE, [(b"d1", 7)])


class TestAccountsInCustody:
    def test_accounts_in_memory_and_in_storage_are_both_checked(self) -> None:
        class Counting(MemoryBackend):
            def __init__(self) -> None:
                self.asked: list[str] = []

            def count_in_custody(self, accounts: Any, custodian: str) -> int:
                self.asked = list(accounts)
                return sum(1 for a in accounts if a.startswith("stored-"))

        backend = Counting()
        state = State(backend)
        state.put(Table.ACCOUNT, "p1", PERSONAL)
        state.put(Table.ACCOUNT, "x1", Account("x1", None, "other", "personal", 1))
        assert state.accounts_in_custody(["p1", "stored-1", "p1"], "platform")
        assert backend.asked == ["stored-1"]  # what memory holds is not asked for again
        assert not state.accounts_in_custody(["p1", "stored-1", "ghost"], "platform")
        assert not state.accounts_in_custody(["p1", "x1"], "platform")
        assert not state.accounts_in_custody(["unknown"], "platform")


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
