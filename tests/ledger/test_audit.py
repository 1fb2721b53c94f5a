"""Tampering with a stored ledger is caught, and the first wrong entry is named.

Each test builds a small ledger, closes it, edits the database the way an operator with
write access could (an amount, a deleted, inserted or reordered entry, a swapped signature, a
state row, a Merkle node, a checkpoint), and checks what ``verify``, ``check`` and the
offline bundle verifier say.
"""

from __future__ import annotations

import base64
import gc
import hashlib
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Connection, Table, delete, insert, select, update

from ledger import audit
from ledger.audit import check_invariants, verify_ledger
from ledger.bundle import export_bundle
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.client import Identity
from ledger.entry import parse_record, record_bytes
from ledger.errors import TamperDetected, VerificationError
from ledger.note import NoteSigner
from ledger.storage import schema
from ledger.storage.engine import make_engine
from ledger.verifier import verify_bundle
from tests.builders import TONNE, World, lots

e = schema.entries


@pytest.fixture
def busy(world: World) -> Iterator[World]:
    """A ledger with issuance, trades, a retirement, a cancellation and a released pledge."""
    batch = world.issue(1_000 * TONNE)
    world.accept(
        "owner",
        "transfer",
        {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 300 * TONNE)},
    )
    world.accept(
        "alice",
        "transfer",
        {"from_account": "alice", "to_account": "bob", "lots": lots(batch, 100 * TONNE)},
    )
    world.accept(
        "bob",
        "retire",
        {
            "account": "bob",
            "lots": lots(batch, 40 * TONNE),
            "beneficiary": {"name": "Forum"},
            "purpose": "donation",
            "jurisdiction": "CN-BJ",
        },
    )
    world.accept(
        "owner",
        "pledge",
        {"account": "owner", "lots": lots(batch, 50 * TONNE), "bank": "bank"},
        ["bank"],
    )
    world.accept("bank", "release_pledge", {"pledge": f"PLG-{world.ledger.size - 1}"})
    world.accept(
        "alice",
        "cancel",
        {
            "account": "alice",
            "lots": lots(batch, 10 * TONNE),
            "reason": "export",
            "destination": "CCER registry",
        },
    )
    world.ledger.seal()
    world.close()
    yield world


def first_op(world: World, op: str) -> int:
    with make_engine(world.url).connect() as conn:
        index = conn.execute(select(e.c.idx).where(e.c.op == op).order_by(e.c.idx)).scalar()
    assert index is not None
    return int(index)


def rewrite_record(world: World, index: int, edit: dict[str, object], *, rehash: bool) -> None:
    """Change fields of the body of entry ``index``; optionally fix its stored hash."""
    engine = make_engine(world.url)
    with engine.begin() as conn:
        raw = bytes(conn.execute(select(e.c.record).where(e.c.idx == index)).scalar_one())
        value = orjson.loads(raw)
        value["entry"]["payload"]["body"].update(edit)
        tampered = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        values: dict[str, object] = {"record": tampered}
        if rehash:
            values["record_hash"] = hashlib.sha256(tampered).digest()
        conn.execute(update(e).where(e.c.idx == index).values(**values))
    engine.dispose()


CHUNKINGS = [(audit.CHUNK_SIZE, audit.FLUSH_EVERY), (3, 4)]
"""(chunk size, entries per flush): one chunk for the whole small ledger, and many chunks
(each read ahead of the previous one's verdicts, the state flushed every other chunk)."""


def assert_tamper_at(world: World, index: int) -> TamperDetected:
    """Verify names entry ``index``, whether the ledger is replayed in one chunk or many."""
    for chunk_size, flush_every in CHUNKINGS:
        with pytest.raises(TamperDetected) as caught:
            verify_ledger(world.url, chunk_size=chunk_size, flush_every=flush_every)
        assert caught.value.details["index"] == index, (chunk_size, caught.value.message)
    return caught.value


def assert_table_differs(world: World, table: str) -> TamperDetected:
    """Verify names ``table``, whether the ledger is replayed in one chunk or many."""
    for chunk_size, flush_every in CHUNKINGS:
        with pytest.raises(TamperDetected) as caught:
            verify_ledger(world.url, chunk_size=chunk_size, flush_every=flush_every)
        assert caught.value.details["table"] == table, (chunk_size, caught.value.message)
    return caught.value


