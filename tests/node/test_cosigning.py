"""Witnessing beside the sequencer: cosignatures fetched after a seal, stored, served, counted."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ledger.checkpoint import open_checkpoint
from ledger.cosignature import CosignatureSigner, require_cosignatures
from ledger.errors import InsufficientSignatures
from ledger.note import NoteVerifier
from ledger.storage.cosignatures import cosigned_note
from node.cosigning import Witnessing
from node.witness import WitnessConfig, create_app
from node.witness_client import WitnessClient
from tests.builders import ORIGIN, World


class Witnesses:
    """Two witness servers in process, and clients that count the requests they make."""

    def __init__(self, world: World, directory: Path, stack: ExitStack) -> None:
        self.world = world
        self.signers = [CosignatureSigner.generate(f"witness.test/w{i}") for i in (1, 2)]
        logs = {ORIGIN: NoteVerifier.from_vkey(world.ledger.log_vkey)}
        self.apps = [
            stack.enter_context(TestClient(create_app(WitnessConfig(s, logs, directory / s.name))))
            for s in self.signers
        ]
        self.requests: list[tuple[str, int]] = []
        self.down: set[str] = set()

    def clients(self) -> list[WitnessClient]:
        return [
            WitnessClient("http://testserver", s.verifier(), http=self._counting(s.name, app))
            for s, app in zip(self.signers, self.apps, strict=True)
        ]

    def _counting(self, name: str, app: TestClient) -> httpx.Client:
        def handle(request: httpx.Request) -> httpx.Response:
            if name in self.down:
                raise httpx.ConnectError("down", request=request)
            response = app.post("/add-checkpoint", content=request.content)
            self.requests.append((name, response.status_code))
            return httpx.Response(
                response.status_code, content=response.content, headers=response.headers
            )

        return httpx.Client(transport=httpx.MockTransport(handle))


@pytest.fixture
def witnesses(world: World, tmp_path: Path) -> Iterator[Witnesses]:
    with ExitStack() as stack:
        yield Witnesses(world, tmp_path, stack)


def witnessing(world: World, witnesses: Witnesses) -> Witnessing:
    return Witnessing(world.ledger.engine, witnesses.clients(), retry_seconds=0.05)


def grow(world: World) -> None:
    world.add_participant(f"p{world.ledger.size}")
    world.ledger.seal()


class TestRounds:
    def test_the_latest_checkpoint_is_served_with_every_witnesss_cosignature(
        self, world: World, witnesses: Witnesses
    ) -> None:
        assert sorted(witnessing(world, witnesses).run_once()) == [
            "witness.test/w1",
            "witness.test/w2",
        ]
        note = cosigned_note(world.ledger.engine)
        signers = [s.verifier() for s in witnesses.signers]
        assert len(require_cosignatures(note, signers, 2)) == 2
        log_key = NoteVerifier.from_vkey(world.ledger.log_vkey)
        assert open_checkpoint(note, log_key).size == world.ledger.sealed_size

    def test_a_cosigned_checkpoint_is_not_asked_for_again(
        self, world: World, witnesses: Witnesses
    ) -> None:
        rounds = witnessing(world, witnesses)
        rounds.run_once()
        witnesses.requests.clear()
        assert rounds.run_once() == []
        assert witnesses.requests == []

    def test_a_witness_that_was_down_is_asked_again_next_round(
        self, world: World, witnesses: Witnesses
    ) -> None:
        rounds = witnessing(world, witnesses)
        witnesses.down.add("witness.test/w2")
        assert rounds.run_once() == ["witness.test/w1"]
        note = cosigned_note(world.ledger.engine)
        with pytest.raises(InsufficientSignatures):
            require_cosignatures(note, [s.verifier() for s in witnesses.signers], 2)
        witnesses.down.clear()
        assert rounds.run_once() == ["witness.test/w2"]

    def test_after_a_restart_the_last_cosigned_sizes_come_from_the_database(
        self, world: World, witnesses: Witnesses
    ) -> None:
        witnessing(world, witnesses).run_once()
        grow(world)
        witnesses.requests.clear()
        witnessing(world, witnesses).run_once()
        assert sorted(witnesses.requests) == [("witness.test/w1", 200), ("witness.test/w2", 200)]


class TestThread:
    def test_a_seal_wakes_the_thread_which_stores_the_cosignatures(
        self, world: World, witnesses: Witnesses
    ) -> None:
        rounds = witnessing(world, witnesses)
        rounds.start()
        try:
            grow(world)
            rounds.checkpoint_sealed()
            signers = [s.verifier() for s in witnesses.signers]
            deadline = time.monotonic() + 10
            while True:
                note = cosigned_note(world.ledger.engine)
                try:
                    require_cosignatures(note, signers, 2)
                    break
                except InsufficientSignatures:
                    assert time.monotonic() < deadline, "no cosignatures after 10 s"
                    time.sleep(0.02)
        finally:
            rounds.stop()
