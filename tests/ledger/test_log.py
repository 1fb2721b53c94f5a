"""The sequencer's log: hash chain, checkpoints, Merkle proofs, restarts, idempotency, crashes."""

from __future__ import annotations

import base64
import gc
import hashlib
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, select

import ledger.log
import ledger.sigcheck
import ledger.state
from ledger import canonical
from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.entry import parse_record
from ledger.errors import RootMismatch, RuleViolation, SignatureInvalid
from ledger.log import Accepted, Ledger, Outcome, Rejected
from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.note import NoteSigner, NoteVerifier
from ledger.sigcheck import WORKER_MIN_BATCH
from ledger.state import Change
from ledger.storage import schema
from ledger.storage.backend import write_changes
from tests.builders import ORIGIN, World, build_world, lots, serials
from tests.ledger.merkle import reference as ref


def retirement(
    account: str, batch: str, grams: int, *, name: str | None = None, jurisdiction: str = "CN-GD"
) -> dict[str, Any]:
    """The body of a personal retirement of ``grams`` of ``batch`` by ``account``."""
    return {
        "account": account,
        "lots": lots(batch, grams),
        "beneficiary": {"name": name or account.capitalize()},
        "purpose": "personal",
        "jurisdiction": jurisdiction,
    }


@pytest.fixture
def history(world: World) -> World:
    """A world whose log has seen every kind of credit operation and several checkpoints."""
    world.ledger.seal()
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
        "transfer",
        {"from_account": "alice", "to_account": "bob", "lots": serials(batch, 1_000, 1_500)},
    )
    world.ledger.seal()
    world.accept(
        "bob",
        "retire",
        retirement("bob", batch, 200),
    )
    world.ledger.seal()
    world.accept(
        "owner",
        "pledge",
        {"account": "owner", "lots": lots(batch, 1_000), "bank": "bank"},
        ["bank"],
    )
    world.issue(500, to="alice")
    world.ledger.seal()
    return world


def checkpoint_sizes(world: World) -> list[int]:
    return [int(row["size"]) for row in world.rows(schema.checkpoints)]


def open_note(world: World, size: int | None = None) -> Checkpoint:
    verifier = NoteVerifier.from_vkey(world.ledger.log_vkey)
    return open_checkpoint(world.ledger.checkpoint(size), verifier, origin=ORIGIN)


def verify_chain(records: Sequence[bytes]) -> None:
    """Each record sits at its index and names the SHA-256 of the one before it."""
    previous = bytes(32)
    last_time = 0
    for index, raw in enumerate(records):
        record = parse_record(raw)
        assert record.index == index
        assert record.prev_hash == previous, f"record {index} does not chain to {index - 1}"
        assert record.time_ms >= last_time
        previous, last_time = hashlib.sha256(raw).digest(), record.time_ms


def verify_log(world: World) -> None:
    """The whole log checks out: chain, stored hashes, checkpoints, roots and every proof."""
    lg = world.ledger
    records = world.records()
    verify_chain(records)
    stored = {row["idx"]: row["record_hash"] for row in world.rows(schema.entries)}
    assert stored == {i: hashlib.sha256(r).digest() for i, r in enumerate(records)}
    assert lg.root_at(len(records)) == ref.mth(records)
    sizes = checkpoint_sizes(world)
    roots = {}
    for size in sizes:
        cp = open_note(world, size)
        assert (cp.origin, cp.size) == (ORIGIN, size)
        assert cp.root == lg.root_at(size) == ref.mth(records[:size])
        roots[size] = cp.root
        for index in range(size):
            proof = lg.inclusion_proof(index, size)
            verify_inclusion(leaf_hash(records[index]), index, size, proof, cp.root)
    for old in sizes:
        for new in sizes:
            if old <= new:
                proof = lg.consistency_proof(old, new)
                verify_consistency(old, new, proof, roots[old], roots[new])


