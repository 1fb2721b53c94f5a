"""The log's side of tlog-witness: old sizes, 409 retries, and checking what a witness returns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ledger.checkpoint import Checkpoint
from ledger.cosignature import CosignatureSigner, cosign
from ledger.errors import SignatureInvalid
from ledger.note import Note, NoteVerifier
from node.errors import WitnessRefused, WitnessUnavailable
from node.witness import WitnessConfig, create_app
from node.witness_client import WitnessClient, cosign_all
from tests.builders import ORIGIN, World

URL = "http://testserver"


@pytest.fixture
def signer() -> CosignatureSigner:
    return CosignatureSigner.generate("witness.test/w1")


@pytest.fixture
def http(world: World, signer: CosignatureSigner, tmp_path: Path) -> Iterator[TestClient]:
    logs = {ORIGIN: NoteVerifier.from_vkey(world.ledger.log_vkey)}
    with TestClient(create_app(WitnessConfig(signer, logs, tmp_path / "w"))) as client:
        yield client


class Proofs:
    """The ledger's consistency proofs, remembering which were asked for."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.asked: list[tuple[int, int]] = []

    def __call__(self, size1: int, size2: int) -> list[bytes]:
        self.asked.append((size1, size2))
        return self.world.ledger.consistency_proof(size1, size2)


def grow(world: World) -> bytes:
    world.add_participant(f"p{world.ledger.size}")
    note = world.ledger.seal()
    assert note is not None
    return note


def checkpoint(note: bytes) -> Checkpoint:
    return Checkpoint.from_text(Note.parse(note).text)


def answering(status: int, text: str, media: str = "text/plain") -> httpx.Client:
    """An HTTP client whose every request gets this answer."""

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text=text, headers={"Content-Type": media})

    return httpx.Client(transport=httpx.MockTransport(handle))


class TestOldSize:
    def test_a_first_request_from_size_zero_is_cosigned(
        self, http: TestClient, world: World, signer: CosignatureSigner
    ) -> None:
        client = WitnessClient(URL, signer.verifier(), http=http)
        note = world.ledger.checkpoint()
        line = client.cosign(note, Proofs(world))
        assert (line.name, line.key_hash) == (signer.name, signer.key_hash)
        assert client.known_size == checkpoint(note).size

    def test_later_requests_send_the_proof_from_the_last_cosigned_size(
        self, http: TestClient, world: World, signer: CosignatureSigner
    ) -> None:
        client = WitnessClient(URL, signer.verifier(), http=http)
        old = checkpoint(world.ledger.checkpoint()).size
        client.cosign(world.ledger.checkpoint(), Proofs(world))
        proofs = Proofs(world)
        client.cosign(grow(world), proofs)
        assert proofs.asked == [(old, world.ledger.size)]

    def test_a_wrong_guess_is_corrected_by_the_witnesss_409(
        self, http: TestClient, world: World, signer: CosignatureSigner
    ) -> None:
        WitnessClient(URL, signer.verifier(), http=http).cosign(
            world.ledger.checkpoint(), Proofs(world)
        )
        old = world.ledger.sealed_size
        forgetful = WitnessClient(URL, signer.verifier(), http=http)  # as after a restart
        proofs = Proofs(world)
        forgetful.cosign(grow(world), proofs)
        assert proofs.asked == [(old, world.ledger.size)]
        assert forgetful.known_size == world.ledger.size

    def test_a_witness_ahead_of_the_log_is_a_refusal(
        self, world: World, signer: CosignatureSigner
    ) -> None:
        http = answering(409, f"{world.ledger.size + 50}\n", "text/x.tlog.size")
        client = WitnessClient(URL, signer.verifier(), http=http)
        with pytest.raises(WitnessRefused) as caught:
            client.cosign(world.ledger.checkpoint(), Proofs(world))
        assert caught.value.status == 409


class TestAnswers:
    def test_a_cosignature_from_another_key_is_not_taken(
        self, world: World, signer: CosignatureSigner
    ) -> None:
        note = world.ledger.checkpoint()
        stranger = CosignatureSigner.generate("witness.test/w1")
        line = cosign(checkpoint(note), stranger, 1_700_000_000).format()
        client = WitnessClient(URL, signer.verifier(), http=answering(200, line))
        with pytest.raises(WitnessUnavailable):
            client.cosign(note, Proofs(world))

    def test_a_bad_cosignature_from_the_witnesss_key_is_refused(
        self, world: World, signer: CosignatureSigner
    ) -> None:
        note = world.ledger.checkpoint()
        other = Checkpoint(ORIGIN, 99, b"\x09" * 32)
        line = cosign(other, signer, 1_700_000_000).format()
        client = WitnessClient(URL, signer.verifier(), http=answering(200, line))
        with pytest.raises(SignatureInvalid):
            client.cosign(note, Proofs(world))

    def test_an_error_status_is_a_refusal_with_that_status(
        self, world: World, signer: CosignatureSigner
    ) -> None:
        client = WitnessClient(URL, signer.verifier(), http=answering(422, "bad proof\n"))
        with pytest.raises(WitnessRefused) as caught:
            client.cosign(world.ledger.checkpoint(), Proofs(world))
        assert caught.value.status == 422

    def test_an_unreachable_witness_is_unavailable(
        self, world: World, signer: CosignatureSigner
    ) -> None:
        client = WitnessClient("http://127.0.0.1:9", signer.verifier(), timeout=2)
        try:
            with pytest.raises(WitnessUnavailable):
                client.cosign(world.ledger.checkpoint(), Proofs(world))
        finally:
            client.close()

    def test_one_failing_witness_does_not_stop_the_others(
        self, http: TestClient, world: World, signer: CosignatureSigner
    ) -> None:
        good = WitnessClient(URL, signer.verifier(), http=http)
        other = CosignatureSigner.generate("witness.test/w2")
        bad = WitnessClient(URL, other.verifier(), http=answering(503, "down"))
        got, failed = cosign_all(world.ledger.checkpoint(), [bad, good], Proofs(world))
        assert [w.name for w, _ in got] == [signer.name]
        assert [w.name for w, _ in failed] == [other.name]
