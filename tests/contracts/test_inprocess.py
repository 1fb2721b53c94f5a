"""The embedded chain kept in a journal: it replays to the same chain, refuses a journal that
does not, and has one writer at a time."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from contracts.client import AnchorClient
from contracts.errors import AnchorError, ChainJournalBusy, ChainJournalInvalid
from contracts.inprocess import InProcessChain, dev_key

ORIGIN = "carbonledger.test/inprocess"
ROOTS = [hashlib.sha256(f"root {n}".encode()).digest() for n in range(4)]


def populate(path: Path) -> tuple[str, list[tuple[int, int, int]]]:
    """A contract with three anchors; its address and each anchor's (size, block, time)."""
    with InProcessChain.open(path) as chain:
        client = chain.client()
        address = client.deploy()
        client.register_log(ORIGIN, [client.sender])
        anchored = []
        for size in (1, 2, 3):
            before = int(time.time())
            receipt = client.anchor(ORIGIN, size, ROOTS[size])
            held = client.checkpoint_at(ORIGIN, size)
            assert held is not None and held.timestamp >= before
            anchored.append((size, receipt.block_number, held.timestamp))
    return address, anchored


class TestJournal:
    def test_a_reopened_chain_holds_the_same_contract_anchors_blocks_and_times(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "chain.jsonl"
        address, anchored = populate(path)
        with InProcessChain.open(path) as chain:
            client = chain.client().at(address)
            for size, block, stamp in anchored:
                held = client.checkpoint_at(ORIGIN, size)
                assert held is not None
                assert (held.root, held.block_number, held.timestamp) == (
                    ROOTS[size],
                    block,
                    stamp,
                )
            # And it carries on from there.
            assert client.anchor(ORIGIN, 4, ROOTS[0]).block_number == anchored[-1][1] + 1
        lines = path.read_text().splitlines()
        assert json.loads(lines[0])["format"] == "carbonledger-evm-journal/1"
        assert len(lines) == 1 + 2 + 3 + 1  # header, deploy and register, four anchors

    def test_a_torn_last_line_is_ignored_and_cut_off_by_the_next_writer(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "chain.jsonl"
        address, _ = populate(path)
        whole = path.read_bytes()
        path.write_bytes(whole + b'{"block":9,"ti')
        with InProcessChain.open(path, read_only=True) as chain:
            assert chain.client().at(address).latest(ORIGIN) is not None
        with InProcessChain.open(path):
            pass
        assert path.read_bytes() == whole

    def test_a_journal_that_does_not_replay_as_recorded_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "chain.jsonl"
        populate(path)
        lines = path.read_text().splitlines()
        entry = json.loads(lines[-1])
        entry["block"] += 1
        path.write_text("\n".join([*lines[:-1], json.dumps(entry)]) + "\n")
        with pytest.raises(ChainJournalInvalid, match="replays as transaction"):
            InProcessChain.open(path)

    def test_a_file_that_is_not_a_journal_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "chain.jsonl"
        path.write_text('{"format": "something else"}\n')
        with pytest.raises(ChainJournalInvalid) as caught:
            InProcessChain.open(path)
        assert caught.value.code == "chain_journal_invalid"


class TestAccess:
    def test_one_writer_at_a_time(self, tmp_path: Path) -> None:
        path = tmp_path / "chain.jsonl"
        first = InProcessChain.open(path)
        try:
            with pytest.raises(ChainJournalBusy) as caught:
                InProcessChain.open(path)
            assert caught.value.code == "chain_journal_busy"
        finally:
            first.close()
        InProcessChain.open(path).close()

    def test_a_reader_replays_but_sends_nothing(self, tmp_path: Path) -> None:
        path = tmp_path / "chain.jsonl"
        address, _ = populate(path)
        journal = path.read_bytes()
        with InProcessChain.open(path, read_only=True) as chain:
            client = chain.client().at(address)
            latest = client.latest(ORIGIN)
            assert latest is not None and latest.size == 3
            with pytest.raises(AnchorError, match="read-only"):
                client.anchor(ORIGIN, 4, ROOTS[0])
        assert path.read_bytes() == journal

    def test_a_journaled_chain_wants_locally_signed_transactions(self, tmp_path: Path) -> None:
        with InProcessChain.open(tmp_path / "chain.jsonl") as chain:
            unlocked = AnchorClient(chain.w3, chain.client().signer).with_sender(
                list(chain.w3.eth.accounts)[1]
            )
            with pytest.raises(AnchorError, match="raw transactions only"):
                unlocked.deploy()

    def test_development_keys_are_the_funded_accounts(self) -> None:
        with InProcessChain.open() as chain:
            assert [chain.client(n).sender for n in (1, 2)] == list(chain.w3.eth.accounts)[:2]
        with pytest.raises(AnchorError):
            dev_key(11)
