"""The witness server: C2SP tlog-witness add-checkpoint over HTTP, state kept across restarts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import CosignatureSigner, verify_cosignature
from ledger.note import NoteSignature, NoteSigner, NoteVerifier
from ledger.witness_state import AddCheckpointRequest
from node.evidence import check_evidence, load_evidence
from node.witness import WitnessConfig, create_app, parse_log_option
from tests.builders import ORIGIN, World

WITNESS = "witness.test/w1"


@pytest.fixture
def witness_signer() -> CosignatureSigner:
    return CosignatureSigner.generate(WITNESS)


@pytest.fixture
def config(world: World, witness_signer: CosignatureSigner, tmp_path: Path) -> WitnessConfig:
    verifier = NoteVerifier.from_vkey(world.ledger.log_vkey)
    return WitnessConfig(witness_signer, {ORIGIN: verifier}, tmp_path / "witness")


@pytest.fixture
def http(config: WitnessConfig) -> Iterator[TestClient]:
    with TestClient(create_app(config)) as client:
        yield client


def request(old: int, note: bytes, proof: list[bytes] | None = None) -> bytes:
    return AddCheckpointRequest(old, tuple(proof or ()), note).to_bytes()


def grow(world: World, entries: int = 3) -> bytes:
    """Add entries, seal, and return the new checkpoint note."""
    for i in range(entries):
        world.add_participant(f"p{world.ledger.size}-{i}")
    note = world.ledger.seal()
    assert note is not None
    return note


def post(http: TestClient, body: bytes) -> tuple[int, str, str]:
    response = http.post("/add-checkpoint", content=body)
    return response.status_code, response.headers["content-type"], response.text


class TestCosigning:
    def test_a_first_checkpoint_from_size_zero_is_cosigned(
        self, http: TestClient, world: World, witness_signer: CosignatureSigner
    ) -> None:
        note = world.ledger.checkpoint()
        status, _, text = post(http, request(0, note))
        assert status == 200
        line = NoteSignature.parse(text)
        cp = Checkpoint.from_text(note.decode().split("\n\n")[0] + "\n")
        assert verify_cosignature(cp, line, witness_signer.verifier()) > 0

    def test_a_larger_checkpoint_with_a_good_proof_is_cosigned(
        self, http: TestClient, world: World
    ) -> None:
        old = world.ledger.sealed_size
        assert post(http, request(0, world.ledger.checkpoint()))[0] == 200
        note = grow(world)
        proof = world.ledger.consistency_proof(old, world.ledger.size)
        assert post(http, request(old, note, proof))[0] == 200

    def test_the_same_checkpoint_again_is_cosigned_again(
        self, http: TestClient, world: World
    ) -> None:
        note = world.ledger.checkpoint()
        size = world.ledger.sealed_size
        assert post(http, request(0, note))[0] == 200
        assert post(http, request(size, note))[0] == 200

    def test_the_state_survives_a_restart(self, config: WitnessConfig, world: World) -> None:
        size = world.ledger.sealed_size
        with TestClient(create_app(config)) as first:
            assert post(first, request(0, world.ledger.checkpoint()))[0] == 200
        with TestClient(create_app(config)) as second:
            assert post(second, request(0, grow(world))) == (409, "text/x.tlog.size", f"{size}\n")
            listed = second.get("/status").json()["logs"]
            assert [(log["origin"], log["size"]) for log in listed] == [(ORIGIN, size)]


class TestRefusals:
    def test_an_old_size_other_than_the_witnesss_is_a_conflict_with_its_size(
        self, http: TestClient, world: World
    ) -> None:
        size = world.ledger.sealed_size
        assert post(http, request(0, world.ledger.checkpoint()))[0] == 200
        note = grow(world)
        assert post(http, request(0, note)) == (409, "text/x.tlog.size", f"{size}\n")

    def test_a_bad_consistency_proof_is_unprocessable(self, http: TestClient, world: World) -> None:
        old = world.ledger.sealed_size
        assert post(http, request(0, world.ledger.checkpoint()))[0] == 200
        note = grow(world)
        proof = world.ledger.consistency_proof(old, world.ledger.size)
        proof[0] = bytes(32)
        assert post(http, request(old, note, proof))[0] == 422
        # Nothing was stored: the honest proof still goes through from the old size.
        good = world.ledger.consistency_proof(old, world.ledger.size)
        assert post(http, request(old, note, good))[0] == 200

    def test_a_checkpoint_not_signed_by_the_log_is_forbidden(
        self, http: TestClient, world: World
    ) -> None:
        cp = Checkpoint(ORIGIN, world.ledger.size, world.ledger.root_at(world.ledger.size))
        note = sign_checkpoint(cp, NoteSigner.generate(ORIGIN))
        assert post(http, request(0, note))[0] == 403

    def test_an_unknown_log_is_not_found(self, http: TestClient) -> None:
        other = NoteSigner.generate("elsewhere.example/log")
        note = sign_checkpoint(Checkpoint("elsewhere.example/log", 1, b"\x01" * 32), other)
        assert post(http, request(0, note))[0] == 404

    def test_a_malformed_request_is_a_bad_request(self, http: TestClient, world: World) -> None:
        assert post(http, b"old x\n\n" + world.ledger.checkpoint())[0] == 400
        assert post(http, b"garbage")[0] == 400

    def test_an_old_size_above_the_checkpoint_is_a_bad_request(
        self, http: TestClient, world: World
    ) -> None:
        note = world.ledger.checkpoint()
        assert post(http, request(world.ledger.size + 1, note))[0] == 400


class TestSplitView:
    def test_a_second_root_for_the_cosigned_size_is_kept_as_evidence_and_freezes_the_log(
        self, config: WitnessConfig, world: World
    ) -> None:
        size = world.ledger.sealed_size
        forged = sign_checkpoint(Checkpoint(ORIGIN, size, b"\x05" * 32), world.signer)
        with TestClient(create_app(config)) as http:
            assert post(http, request(0, world.ledger.checkpoint()))[0] == 200
            assert post(http, request(size, forged))[0] == 422
            frozen = http.get("/status").json()["logs"][0]["frozen"]
        evidence = load_evidence(Path(frozen["evidence"]))
        finding = check_evidence(evidence, NoteVerifier.from_vkey(world.ledger.log_vkey))
        assert (finding.kind, finding.sizes) == ("split_view", (size,))
        with TestClient(create_app(config)) as restarted:
            status, _, text = post(restarted, request(size, world.ledger.checkpoint()))
            assert status == 422
            assert "log_frozen" in text


class TestConfiguration:
    def test_a_log_option_names_its_origin_or_takes_the_keys_name(self, world: World) -> None:
        vkey = world.ledger.log_vkey
        assert parse_log_option(vkey)[0] == ORIGIN
        origin, verifier = parse_log_option(f"other.example/log={vkey}")
        assert (origin, verifier.vkey()) == ("other.example/log", vkey)