class TestUntouchedLedger:
    @pytest.mark.parametrize(("chunk_size", "flush_every"), CHUNKINGS)
    def test_verify_replays_every_entry_and_checkpoint(
        self, busy: World, chunk_size: int, flush_every: int
    ) -> None:
        report = verify_ledger(busy.url, chunk_size=chunk_size, flush_every=flush_every)
        assert report.entries == busy.ledger.size
        assert report.checkpoints >= 2
        assert report.operations["retire"] == 1 and report.operations["cancel"] == 1

    def test_sqlite_tables_are_compared_inside_sqlite(self, busy: World) -> None:
        """Every replayed table is found identical by the attached comparison, so no table is
        walked row by row in Python (PostgreSQL ledgers are always walked)."""
        if make_engine(busy.url).dialect.name != "sqlite":
            pytest.skip("the attached comparison is for SQLite ledgers")
        walked: list[str] = []
        original = audit._compare_table

        def spy(stored: Connection, replayed: Connection, table: Table) -> None:
            walked.append(table.name)
            original(stored, replayed, table)

        audit._compare_table = spy
        try:
            verify_ledger(busy.url)
        finally:
            audit._compare_table = original
        assert walked == []

    def test_replay_leaves_no_object_frozen(self, busy: World) -> None:
        gc.unfreeze()  # what the world's open ledger froze: replay freezes only from nothing
        verify_ledger(busy.url, chunk_size=3)
        assert gc.get_freeze_count() == 0

    def test_check_finds_no_broken_invariant(self, busy: World) -> None:
        assert check_invariants(make_engine(busy.url)) == []

    def test_verify_with_the_wrong_trusted_key_is_refused(self, busy: World) -> None:
        other = NoteSigner.generate("impostor").verifier().vkey()
        with pytest.raises(VerificationError) as caught:
            verify_ledger(busy.url, log_vkey=other)
        assert caught.value.code == "wrong_log_key"


class TestEditedEntries:
    def test_edited_amount_is_named(self, busy: World) -> None:
        index = first_op(busy, "retire")
        rewrite_record(busy, index, {"lots": lots("PHCER-2001-000001", 1)}, rehash=False)
        assert_tamper_at(busy, index)

    def test_edited_entry_in_a_later_chunk_is_named(self, busy: World) -> None:
        index = first_op(busy, "cancel")
        rewrite_record(busy, index, {"destination": "elsewhere"}, rehash=True)
        assert index > 3  # not in the first chunk of three
        assert_tamper_at(busy, index)

    def test_edited_amount_with_recomputed_hash_fails_its_signature(self, busy: World) -> None:
        index = first_op(busy, "transfer")
        rewrite_record(busy, index, {"to_account": "bob"}, rehash=True)
        error = assert_tamper_at(busy, index)
        assert "signature" in error.message or "chain" in error.message

    def test_swapped_signature_is_named(self, busy: World) -> None:
        first = first_op(busy, "transfer")
        engine = make_engine(busy.url)
        with engine.begin() as conn:
            raws = {
                i: bytes(conn.execute(select(e.c.record).where(e.c.idx == i)).scalar_one())
                for i in (first, first + 1)
            }
            a, b = (orjson.loads(raws[i]) for i in (first, first + 1))
            a["entry"]["sigs"][0]["sig"] = b["entry"]["sigs"][0]["sig"]
            tampered = orjson.dumps(a, option=orjson.OPT_SORT_KEYS)
            conn.execute(
                update(e)
                .where(e.c.idx == first)
                .values(record=tampered, record_hash=hashlib.sha256(tampered).digest())
            )
        assert_tamper_at(busy, first)


class TestMissingAndMovedEntries:
    def test_deleted_entry_is_named(self, busy: World) -> None:
        index = first_op(busy, "retire")
        with make_engine(busy.url).begin() as conn:
            conn.execute(delete(e).where(e.c.idx == index))
        error = assert_tamper_at(busy, index)
        assert "missing" in error.message

    def test_reordered_entries_are_named_at_the_first(self, busy: World) -> None:
        first = first_op(busy, "transfer")
        with make_engine(busy.url).begin() as conn:
            rows = {
                r.idx: r for r in conn.execute(select(e).where(e.c.idx.in_([first, first + 1])))
            }
            for here, there in ((first, first + 1), (first + 1, first)):
                conn.execute(
                    update(e)
                    .where(e.c.idx == here)
                    .values(record=rows[there].record, record_hash=rows[there].record_hash)
                )
        assert_tamper_at(busy, first)

    def test_inserted_entry_is_named(self, busy: World) -> None:
        """An entry forged by the operator spliced in, the later ones renumbered, re-chained."""
        index = first_op(busy, "retire")
        forger = Identity.generate("owner")
        extra = forger.sign(
            busy.ledger.origin,
            "transfer",
            {
                "from_account": "owner",
                "to_account": "bob",
                "lots": lots("PHCER-2001-000001", TONNE),
            },
            seq=99,
        )
        engine = make_engine(busy.url)
        with engine.begin() as conn:
            rows = conn.execute(select(e).where(e.c.idx >= index).order_by(e.c.idx)).all()
            previous = conn.execute(
                select(e.c.record_hash).where(e.c.idx == index - 1)
            ).scalar_one()
            conn.execute(delete(e).where(e.c.idx >= index))
            entries = [extra] + [parse_record(bytes(r.record)).entry_raw for r in rows]
            times = [rows[0].time_ms] + [r.time_ms for r in rows]
            for offset, (raw, time_ms) in enumerate(zip(entries, times, strict=True)):
                record = record_bytes(raw, index + offset, previous, time_ms)
                previous = hashlib.sha256(record).digest()
                conn.execute(
                    insert(e).values(
                        idx=index + offset,
                        record=record,
                        record_hash=previous,
                        entry_hash=hashlib.sha256(raw).digest(),
                        op="x",
                        signer="x",
                        time_ms=time_ms,
                        seq=index + offset,
                    )
                )
        error = assert_tamper_at(busy, index)
        assert "unknown_key" in error.message


