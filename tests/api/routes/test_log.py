"""The log replication contract: checkpoints (with cosignatures), raw records and proofs, as
followers and witnesses use them."""

from __future__ import annotations

import base64
import hashlib
import time

import pytest
from fastapi.testclient import TestClient

from api.settings import WitnessConfig
from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.cosignature import CosignatureSigner, cosign, require_cosignatures
from ledger.entry import parse_record
from ledger.merkle.hashing import leaf_hash
from ledger.merkle.verify import verify_consistency, verify_inclusion
from ledger.note import Note, NoteVerifier
from ledger.storage import schema
from tests.api.conftest import serve
from tests.api.routes.test_entries import assert_problem
from tests.builders import World

NOTE_TYPE = "text/plain; charset=utf-8"


@pytest.fixture
def sealed(world: World) -> World:
    """The world with more entries, sealed at several sizes (through the API)."""
    with serve(world, seal_every=3, seal_ms=0) as client:
        for n in range(7):
            raw = world.sign("platform", "open_account", {"id": f"p-{n}"})
            client.post("/v1/entries", content=raw, headers={"content-type": "application/json"})
    return world


def b64(text: str) -> bytes:
    return base64.b64decode(text)


class TestCheckpoints:
    def test_latest_checkpoint_is_the_signed_note_as_text(
        self, sealed: World, client: TestClient
    ) -> None:
        response = client.get("/v1/log/checkpoint")
        assert response.status_code == 200
        assert response.headers["content-type"] == NOTE_TYPE
        info = client.get("/v1/log/info").json()
        verifier = NoteVerifier.from_vkey(info["log_vkey"])
        checkpoint = open_checkpoint(response.content, verifier, origin=info["origin"])
        assert checkpoint.size == info["sealed_size"]

    def test_checkpoint_at_a_sealed_size_and_404_elsewhere(
        self, sealed: World, client: TestClient
    ) -> None:
        sizes = [r["size"] for r in sealed.rows(schema.checkpoints)]
        assert len(sizes) >= 3
        note = client.get(f"/v1/log/checkpoints/{sizes[1]}")
        assert Checkpoint.from_text(Note.parse(note.content).text).size == sizes[1]
        unsealed = max(sizes) + 1000
        assert_problem(client.get(f"/v1/log/checkpoints/{unsealed}"), 404, "unknown_checkpoint")

    def test_time_based_seal_covers_a_partial_batch(self, world: World) -> None:
        with serve(world, seal_every=1000, seal_ms=30) as client:
            raw = world.sign("platform", "open_account", {"id": "p-t"})
            index = client.post(
                "/v1/entries", content=raw, headers={"content-type": "application/json"}
            ).json()["index"]
            deadline = time.monotonic() + 5
            while client.get("/v1/log/info").json()["sealed_size"] <= index:
                assert time.monotonic() < deadline, "no checkpoint sealed by time"
                time.sleep(0.02)


class TestRecords:
    def test_records_are_base64_and_chain(self, sealed: World, client: TestClient) -> None:
        records = client.get("/v1/log/entries", params={"start": 0, "limit": 5}).json()["records"]
        assert [r["index"] for r in records] == [0, 1, 2, 3, 4]
        prev = bytes(32)
        for item in records:
            record = parse_record(b64(item["record"]))
            assert record.index == item["index"] and record.prev_hash == prev
            prev = hashlib.sha256(b64(item["record"])).digest()

    def test_records_past_the_end_are_an_empty_page(
        self, sealed: World, client: TestClient
    ) -> None:
        size = client.get("/v1/log/info").json()["size"]
        assert client.get("/v1/log/entries", params={"start": size}).json() == {"records": []}
        tail = client.get("/v1/log/entries", params={"start": size - 2, "limit": 10}).json()
        assert [r["index"] for r in tail["records"]] == [size - 2, size - 1]

    @pytest.mark.parametrize("params", [{"limit": 1001}, {"limit": 0}, {"start": -1}])
    def test_out_of_range_paging_is_400(self, client: TestClient, params: dict[str, int]) -> None:
        assert_problem(client.get("/v1/log/entries", params=params), 400, "invalid_input")