class TestHashChain:
    def test_each_record_names_the_hash_of_the_previous_one(self, history: World) -> None:
        verify_chain(history.records())

    def test_stored_record_hashes_match_the_records(self, history: World) -> None:
        for row in history.rows(schema.entries):
            assert row["record_hash"] == hashlib.sha256(row["record"]).digest()
            assert bytes(row["record"]) == history.ledger.record(row["idx"])

    def test_a_record_wraps_exactly_the_submitted_entry(self, world: World) -> None:
        raw = world.sign(
            "operator",
            "register_participant",
            world.participant_body("carol", ["holder"], "enterprise"),
        )
        (outcome,) = world.ledger.submit([raw])
        assert isinstance(outcome, Accepted)
        assert outcome.entry_hash == hashlib.sha256(raw).digest()
        record = parse_record(world.ledger.record(outcome.index))
        assert record.entry_raw == raw

    def test_unknown_index_is_not_found(self, world: World) -> None:
        with pytest.raises(ledger.errors.NotFound):
            world.ledger.record(world.ledger.size)


class TestCheckpoints:
    def test_every_checkpoint_verifies_under_the_log_key(self, history: World) -> None:
        sizes = checkpoint_sizes(history)
        assert len(sizes) >= 5
        for size in sizes:
            row = history.row(schema.checkpoints, size=size)
            assert row is not None
            cp = open_note(history, size)
            assert cp.size == size and cp.root == row["root"]

    def test_root_at_matches_the_checkpoints_and_a_reference_tree(self, history: World) -> None:
        records = history.records()
        for size in range(len(records) + 1):
            assert history.ledger.root_at(size) == ref.mth(records[:size])
        for size in checkpoint_sizes(history):
            assert open_note(history, size).root == history.ledger.root_at(size)

    def test_latest_checkpoint_is_the_largest(self, history: World) -> None:
        assert open_note(history).size == max(checkpoint_sizes(history)) == history.ledger.size

    def test_checkpoint_does_not_verify_under_another_key(self, history: World) -> None:
        other = NoteSigner.generate(ORIGIN).verifier()
        with pytest.raises(SignatureInvalid):
            open_checkpoint(history.ledger.checkpoint(), other)

    def test_sealing_without_new_entries_makes_no_checkpoint(self, history: World) -> None:
        before = checkpoint_sizes(history)
        assert history.ledger.seal() is None
        assert checkpoint_sizes(history) == before

    def test_a_checkpoint_is_sealed_once_enough_entries_are_unsealed(self, ledger_url: str) -> None:
        world = build_world(ledger_url, seal_every=4)
        try:
            start = world.ledger.size
            assert checkpoint_sizes(world) == [1, start]
            for i in range(9):
                world.add_participant(f"p{i}")
            assert checkpoint_sizes(world) == [1, start, start + 4, start + 8]
            assert world.ledger.sealed_size == start + 8
        finally:
            world.close()


class TestProofs:
    def test_every_entry_and_every_pair_of_checkpoints_verify(self, history: World) -> None:
        verify_log(history)

    def test_inclusion_proof_does_not_verify_a_neighbouring_entry(self, history: World) -> None:
        lg, records = history.ledger, history.records()
        size = lg.size
        for index in range(size - 1):
            proof = lg.inclusion_proof(index, size)
            with pytest.raises(RootMismatch):
                verify_inclusion(
                    leaf_hash(records[index + 1]), index, size, proof, lg.root_at(size)
                )

    def test_consistency_proof_does_not_verify_against_a_wrong_old_root(
        self, history: World
    ) -> None:
        lg = history.ledger
        sizes = checkpoint_sizes(history)
        old, new = sizes[1], sizes[-1]
        proof = lg.consistency_proof(old, new)
        with pytest.raises(RootMismatch):
            verify_consistency(old, new, proof, lg.root_at(old - 1), lg.root_at(new))


