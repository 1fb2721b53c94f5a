"""The follower: a verified replica that stops, with an alarm and evidence, at the first lie.

The log is ``tests.node.fake_log.FakeLog`` over a real sequencer ``Ledger``; its knobs make it
serve forged checkpoints, edited records or bad proofs.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import CosignatureSigner, cosign
from ledger.errors import RuleViolation
from ledger.note import Note, NoteSigner, NoteVerifier
from node.errors import LogUnavailable, ReplicationHalted
from node.evidence import check_evidence, load_evidence
from node.follower import HALT_FILE, STATUS_FILE, Follower, FollowerConfig, open_replica
from tests.builders import ORIGIN, World, lots
from tests.databases import snapshot
from tests.ledger.test_log_follow import edit_record
from tests.node.fake_log import FakeLog


@pytest.fixture
def busy(world: World) -> World:
    batch = world.issue(10_000)
    world.accept(
        "owner",
        "transfer",
        {"from_account": "owner", "to_account": "alice", "lots": lots(batch, 3_000)},
    )
    world.ledger.seal()
    return world


@pytest.fixture
def log(busy: World) -> FakeLog:
    return FakeLog(busy.ledger)


class Followers:
    """Makes followers of the fake log over one replica database and state directory."""

    def __init__(self, log: FakeLog, world: World, replica_url: str, state_dir: Path) -> None:
        self.log, self.world = log, world
        self.config = FollowerConfig(
            log_url="http://log.test",
            log_vkey=world.ledger.log_vkey,
            db_url=replica_url,
            state_dir=state_dir,
            page_size=1000,
            poll_seconds=0.01,
        )
        self.made: list[Follower] = []

    def make(self, **changes: object) -> Follower:
        config = FollowerConfig(**{**self.config.__dict__, **changes})  # type: ignore[arg-type]
        follower = Follower(config, client=self.log.client())
        self.made.append(follower)
        return follower

    def close(self) -> None:
        for follower in self.made:
            follower.close()


@pytest.fixture
def followers(log: FakeLog, busy: World, replica_url: str, tmp_path: Path) -> Iterator[Followers]:
    made = Followers(log, busy, replica_url, tmp_path / "follower")
    yield made
    made.close()


def state_tables(engine: object) -> dict[str, object]:
    tables = snapshot(engine)  # type: ignore[arg-type]
    del tables["checkpoints"]
    return tables


def forged(world: World, size: int, root: bytes = b"\x07" * 32) -> bytes:
    """A checkpoint signed with the real log key over a root the log never had."""
    return sign_checkpoint(Checkpoint(ORIGIN, size, root), world.signer)


def halted(follower: Follower) -> dict[str, object]:
    with pytest.raises(ReplicationHalted):
        follower.step()
    alarm = follower.status()["halted"]
    assert isinstance(alarm, dict)
    assert follower.status()["state"] == "halted"
    return alarm


def grow(world: World, transfers: int = 3) -> None:
    batch = world.issue(1_000)
    for _ in range(transfers):
        world.accept(
            "owner",
            "transfer",
            {"from_account": "owner", "to_account": "bob", "lots": lots(batch, 10)},
        )
    world.ledger.seal()


class TestReplication:
    def test_the_replica_has_the_sequencers_records_state_and_root(
        self, followers: Followers, busy: World
    ) -> None:
        follower = followers.make()
        assert follower.step() == busy.ledger.size
        assert follower.ledger.size == busy.ledger.size
        assert follower.ledger.root_at(follower.ledger.size) == busy.ledger.root_at(
            busy.ledger.size
        )
        assert follower.ledger.checkpoint() == busy.ledger.checkpoint()
        assert state_tables(follower.ledger.engine) == state_tables(busy.ledger.engine)

    def test_new_entries_are_fetched_after_a_consistency_check(
        self, followers: Followers, busy: World, log: FakeLog
    ) -> None:
        follower = followers.make()
        follower.step()
        old = follower.ledger.size
        grow(busy)
        log.requests.clear()
        assert follower.step() == busy.ledger.size - old
        assert "/v1/log/proofs/consistency" in log.requests
        assert state_tables(follower.ledger.engine) == state_tables(busy.ledger.engine)

    def test_pages_below_the_checkpoint_are_bound_to_it_by_proofs(
        self, followers: Followers, busy: World, log: FakeLog
    ) -> None:
        follower = followers.make(page_size=4)
        assert follower.step() == busy.ledger.size
        assert log.requests.count("/v1/log/entries") == -(-busy.ledger.size // 4)
        assert follower.ledger.root_at(busy.ledger.size) == busy.ledger.root_at(busy.ledger.size)

    def test_nothing_new_fetches_no_records(self, followers: Followers, log: FakeLog) -> None:
        follower = followers.make()
        follower.step()
        log.requests.clear()
        assert follower.step() == 0
        assert log.requests == ["/v1/log/checkpoint"]

    def test_a_restarted_follower_continues_from_its_database(
        self, followers: Followers, busy: World
    ) -> None:
        followers.make().step()
        grow(busy)
        again = followers.make()
        again.step()
        assert again.ledger.size == busy.ledger.size

    def test_an_unreachable_log_is_retried_not_an_alarm(
        self, followers: Followers, log: FakeLog, busy: World
    ) -> None:
        follower = followers.make()
        log.down = True
        with pytest.raises(LogUnavailable):
            follower.step()
        stop = threading.Event()
        runner = threading.Thread(target=follower.run, args=(stop,))
        runner.start()
        try:
            log.down = False
            for _ in range(500):
                if follower.ledger.size == busy.ledger.size:
                    break
                stop.wait(0.01)
        finally:
            stop.set()
            runner.join(10)
        assert follower.ledger.size == busy.ledger.size
        assert follower.status()["halted"] is None

    def test_the_status_file_says_how_far_it_is(self, followers: Followers, busy: World) -> None:
        follower = followers.make()
        follower.step()
        status = json.loads((followers.config.state_dir / STATUS_FILE).read_text())
        assert status["size"] == status["log_size"] == busy.ledger.size
        assert status["state"] == "replicating"

    def test_a_database_replicating_another_log_is_refused(
        self, followers: Followers, replica_url: str
    ) -> None:
        followers.make().step()
        other = NoteSigner.generate("elsewhere.example/log").verifier().vkey()
        with pytest.raises(RuleViolation) as caught:
            open_replica(replica_url, "elsewhere.example/log", other)
        assert caught.value.code == "wrong_replica"


class TestWitnessPolicy:
    def test_a_checkpoint_without_enough_cosignatures_is_waited_for(
        self, followers: Followers, log: FakeLog, busy: World
    ) -> None:
        witness = CosignatureSigner.generate("witness.test/w1")
        follower = followers.make(witnesses=(witness.verifier(),), require_cosignatures=1)
        assert follower.step() == 0
        assert follower.status()["halted"] is None
        note = busy.ledger.checkpoint()
        parsed = Note.parse(note)
        line = cosign(Checkpoint.from_text(parsed.text), witness, 1_700_000_000)
        log.checkpoint_note = Note(parsed.text, (*parsed.signatures, line)).to_bytes()
        assert follower.step() == busy.ledger.size

    def test_a_bad_cosignature_from_a_trusted_witness_halts(
        self, followers: Followers, log: FakeLog, busy: World
    ) -> None:
        witness = CosignatureSigner.generate("witness.test/w1")
        follower = followers.make(witnesses=(witness.verifier(),), require_cosignatures=1)
        parsed = Note.parse(busy.ledger.checkpoint())
        other = Checkpoint(ORIGIN, 1, b"\x01" * 32)
        line = cosign(other, witness, 1_700_000_000)
        log.checkpoint_note = Note(parsed.text, (*parsed.signatures, line)).to_bytes()
        assert halted(follower)["code"] == "bad_cosignature"


class TestAlarms:
    def test_a_checkpoint_not_signed_by_the_trusted_key_halts(
        self, followers: Followers, log: FakeLog, busy: World
    ) -> None:
        follower = followers.make()
        root = busy.ledger.root_at(busy.ledger.size)
        log.checkpoint_note = sign_checkpoint(
            Checkpoint(ORIGIN, busy.ledger.size, root), NoteSigner.generate(ORIGIN)
        )
        assert halted(follower)["code"] == "bad_checkpoint"
        assert follower.ledger.size == 0

    def test_two_roots_for_one_size_are_a_split_view_with_evidence(
        self, followers: Followers, log: FakeLog, busy: World, caplog: pytest.LogCaptureFixture
    ) -> None:
        follower = followers.make()
        follower.step()
        log.checkpoint_note = forged(busy, busy.ledger.size)
        with caplog.at_level(logging.ERROR, logger="carbonledger.follower"):
            alarm = halted(follower)
        assert alarm["code"] == "split_view"
        assert "REPLICATION HALTED" in caplog.text
        evidence = load_evidence(Path(str(alarm["evidence"])))
        finding = check_evidence(evidence, NoteVerifier.from_vkey(busy.ledger.log_vkey))
        assert finding.kind == "split_view"
        assert finding.sizes == (busy.ledger.size,)

    def test_a_larger_checkpoint_inconsistent_with_the_last_halts_with_evidence(
        self, followers: Followers, log: FakeLog, busy: World
    ) -> None:
        follower = followers.make()
        follower.step()
        size = follower.ledger.size
        grow(busy)
        log.checkpoint_note = forged(busy, busy.ledger.size)
        alarm = halted(follower)
        assert alarm["code"] == "inconsistent_checkpoints"
        assert follower.ledger.size == size
        finding = check_evidence(
            load_evidence(Path(str(alarm["evidence"]))),
            NoteVerifier.from_vkey(busy.ledger.log_vkey),
        )
        assert finding.sizes == (size, busy.ledger.size)

    def test_a_smaller_checkpoint_with_another_root_halts(
        self, followers: Followers, log: FakeLog, busy: World
    ) -> None:
        follower = followers.make()
        follower.step()
        log.checkpoint_note = forged(busy, busy.ledger.size - 2)
        assert halted(follower)["code"] == "inconsistent_checkpoints"

    def test_an_older_honest_checkpoint_is_no_alarm(
        self, followers: Followers, log: FakeLog, busy: World
    ) -> None:
        follower = followers.make()
        follower.step()
        older = busy.ledger.size
        grow(busy)
        follower.step()
        log.checkpoint_note = busy.ledger.checkpoint(older)
        assert follower.step() == 0
        assert follower.status()["halted"] is None

    def test_an_edited_record_halts_before_anything_is_stored(
        self, followers: Followers, log: FakeLog, busy: World
    ) -> None:
        follower = followers.make()
        follower.step()
        size = follower.ledger.size
        grow(busy)
        log.records[size + 1] = edit_record(busy.ledger.record(size + 1), {"quantity": 999})
        alarm = halted(follower)
        assert alarm["code"] == "tampered_record"
        assert alarm["index"] == size + 1
        assert follower.ledger.size == size
        finding = check_evidence(
            load_evidence(Path(str(alarm["evidence"]))),
            NoteVerifier.from_vkey(busy.ledger.log_vkey),
        )
        assert finding.kind == "tampered_record"

    def test_records_that_do_not_give_the_signed_root_halt(
        self, followers: Followers, log: FakeLog, busy: World
    ) -> None:
        follower = followers.make()
        log.checkpoint_note = forged(busy, busy.ledger.size)
        assert halted(follower)["code"] == "records_do_not_match_checkpoint"
        assert follower.ledger.size == 0

    def test_a_bad_proof_for_a_page_halts(
        self, followers: Followers, log: FakeLog, busy: World
    ) -> None:
        follower = followers.make(page_size=4)
        log.proofs[(4, busy.ledger.size)] = [b"\x00" * 32] * 5
        assert halted(follower)["code"] == "records_do_not_match_checkpoint"
        assert follower.ledger.size == 0

    def test_a_halted_follower_stays_halted_after_a_restart(
        self, followers: Followers, log: FakeLog, busy: World
    ) -> None:
        follower = followers.make()
        follower.step()
        log.checkpoint_note = forged(busy, busy.ledger.size)
        halted(follower)
        assert (followers.config.state_dir / HALT_FILE).exists()
        log.checkpoint_note = None
        again = followers.make()
        log.requests.clear()
        assert again.status()["state"] == "halted"
        with pytest.raises(ReplicationHalted):
            again.step()
        assert log.requests == []
