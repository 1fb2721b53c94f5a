"""``Ledger.append_records``: a follower applies the sequencer's records and gets the same ledger.

The replica is an empty ledger database for the same origin and log key, opened without the
log's signing key; it must refuse any record or checkpoint that differs from what the
sequencer could have made, and write nothing when it does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.entry import parse_record, record_bytes
from ledger.errors import RootMismatch, TamperDetected, VerificationError
from ledger.log import Ledger
from ledger.note import NoteSigner
from node.follower import open_replica
from tests.builders import ORIGIN, World, lots
from tests.databases import changed_tables, fresh_database, snapshot


@pytest.fixture
def replica_url(tmp_path: Path) -> Iterator[str]:
    directory = tmp_path / "replica"
    directory.mkdir()
    with fresh_database(directory) as url:
        yield url


@pytest.fixture
def busy(world: World) -> World:
    """A world with issuances, trades, a retirement and several checkpoints."""
    batch = world.issue(10_000)
    world.ledger.seal()
    world.accept(
        "owner",
        "transfer",
        {
            "from_account": "owner",
            "to_account": "alice",
            "lots": lots(batch, 3_000),
            "venue": "otc",
        },
    )
    world.accept(
        "alice",
        "retire",
        {
            "account": "alice",
            "lots": lots(batch, 500),
            "beneficiary": {"name": "Alice"},
            "purpose": "personal",
            "jurisdiction": "CN-GD",
        },
    )
    world.ledger.seal()
    return world


@pytest.fixture
def replica(busy: World, replica_url: str) -> Iterator[Ledger]:
    ledger = open_replica(replica_url, ORIGIN, busy.ledger.log_vkey)
    yield ledger
    ledger.close()


def comparable(world_or_ledger: Ledger) -> dict[str, list[tuple[object, ...]]]:
    """Every table, checkpoints without the local time they were stored at."""
    tables = snapshot(world_or_ledger.engine)
    tables["checkpoints"] = [
        (size, root, note) for size, root, _time, note in tables["checkpoints"]
    ]
    return tables


def edit_record(raw: bytes, edit: dict[str, object]) -> bytes:
    """``raw`` with fields of its entry's body changed; its chain fields untouched."""
    record = orjson.loads(raw)
    record["entry"]["payload"]["body"].update(edit)
    entry = orjson.dumps(record["entry"], option=orjson.OPT_SORT_KEYS)
    parsed = parse_record(raw)
    return record_bytes(entry, parsed.index, parsed.prev_hash, parsed.time_ms)


class TestReplication:
    def test_a_replica_fed_every_record_equals_the_sequencer(
        self, busy: World, replica: Ledger
    ) -> None:
        records = busy.records()
        replica.append_records(records[:5])
        replica.append_records(records[5:], checkpoint=busy.ledger.checkpoint())
        assert replica.size == busy.ledger.size
        assert replica.root_at(replica.size) == busy.ledger.root_at(busy.ledger.size)
        mine, theirs = comparable(replica), comparable(busy.ledger)
        theirs["checkpoints"] = [c for c in theirs["checkpoints"] if c[0] == busy.ledger.size]
        assert mine == theirs

    def test_records_keep_the_sequencers_index_and_time(self, busy: World, replica: Ledger) -> None:
        replica.append_records(busy.records())
        assert [replica.record(i) for i in range(replica.size)] == busy.records()

    def test_a_reopened_replica_continues_where_it_stopped(
        self, busy: World, replica: Ledger, replica_url: str
    ) -> None:
        records = busy.records()
        replica.append_records(records[:7])
        replica.close()
        reopened = open_replica(replica_url, ORIGIN, busy.ledger.log_vkey)
        try:
            reopened.append_records(records[7:], checkpoint=busy.ledger.checkpoint())
            assert reopened.root_at(reopened.size) == busy.ledger.root_at(busy.ledger.size)
        finally:
            reopened.close()

    def test_a_checkpoint_alone_is_stored_at_the_current_size(
        self, busy: World, replica: Ledger
    ) -> None:
        replica.append_records(busy.records())
        replica.append_records([], checkpoint=busy.ledger.checkpoint())
        assert replica.checkpoint() == busy.ledger.checkpoint()
        assert replica.sealed_size == busy.ledger.size


class TestRefusals:
    def refused(self, replica: Ledger, records: list[bytes], **kw: object) -> Exception:
        before = snapshot(replica.engine)
        size = replica.size
        with pytest.raises((TamperDetected, VerificationError)) as caught:
            replica.append_records(records, **kw)  # type: ignore[arg-type]
        assert changed_tables(before, snapshot(replica.engine)) == []
        assert replica.size == size
        return caught.value

    def test_an_edited_entry_is_refused_at_its_index(self, busy: World, replica: Ledger) -> None:
        records = busy.records()
        index = next(i for i, r in enumerate(records) if b'"transfer"' in r)
        records[index] = edit_record(records[index], {"venue": "auction"})
        error = self.refused(replica, records)
        assert error.details["index"] == index

    def test_a_missing_record_breaks_the_index(self, busy: World, replica: Ledger) -> None:
        records = busy.records()
        del records[3]
        error = self.refused(replica, records)
        assert error.details["index"] == 3

    def test_records_out_of_order_are_refused(self, busy: World, replica: Ledger) -> None:
        records = busy.records()
        records[4], records[5] = records[5], records[4]
        assert self.refused(replica, records).details["index"] == 4

    def test_a_record_that_does_not_chain_is_refused(self, busy: World, replica: Ledger) -> None:
        records = busy.records()
        parsed = parse_record(records[6])
        records[6] = record_bytes(
            parsed.entry_raw, 6, hashlib.sha256(b"x").digest(), parsed.time_ms
        )
        error = self.refused(replica, records)
        assert error.details["index"] == 6
        assert "chain" in error.details["reason"]

    def test_time_going_backwards_is_refused(self, busy: World, replica: Ledger) -> None:
        records = busy.records()
        replica.append_records(records[:6])
        parsed = parse_record(records[6])
        earlier = record_bytes(
            parsed.entry_raw, 6, parsed.prev_hash, parse_record(records[5]).time_ms - 1
        )
        assert "backwards" in self.refused(replica, [earlier]).details["reason"]

    def test_a_root_refused_by_the_caller_writes_nothing(
        self, busy: World, replica: Ledger
    ) -> None:
        def refuse(size: int, root: bytes) -> None:
            raise RootMismatch(expected=bytes(32), calculated=root)

        self.refused(replica, busy.records(), check_root=refuse)

    def test_a_checkpoint_for_another_size_is_refused(self, busy: World, replica: Ledger) -> None:
        records = busy.records()
        self.refused(replica, records[:-1], checkpoint=busy.ledger.checkpoint())

    def test_a_checkpoint_with_another_root_is_refused(self, busy: World, replica: Ledger) -> None:
        forged = sign_checkpoint(Checkpoint(ORIGIN, busy.ledger.size, bytes(32)), busy.signer)
        error = self.refused(replica, busy.records(), checkpoint=forged)
        assert isinstance(error, RootMismatch)

    def test_a_checkpoint_signed_by_another_key_is_refused(
        self, busy: World, replica: Ledger
    ) -> None:
        root = busy.ledger.root_at(busy.ledger.size)
        other = sign_checkpoint(
            Checkpoint(ORIGIN, busy.ledger.size, root), NoteSigner.generate(ORIGIN)
        )
        self.refused(replica, busy.records(), checkpoint=other)