class TestStoredState:
    def test_edited_supply_is_caught_by_check_and_verify(self, busy: World) -> None:
        with make_engine(busy.url).begin() as conn:
            conn.execute(
                update(schema.batches).values(
                    held=schema.batches.c.held + 1, retired=schema.batches.c.retired - 1
                )
            )
        codes = {p.code for p in check_invariants(make_engine(busy.url))}
        assert codes == {"supply_mismatch"}
        assert_table_differs(busy, "batches")

    def test_deleted_state_row_is_named(self, busy: World) -> None:
        with make_engine(busy.url).begin() as conn:
            conn.execute(delete(schema.retirements))
        error = assert_table_differs(busy, "retirements")
        assert "replayed" in error.message

    def test_extra_state_row_is_named(self, busy: World) -> None:
        with make_engine(busy.url).begin() as conn:
            conn.execute(insert(schema.nonces).values(participant="zz-nobody", last_seq=1))
        error = assert_table_differs(busy, "nonces")
        assert "zz-nobody" in error.message

    def test_edited_state_row_is_named_by_key(self, busy: World) -> None:
        n = schema.nonces
        with make_engine(busy.url).begin() as conn:
            conn.execute(update(n).where(n.c.participant == "alice").values(last_seq=99))
        error = assert_table_differs(busy, "nonces")
        assert "alice" in error.details["key"]

    def test_moved_serial_range_is_caught_by_check(self, busy: World) -> None:
        h = schema.holdings
        with make_engine(busy.url).begin() as conn:
            conn.execute(
                update(h).where(h.c.status == "retired").values(serial_end=h.c.serial_end + 5)
            )
        codes = {p.code for p in check_invariants(make_engine(busy.url))}
        assert "serial_overlap" in codes and "lock_mismatch" in codes

    def test_edited_merkle_node_is_named(self, busy: World) -> None:
        n = schema.merkle_nodes
        with make_engine(busy.url).begin() as conn:
            conn.execute(update(n).where(n.c.level == 1, n.c.idx == 2).values(hash=bytes(32)))
        assert_tamper_at(busy, 4)

    def test_checkpoint_signed_by_another_key_is_named(self, busy: World) -> None:
        c = schema.checkpoints
        with make_engine(busy.url).begin() as conn:
            size, root = conn.execute(select(c.c.size, c.c.root).order_by(c.c.size).limit(1)).one()
            forged = sign_checkpoint(
                Checkpoint(busy.ledger.origin, size, bytes(root)), NoteSigner.generate("impostor")
            )
            conn.execute(update(c).where(c.c.size == size).values(note=forged))
        assert_tamper_at(busy, size - 1)


class TestBundles:
    def test_exported_bundle_verifies_offline(self, busy: World, tmp_path: Path) -> None:
        path = tmp_path / "ledger.clb"
        header = export_bundle(busy.url, path)
        report = verify_bundle(path, log_vkey=busy.ledger.log_vkey)
        assert report.entries == header.size == busy.ledger.size
        assert report.checkpoints == header.checkpoints

    def test_bundle_with_an_edited_record_names_it(self, busy: World, tmp_path: Path) -> None:
        index = first_op(busy, "retire")
        rewrite_record(busy, index, {"beneficiary": {"name": "Someone else"}}, rehash=True)
        path = tmp_path / "ledger.clb"
        export_bundle(busy.url, path)
        with pytest.raises(TamperDetected) as caught:
            verify_bundle(path, log_vkey=busy.ledger.log_vkey)
        assert caught.value.details["index"] == index

    def test_bundle_under_an_untrusted_key_is_refused(self, busy: World, tmp_path: Path) -> None:
        path = tmp_path / "ledger.clb"
        export_bundle(busy.url, path)
        with pytest.raises(VerificationError) as caught:
            verify_bundle(path, log_vkey=NoteSigner.generate("x").verifier().vkey())
        assert caught.value.code == "wrong_log_key"

    def test_record_b64_is_exact(self, busy: World, tmp_path: Path) -> None:
        import gzip

        path = tmp_path / "ledger.clb"
        export_bundle(busy.url, path)
        with gzip.open(path, "rb") as f:
            lines = f.read().splitlines()
        last = orjson.loads(lines[-1])
        assert base64.b64decode(last["record"]) == busy.ledger.record(busy.ledger.size - 1)