class TestProofs:
    def test_inclusion_proof_verifies_against_its_root(
        self, sealed: World, client: TestClient
    ) -> None:
        size = client.get("/v1/log/info").json()["size"]
        proof = client.get("/v1/log/proofs/inclusion", params={"index": 5, "size": size}).json()
        assert (proof["index"], proof["size"]) == (5, size)
        record = b64(
            client.get("/v1/log/entries", params={"start": 5, "limit": 1}).json()["records"][0][
                "record"
            ]
        )
        path = [b64(h) for h in proof["proof"]]
        verify_inclusion(leaf_hash(record), 5, size, path, b64(proof["root"]))

    def test_consistency_proof_links_two_checkpoints(
        self, sealed: World, client: TestClient
    ) -> None:
        old, new = (r["size"] for r in sealed.rows(schema.checkpoints)[1:3])
        proof = client.get("/v1/log/proofs/consistency", params={"from": old, "to": new}).json()
        assert (proof["from"], proof["to"]) == (old, new)
        roots = {r["size"]: r["root"] for r in sealed.rows(schema.checkpoints)}
        verify_consistency(old, new, [b64(h) for h in proof["proof"]], roots[old], roots[new])

    @pytest.mark.parametrize(
        ("path", "params", "code"),
        [
            ("inclusion", {"index": 5, "size": 10**9}, "bad_size"),
            ("inclusion", {"index": 9, "size": 3}, "bad_index"),
            ("consistency", {"from": 5, "to": 10**9}, "bad_size"),
            ("consistency", {"from": 6, "to": 3}, "bad_size"),
        ],
    )
    def test_impossible_proofs_are_404(
        self, sealed: World, client: TestClient, path: str, params: dict[str, int], code: str
    ) -> None:
        assert_problem(client.get(f"/v1/log/proofs/{path}", params=params), 404, code)


class TestCosignatures:
    def test_witness_cosignature_is_verified_stored_and_served_with_the_note(
        self, sealed: World
    ) -> None:
        witness = CosignatureSigner.generate("witness.exchange.example")
        trusted = WitnessConfig(witness.verifier().vkey())
        with serve(sealed, witnesses=(trusted,)) as client:
            note = client.get("/v1/log/checkpoint").content
            checkpoint = Checkpoint.from_text(Note.parse(note).text)
            line = cosign(checkpoint, witness, int(time.time())).format()
            url = f"/v1/log/checkpoints/{checkpoint.size}/cosignatures"
            headers = {"content-type": "text/plain"}
            added = client.post(url, content=line.encode(), headers=headers)
            assert added.json() == {"size": checkpoint.size, "added": 1}
            assert client.post(url, content=line.encode(), headers=headers).json()["added"] == 0
            served = client.get("/v1/log/checkpoint").content
        assert served == note + line.encode()
        require_cosignatures(served, [witness.verifier()], 1)

    def test_cosignature_from_an_untrusted_witness_is_refused(self, sealed: World) -> None:
        stranger = CosignatureSigner.generate("stranger.example")
        with serve(sealed) as client:
            note = client.get("/v1/log/checkpoint").content
            checkpoint = Checkpoint.from_text(Note.parse(note).text)
            line = cosign(checkpoint, stranger, int(time.time())).format()
            before = sealed.snapshot()
            response = client.post(
                f"/v1/log/checkpoints/{checkpoint.size}/cosignatures",
                content=line.encode(),
                headers={"content-type": "text/plain"},
            )
            assert_problem(response, 403, "unknown_witness")
            assert sealed.snapshot() == before

    def test_cosignature_over_another_checkpoint_is_refused(self, sealed: World) -> None:
        witness = CosignatureSigner.generate("witness.example")
        with serve(sealed, witnesses=(WitnessConfig(witness.verifier().vkey()),)) as client:
            sizes = [r["size"] for r in sealed.rows(schema.checkpoints)]
            older = Checkpoint.from_text(
                Note.parse(client.get(f"/v1/log/checkpoints/{sizes[0]}").content).text
            )
            line = cosign(older, witness, int(time.time())).format()
            before = sealed.snapshot()
            response = client.post(
                f"/v1/log/checkpoints/{sizes[-1]}/cosignatures",
                content=line.encode(),
                headers={"content-type": "text/plain"},
            )
            assert_problem(response, 401, "bad_signature")
            assert sealed.snapshot() == before