class TestReopen:
    def test_reopened_ledger_continues_the_chain(self, history: World) -> None:
        size, root = history.ledger.size, history.ledger.root_at(history.ledger.size)
        last = history.ledger.record(size - 1)
        old_cp = open_note(history)
        reopened = history.reopen()
        assert (reopened.size, reopened.sealed_size) == (size, size)
        assert reopened.root_at(size) == root
        batch = history.rows(schema.batches)[0]["id"]
        event = history.accept(
            "alice",
            "transfer",
            {"from_account": "alice", "to_account": "bob", "lots": lots(batch, 100)},
        )
        assert event.index == size
        assert parse_record(reopened.record(size)).prev_hash == hashlib.sha256(last).digest()
        reopened.seal()
        new_cp = open_note(history)
        verify_consistency(
            old_cp.size,
            new_cp.size,
            reopened.consistency_proof(old_cp.size, new_cp.size),
            old_cp.root,
            new_cp.root,
        )
        verify_log(history)

    def test_reopened_ledger_keeps_balances_and_sequence_numbers(self, history: World) -> None:
        batch = history.rows(schema.batches)[0]["id"]
        held = history.held("bob", batch)
        bob = history["bob"]
        history.reopen()
        stale = bob.sign(
            history.ledger.origin,
            "transfer",
            {"from_account": "bob", "to_account": "alice", "lots": lots(batch, 1)},
            seq=bob.seq,
        )
        assert history.reject_raw(stale).code == "replayed_sequence"
        assert history.reject(
            "bob",
            "transfer",
            {"from_account": "bob", "to_account": "alice", "lots": lots(batch, held + 1)},
        ) == ("insufficient_credits")
        history.accept(
            "bob",
            "transfer",
            {"from_account": "bob", "to_account": "alice", "lots": lots(batch, held)},
        )

    def test_a_ledger_opened_without_a_signer_refuses_entries(self, history: World) -> None:
        reader = Ledger.open(history.url)
        try:
            assert reader.size == history.ledger.size
            with pytest.raises(RuleViolation) as caught:
                reader.submit([history.sign("alice", "open_account", {"id": "x"})])
            assert caught.value.code == "read_only"
        finally:
            reader.close()


class TestIdempotency:
    def resubmit(self, world: World, raw: bytes, index: int) -> None:
        """Submit ``raw`` again: it must be acknowledged at ``index`` and write nothing."""
        before, size = world.snapshot(), world.ledger.size
        (outcome,) = world.ledger.submit([raw])
        assert isinstance(outcome, Accepted), outcome
        assert (outcome.index, outcome.duplicate, outcome.event) == (index, True, None)
        assert outcome.entry_hash == hashlib.sha256(raw).digest()
        assert world.snapshot() == before
        assert world.ledger.size == size

    def test_resubmitted_entry_returns_its_index_and_writes_nothing(self, world: World) -> None:
        batch = world.issue(100)
        raw = world.sign(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 10)},
        )
        index = world.accept_raw(raw).index
        self.resubmit(world, raw, index)
        self.resubmit(world, raw, index)
        assert world.held("alice", batch) == 10

    def test_the_same_entry_twice_in_one_group_is_applied_once(self, world: World) -> None:
        batch = world.issue(100)
        raw = world.sign(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 10)},
        )
        first, second = world.ledger.submit([raw, raw])
        assert isinstance(first, Accepted) and isinstance(second, Accepted)
        assert (second.index, second.duplicate) == (first.index, True)
        assert world.held("alice", batch) == 10
        assert world.ledger.size == first.index + 1

    def test_resubmission_after_a_restart_is_recognised(self, world: World) -> None:
        raw = world.sign("platform", "open_account", {"id": "u-1"})
        index = world.accept_raw(raw).index
        world.reopen()
        self.resubmit(world, raw, index)

    def test_resubmission_after_the_signer_rotated_its_key_is_recognised(
        self, world: World
    ) -> None:
        raw = world.sign("platform", "open_account", {"id": "u-1"})
        index = world.accept_raw(raw).index
        platform = world["platform"]
        world.accept(
            "operator", "revoke_key", {"participant": "platform", "key_id": platform.key_id}
        )
        self.resubmit(world, raw, index)

    def test_resubmitted_genesis_is_recognised(self, world: World) -> None:
        self.resubmit(world, parse_record(world.ledger.record(0)).entry_raw, 0)

    def test_another_entry_with_a_used_sequence_number_is_no_duplicate(self, world: World) -> None:
        platform = world["platform"]
        world.accept(platform, "open_account", {"id": "u-1"})
        raw = platform.sign(world.ledger.origin, "open_account", {"id": "u-2"}, seq=platform.seq)
        assert world.reject_raw(raw).code == "replayed_sequence"


