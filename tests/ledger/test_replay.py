"""Replaying records from genesis: chunking and reading ahead never change which entry is named.

The records of a small ledger are replayed from memory in chunks of every size, with and without
reading the next chunk ahead of the current one's signature verdicts, untouched and with one
record tampered with (a swapped signature, which also breaks the chain to the next record).
"""

from __future__ import annotations

import gc
import hashlib
import sys
from collections.abc import Iterator

import orjson
import pytest
from sqlalchemy import select

from ledger.entry import parse_record, record_bytes
from ledger.errors import TamperDetected
from ledger.note import NoteVerifier
from ledger.replay import ReplayReport, StoredRecord, replay
from ledger.state import MemoryBackend, State
from ledger.storage import schema
from ledger.storage.engine import make_engine
from tests.builders import TONNE, World, lots


@pytest.fixture
def traded(world: World) -> Iterator[World]:
    """A ledger with an issuance and a run of transfers back and forth."""
    batch = world.issue(100 * TONNE)
    for turn in range(6):
        giver, taker = ("owner", "alice") if turn % 2 == 0 else ("alice", "owner")
        world.accept(
            giver,
            "transfer",
            {"from_account": giver, "to_account": taker, "lots": lots(batch, TONNE)},
        )
    world.ledger.seal()
    yield world


def checkpoints_of(world: World) -> dict[int, bytes]:
    c = schema.checkpoints
    with make_engine(world.url).connect() as conn:
        return {int(s): bytes(n) for s, n in conn.execute(select(c.c.size, c.c.note))}


def run(
    world: World, records: Iterator[StoredRecord], *, chunk_size: int, lookahead: bool
) -> ReplayReport:
    return replay(
        records,
        checkpoints_of(world),
        origin=world.ledger.origin,
        log_verifier=NoteVerifier.from_vkey(world.ledger.log_vkey),
        state=State(MemoryBackend(), cache_limit=sys.maxsize),
        chunk_size=chunk_size,
        lookahead=lookahead,
    )


def stored(raws: list[bytes]) -> Iterator[StoredRecord]:
    for index, raw in enumerate(raws):
        yield StoredRecord(index, raw, hashlib.sha256(raw).digest())


def swap_signature(raws: list[bytes], index: int) -> list[bytes]:
    """Give entry ``index`` the first signature of entry ``index + 1`` (not re-chained)."""
    a, b = (orjson.loads(raws[i]) for i in (index, index + 1))
    a["entry"]["sigs"][0]["sig"] = b["entry"]["sigs"][0]["sig"]
    return [*raws[:index], orjson.dumps(a, option=orjson.OPT_SORT_KEYS), *raws[index + 1 :]]


CHUNK_SIZES = [1, 2, 3, 5, 8, 2000]


class TestChunking:
    @pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
    @pytest.mark.parametrize("lookahead", [False, True])
    def test_untouched_records_replay_alike(
        self, traded: World, chunk_size: int, lookahead: bool
    ) -> None:
        raws = traded.records()
        report = run(traded, stored(raws), chunk_size=chunk_size, lookahead=lookahead)
        assert report.entries == len(raws)
        assert report.root == traded.ledger.root_at(len(raws))
        assert report.operations["transfer"] == 6

    @pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
    @pytest.mark.parametrize("lookahead", [False, True])
    def test_swapped_signature_is_named_however_chunked(
        self, traded: World, chunk_size: int, lookahead: bool
    ) -> None:
        raws = traded.records()
        index = len(raws) - 4
        with pytest.raises(TamperDetected) as caught:
            run(
                traded,
                stored(swap_signature(raws, index)),
                chunk_size=chunk_size,
                lookahead=lookahead,
            )
        assert caught.value.details["index"] == index, caught.value.message
        assert "signature" in caught.value.message


class TestReadingAhead:
    def test_error_reading_the_next_chunk_waits_for_this_chunks_verdict(
        self, traded: World
    ) -> None:
        """A bad signature at the end of a chunk is named before the failure to read the next
        chunk (which reading ahead meets first) is raised."""
        raws = swap_signature(traded.records(), 11)

        def records() -> Iterator[StoredRecord]:
            for record in stored(raws):
                if record.index == 12:
                    raise OSError("the disk went away")
                yield record

        with pytest.raises(TamperDetected) as caught:
            run(traded, records(), chunk_size=4, lookahead=True)
        assert caught.value.details["index"] == 11

    def test_error_reading_is_raised_once_earlier_chunks_are_settled(self, traded: World) -> None:
        def records() -> Iterator[StoredRecord]:
            for record in stored(traded.records()):
                if record.index == 12:
                    raise OSError("the disk went away")
                yield record

        with pytest.raises(OSError, match="disk went away"):
            run(traded, records(), chunk_size=4, lookahead=True)

    def test_reordered_records_across_a_chunk_boundary_are_named(self, traded: World) -> None:
        raws = traded.records()
        first = 11  # the last of a chunk of four, swapped with the first of the next
        raws[first], raws[first + 1] = raws[first + 1], raws[first]
        with pytest.raises(TamperDetected) as caught:
            run(traded, stored(raws), chunk_size=4, lookahead=True)
        assert caught.value.details["index"] == first

    def test_rechained_forgery_in_the_next_chunk_is_named(self, traded: World) -> None:
        """A record re-chained after an edit still fails its signature, in whichever chunk."""
        raws = traded.records()
        index = 13
        record = parse_record(raws[index])
        value = orjson.loads(record.entry_raw)
        value["payload"]["body"]["to_account"] = "bob"
        entry_raw = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        prev = record.prev_hash
        for i in range(index, len(raws)):
            old = parse_record(raws[i])
            raw = entry_raw if i == index else old.entry_raw
            raws[i] = record_bytes(raw, i, prev, old.time_ms)
            prev = hashlib.sha256(raws[i]).digest()
        # the checkpoints were signed over the original records: only the entry is at fault
        with pytest.raises(TamperDetected) as caught:
            run(traded, stored(raws), chunk_size=4, lookahead=True)
        assert caught.value.details["index"] == index


class TestCollector:
    def test_replay_unfreezes_what_it_froze(self, traded: World) -> None:
        gc.unfreeze()  # what the world's open ledger froze: replay freezes only from nothing
        run(traded, stored(traded.records()), chunk_size=2, lookahead=True)
        assert gc.get_freeze_count() == 0

    def test_replay_unfreezes_after_a_failure(self, traded: World) -> None:
        raws = swap_signature(traded.records(), 9)
        gc.unfreeze()
        with pytest.raises(TamperDetected):
            run(traded, stored(raws), chunk_size=2, lookahead=True)
        assert gc.get_freeze_count() == 0

    def test_objects_frozen_by_the_caller_stay_frozen(self, traded: World) -> None:
        gc.freeze()
        try:
            frozen = gc.get_freeze_count()
            run(traded, stored(traded.records()), chunk_size=2, lookahead=True)
            # neither unfrozen nor added to (frozen objects may still be freed meanwhile)
            assert 0 < gc.get_freeze_count() <= frozen
        finally:
            gc.unfreeze()
