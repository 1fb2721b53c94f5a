"""The witness's store: the size check and the new state are one atomic, durable step."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from ledger.errors import ProofError
from ledger.witness_state import LogState
from node.witness_store import LogFrozen, WitnessStore

ORIGIN = "log.test/a"


def advanced_to(size: int) -> Callable[[LogState], tuple[LogState, int]]:
    def decide(state: LogState) -> tuple[LogState, int]:
        return LogState(state.origin, size, bytes([size % 256]) * 32, b"note"), state.size

    return decide


class TestState:
    def test_an_unseen_log_is_the_empty_tree(self, tmp_path: Path) -> None:
        store = WitnessStore(tmp_path / "w.db")
        assert store.state(ORIGIN) == LogState.unseen(ORIGIN)

    def test_an_advance_is_kept_after_reopening(self, tmp_path: Path) -> None:
        store = WitnessStore(tmp_path / "w.db")
        store.advance(ORIGIN, advanced_to(7))
        store.close()
        again = WitnessStore(tmp_path / "w.db")
        assert (again.state(ORIGIN).size, again.state(ORIGIN).note) == (7, b"note")

    def test_sizes_beyond_signed_64_bits_are_kept_exactly(self, tmp_path: Path) -> None:
        store = WitnessStore(tmp_path / "w.db")
        store.advance(ORIGIN, advanced_to(2**64 - 1))
        assert store.state(ORIGIN).size == 2**64 - 1

    def test_a_refused_decision_stores_nothing(self, tmp_path: Path) -> None:
        store = WitnessStore(tmp_path / "w.db")
        store.advance(ORIGIN, advanced_to(3))

        def refuse(state: LogState) -> tuple[LogState, None]:
            raise ProofError("bad proof")

        with pytest.raises(ProofError):
            store.advance(ORIGIN, refuse)
        assert store.state(ORIGIN).size == 3

    def test_concurrent_advances_each_see_the_one_before(self, tmp_path: Path) -> None:
        store = WitnessStore(tmp_path / "w.db")
        seen: list[int] = []

        def step(state: LogState) -> tuple[LogState, None]:
            seen.append(state.size)
            return LogState(state.origin, state.size + 1, bytes(32), b""), None

        threads = [threading.Thread(target=store.advance, args=(ORIGIN, step)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(seen) == list(range(8))
        assert store.state(ORIGIN).size == 8


class TestFreeze:
    def test_a_frozen_log_refuses_to_advance_even_after_reopening(self, tmp_path: Path) -> None:
        store = WitnessStore(tmp_path / "w.db")
        store.freeze(ORIGIN, "split view", tmp_path / "evidence.json")
        store.close()
        again = WitnessStore(tmp_path / "w.db")
        with pytest.raises(LogFrozen) as caught:
            again.advance(ORIGIN, advanced_to(1))
        assert caught.value.details["evidence"] == str(tmp_path / "evidence.json")
        assert again.origins() == [ORIGIN]