class TestGroups:
    def test_a_large_group_with_one_forged_signature_accepts_the_others(self, world: World) -> None:
        """Large groups have their signatures checked beside the rules and are re-applied."""
        count = WORKER_MIN_BATCH + 44
        raws = [world.sign("platform", "open_account", {"id": f"u-{i}"}) for i in range(count)]
        forged = 150
        entry = orjson.loads(raws[forged])
        sig = bytearray(base64.b64decode(entry["sigs"][0]["sig"]))
        sig[0] ^= 0x80
        entry["sigs"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
        raws[forged] = canonical.encode(entry)
        size = world.ledger.size
        outcomes = world.ledger.submit(raws)
        rejected = [i for i, o in enumerate(outcomes) if isinstance(o, Rejected)]
        assert rejected == [forged]
        forged_outcome = outcomes[forged]
        assert isinstance(forged_outcome, Rejected)
        assert forged_outcome.error.code == "bad_signature"
        indices = [o.index for o in outcomes if isinstance(o, Accepted)]
        assert indices == list(range(size, size + count - 1))
        opened = {row["id"] for row in world.rows(schema.accounts, custodian="platform")}
        assert opened == {f"u-{i}" for i in range(count)} - {f"u-{forged}"}
        verify_chain(world.records())

    def test_a_few_large_entries_go_to_the_worker_and_a_forged_one_is_refused(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A handful of signatures over large messages (bulk entries) is checked beside the
        rules too; a forged one is refused all the same."""
        monkeypatch.setattr(ledger.sigcheck, "WORKER_MIN_BYTES", 200)
        raws = [
            world.sign("platform", "open_accounts", {"ids": [f"v-{i}-{n}" for n in range(20)]})
            for i in range(3)
        ]
        entry = orjson.loads(raws[1])
        sig = bytearray(base64.b64decode(entry["sigs"][0]["sig"]))
        sig[0] ^= 0x80
        entry["sigs"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
        raws[1] = canonical.encode(entry)
        started: list[int] = []
        real_start = world.ledger._checker.start

        def start(items: Any) -> Any:
            started.append(len(items))
            return real_start(items)

        monkeypatch.setattr(world.ledger._checker, "start", start)
        world.ledger._checker.close()  # no worker yet: one must be started for these three
        outcomes = world.ledger.submit(raws)
        assert started == [3] and world.ledger._checker._pool is not None  # the worker ran
        assert [type(o) for o in outcomes] == [Accepted, Rejected, Accepted]
        forged = outcomes[1]
        assert isinstance(forged, Rejected) and forged.error.code == "bad_signature"

    def test_a_group_with_one_bad_entry_accepts_the_others(self, world: World) -> None:
        batch = world.issue(100)
        size = world.ledger.size
        good1 = world.sign(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 10)},
        )
        bad = world.sign(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "bob", "lots": lots(batch, 1_000)},
        )
        good2 = world.sign(
            "owner",
            "retire",
            retirement("owner", batch, 5, name="x", jurisdiction="CN"),
        )
        garbage = b'{"not":"an entry"}'
        outcomes = world.ledger.submit([good1, bad, garbage, good2])
        assert [type(o) for o in outcomes] == [Accepted, Rejected, Rejected, Accepted]
        assert [o.index for o in outcomes if isinstance(o, Accepted)] == [size, size + 1]
        assert [o.error.code for o in outcomes if isinstance(o, Rejected)] == [
            "insufficient_credits",
            "invalid_input",
        ]
        assert parse_record(world.ledger.record(size)).entry_raw == good1
        assert parse_record(world.ledger.record(size + 1)).entry_raw == good2
        assert world.ledger.size == size + 2
        assert (
            world.held("owner", batch),
            world.held("alice", batch),
            world.held("bob", batch),
        ) == (85, 10, 0)
        assert world.supply(batch)["retired"] == 5
        verify_chain(world.records())

    def test_an_entry_relying_on_a_rejected_one_is_rejected_too(self, world: World) -> None:
        batch = world.issue(100)
        bad = world.sign(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "bob", "lots": lots(batch, 1_000)},
        )
        onward = world.sign(
            "bob",
            "transfer",
            {"from_account": "bob", "to_account": "alice", "lots": lots(batch, 1)},
        )
        outcomes = world.ledger.submit([bad, onward])
        assert [o.error.code for o in outcomes if isinstance(o, Rejected)] == [
            "insufficient_credits",
            "insufficient_credits",
        ]

    def test_an_all_rejected_group_writes_nothing(self, world: World) -> None:
        before, size = world.snapshot(), world.ledger.size
        outcomes = world.ledger.submit([b"x", world.sign("alice", "open_account", {"id": "u"})])
        assert all(isinstance(o, Rejected) for o in outcomes)
        assert world.snapshot() == before and world.ledger.size == size


def failing_write(real: Any) -> Any:
    """A ``write_changes`` that writes the first half of a group's changes, then fails."""

    def write(conn: Any, changes: Iterable[Change]) -> None:
        items = list(changes)
        assert items, "the group was expected to change state"
        real(conn, items[: len(items) // 2])
        raise OSError("disk full")

    return write


class TestCrash:
    @pytest.fixture
    def funded(self, world: World) -> Iterator[tuple[World, str]]:
        batch = world.issue(1_000, to="alice")
        world.ledger.seal()
        yield world, batch

    def group(self, world: World, batch: str) -> list[bytes]:
        return [
            world.sign(
                "alice",
                "transfer",
                {"from_account": "alice", "to_account": "bob", "lots": lots(batch, 100)},
            ),
            world.sign(
                "bob",
                "retire",
                retirement("bob", batch, 40),
            ),
            world.sign(
                "alice",
                "pledge",
                {"account": "alice", "lots": lots(batch, 300), "bank": "bank"},
                ["bank"],
            ),
        ]

    def test_failure_mid_flush_stores_nothing_and_the_ledger_carries_on(
        self, funded: tuple[World, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        world, batch = funded
        lg = world.ledger
        before, size, root = world.snapshot(), lg.size, lg.root_at(lg.size)
        raws = self.group(world, batch)
        monkeypatch.setattr(ledger.log, "write_changes", failing_write(write_changes))
        with pytest.raises(OSError, match="disk full"):
            lg.submit(raws, seal=True)
        monkeypatch.undo()
        assert world.snapshot() == before
        assert (lg.size, lg.sealed_size) == (size, size)
        # The in-memory head is back where it was: the same entries go in at the same places.
        outcomes = lg.submit(raws)
        assert [(type(o), getattr(o, "index", None)) for o in outcomes] == [
            (Accepted, size),
            (Accepted, size + 1),
            (Accepted, size + 2),
        ]
        assert not any(o.duplicate for o in outcomes if isinstance(o, Accepted))
        assert (
            parse_record(lg.record(size)).prev_hash == hashlib.sha256(lg.record(size - 1)).digest()
        )
        assert lg.root_at(size) == root
        assert (world.held("alice", batch), world.held("bob", batch)) == (600, 60)
        assert world.supply(batch) == {
            "issued": 1_000,
            "held": 660,
            "pledged": 300,
            "retired": 40,
            "cancelled": 0,
        }
        lg.seal()
        verify_log(world)

    def test_failure_after_sealing_stores_nothing_and_the_ledger_carries_on(
        self, funded: tuple[World, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        world, batch = funded
        lg = world.ledger
        before, size = world.snapshot(), lg.size
        written: list[int] = []

        def fail_after_sealing(conn: Connection, outcomes: list[Outcome]) -> None:
            c = schema.checkpoints
            written.extend(conn.execute(select(c.c.size).where(c.c.size == size + 3)).scalars())
            raise OSError("connection lost")

        raws = self.group(world, batch)
        with pytest.raises(OSError, match="connection lost"):
            lg.submit(raws, seal=True, before_commit=fail_after_sealing)
        assert written == [size + 3]  # the checkpoint was in the transaction that failed
        assert world.snapshot() == before
        assert (lg.size, lg.sealed_size) == (size, size)
        outcomes = lg.submit(raws, seal=True)
        assert all(isinstance(o, Accepted) and not o.duplicate for o in outcomes)
        assert checkpoint_sizes(world)[-1] == size + 3
        verify_log(world)

    def test_restart_after_a_failed_flush_sees_only_committed_entries(
        self, funded: tuple[World, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        world, batch = funded
        size = world.ledger.size
        raws = self.group(world, batch)
        monkeypatch.setattr(ledger.log, "write_changes", failing_write(write_changes))
        with pytest.raises(OSError):
            world.ledger.submit(raws)
        monkeypatch.undo()
        reopened = world.reopen()
        assert reopened.size == size
        outcomes = reopened.submit(raws)
        assert [o.index for o in outcomes if isinstance(o, Accepted)] == [size, size + 1, size + 2]
        verify_log(world)


class TestPipelinedWrites:
    """``begin`` applies a group while the one before it is still being written."""

    def transfers(self, world: World, batch: str, count: int, grams: int = 1) -> list[bytes]:
        return [
            world.sign(
                "alice",
                "transfer",
                {"from_account": "alice", "to_account": "bob", "lots": lots(batch, grams)},
            )
            for _ in range(count)
        ]

    def test_groups_begun_back_to_back_are_all_durable_in_order(self, world: World) -> None:
        batch = world.issue(1_000, to="alice")
        lg = world.ledger
        size = lg.size
        first = lg.begin(self.transfers(world, batch, 3))
        second = lg.begin(self.transfers(world, batch, 2, grams=5), seal=True)
        assert [o.index for o in first.wait() if isinstance(o, Accepted)] == [
            size,
            size + 1,
            size + 2,
        ]
        assert [o.index for o in second.wait() if isinstance(o, Accepted)] == [size + 3, size + 4]
        reopened = world.reopen()
        assert (reopened.size, reopened.sealed_size) == (size + 5, size + 5)
        assert (world.held("alice", batch), world.held("bob", batch)) == (987, 13)
        verify_log(world)

    def test_an_entry_resubmitted_while_its_group_is_written_is_a_duplicate(
        self, world: World
    ) -> None:
        batch = world.issue(1_000, to="alice")
        lg = world.ledger
        raws = self.transfers(world, batch, 2)
        first = lg.begin(raws)
        (again,) = lg.begin(raws[:1]).wait()
        assert isinstance(again, Accepted) and again.duplicate
        assert again.index == first.wait()[0].index  # type: ignore[union-attr]
        assert world.held("bob", batch) == 2

    def test_a_failed_write_undoes_its_group_and_the_one_applied_after_it(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        batch = world.issue(1_000, to="alice")
        lg = world.ledger
        lg.seal()
        before, size, root = world.snapshot(), lg.size, lg.root_at(lg.size)
        first_raws = self.transfers(world, batch, 3)
        second_raws = self.transfers(world, batch, 2, grams=7)
        failing = failing_write(write_changes)
        calls: list[int] = []

        def fail_once(conn: Any, changes: Iterable[Change]) -> None:
            calls.append(1)
            (failing if len(calls) == 1 else write_changes)(conn, changes)

        monkeypatch.setattr(ledger.log, "write_changes", fail_once)
        first = lg.begin(first_raws)
        with pytest.raises(OSError, match="disk full"):
            lg.begin(second_raws)
        with pytest.raises(OSError, match="disk full"):
            first.wait()
        assert world.snapshot() == before
        assert (lg.size, lg.sealed_size, lg.root_at(size)) == (size, size, root)
        outcomes = lg.submit(first_raws + second_raws, seal=True)
        assert [o.index for o in outcomes if isinstance(o, Accepted)] == list(range(size, size + 5))
        assert (world.held("alice", batch), world.held("bob", batch)) == (983, 17)
        verify_log(world)

    def test_the_next_group_reads_the_records_still_being_written_from_the_cache(
        self, world: World
    ) -> None:
        """With the cache evicted after every group, a group that moves credits a group still
        in flight just moved sees them: the records a group wrote stay cached until durable,
        and the rest is read from what is committed."""
        batch = world.issue(1_000, to="alice")
        lg = world.ledger
        lg.state.cache_limit = 1
        hop = world.sign(
            "alice",
            "transfer",
            {"from_account": "alice", "to_account": "bob", "lots": lots(batch, 300)},
        )
        onward = world.sign(
            "bob",
            "retire",
            retirement("bob", batch, 250),
        )
        first = lg.begin([hop])
        second = lg.begin([onward])
        assert all(isinstance(o, Accepted) for o in first.wait() + second.wait())
        lg.state.cache_limit = 200_000
        assert (world.held("alice", batch), world.held("bob", batch)) == (700, 50)
        assert world.supply(batch)["retired"] == 250
        verify_log(world)

    def test_records_a_group_appended_are_read_while_in_flight_and_after(
        self, world: World
    ) -> None:
        """Records a group appends (pledges) stay cached until the next group commits, then
        leave the cache: a group applied while they are written reads them from the cache,
        a later one from the database."""
        batch = world.issue(1_000, to="owner")
        lg = world.ledger
        size = lg.size
        pledges = [
            world.sign(
                "owner",
                "pledge",
                {"account": "owner", "lots": lots(batch, 100), "bank": "bank"},
                ["bank"],
            )
            for _ in range(2)
        ]
        first, second = f"PLG-{size}", f"PLG-{size + 1}"
        pledged = lg.begin(pledges)
        released = lg.begin([world.sign("bank", "release_pledge", {"pledge": first})])
        later = lg.begin([world.sign("bank", "enforce_pledge", {"pledge": second})])
        outcomes = pledged.wait() + released.wait() + later.wait()
        assert all(isinstance(o, Accepted) for o in outcomes), outcomes
        assert (world.row(schema.pledges, id=first) or {})["status"] == "released"
        assert (world.row(schema.pledges, id=second) or {})["status"] == "enforced"
        assert (world.held("owner", batch), world.held("bank", batch)) == (900, 100)
        verify_log(world)


class TestInterpreterLock:
    def test_a_writer_hands_the_lock_between_threads_often(self, world: World) -> None:
        # The writer thread takes the interpreter lock back after every statement it runs.
        default = 0.005
        sys.setswitchinterval(default)
        try:
            read_only = Ledger.open(world.url)
            read_only.close()
            assert sys.getswitchinterval() == default
            world.reopen()
            assert sys.getswitchinterval() == pytest.approx(ledger.log.SWITCH_INTERVAL_S)
        finally:
            sys.setswitchinterval(default)

    def test_a_writer_collects_young_objects_rarely_and_freezes_its_state(
        self, world: World
    ) -> None:
        default = (700, 10, 10)
        gc.set_threshold(*default)
        try:
            read_only = Ledger.open(world.url)
            read_only.close()
            assert gc.get_threshold() == default
            lg = world.reopen()
            assert gc.get_threshold() == ledger.state.GC_THRESHOLDS
            batch = world.issue(10)
            gc.unfreeze()  # objects frozen so far, some since freed by reference counting
            world.accept(
                "owner",
                "transfer",
                {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 1)},
            )
            assert gc.get_freeze_count() > 0  # what the group left is set aside
            lg.close()
            assert gc.get_freeze_count() == 0
        finally:
            gc.unfreeze()
            gc.set_threshold(*default)
