"""C2SP tlog-cosignature v1: byte layout, key hashes, verification and k-of-n policies."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.cosignature import (
    CosignatureSigner,
    CosignatureVerifier,
    cosign,
    cosigned_message,
    require_cosignatures,
    split_cosignature,
    verify_cosignature,
)
from ledger.errors import (
    InsufficientSignatures,
    InvalidInput,
    LedgerError,
    MalformedNote,
    SignatureInvalid,
)
from ledger.keys import SigningKey
from ledger.note import Note, NoteSignature, NoteSigner, NoteVerifier, sign_note

TESTDATA = Path(__file__).parent / "testdata" / "cosignatures"
TIME = 1_700_000_000


def vector(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TESTDATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


def checkpoint(size: int = 10, *extensions: str) -> Checkpoint:
    return Checkpoint("carbonledger.example/log", size, bytes([size % 256]) * 32, extensions)


def cosigned(cp: Checkpoint, log: NoteSigner, *lines: NoteSignature) -> bytes:
    note = Note.parse(sign_checkpoint(cp, log))
    return Note(note.text, note.signatures + lines).to_bytes()


@pytest.fixture
def log() -> NoteSigner:
    return NoteSigner.generate("carbonledger.example/log")


@pytest.fixture
def witnesses() -> list[CosignatureSigner]:
    return [CosignatureSigner.generate(f"witness.example/w{i}") for i in range(1, 4)]


class TestPublishedVectors:
    def test_c2sp_example_layout(self) -> None:
        case = vector("c2sp-example")
        want = case["want"]
        note = Note.parse(case["note"].encode())
        cp = Checkpoint.from_text(note.text)
        assert (cp.origin, cp.size) == (want["origin"], want["size"])
        assert cp.root == base64.b64decode(want["root_base64"])
        witness = note.signatures[1]
        assert (witness.name, witness.key_hash.hex()) == (want["witness"], want["key_hash"])
        timestamp, sig = split_cosignature(witness.signature)
        assert timestamp == want["timestamp"]
        assert len(sig) == 64
        assert cosigned_message(cp.body(), timestamp).decode() == want["signed_message"]

    def test_timestamp_layout(self) -> None:
        case = vector("timestamp-layout")
        raw = base64.b64decode(case["signature_base64"])
        assert raw[:4].hex() == case["want"]["key_hash"]
        assert split_cosignature(raw[4:])[0] == case["want"]["timestamp"]

    def test_plain_note_signature_is_not_a_cosignature(self) -> None:
        case = vector("timestamp-wrong-type")
        with pytest.raises(LedgerError) as info:
            split_cosignature(base64.b64decode(case["signature_base64"])[4:])
        assert info.value.code == case["want"]["error"]

    def test_published_cosigner_vkey_uses_type_0x04_in_its_key_hash(self) -> None:
        case = vector("remora-vkey")
        verifier = CosignatureVerifier.from_vkey(case["key"])
        assert (verifier.name, verifier.key_hash.hex()) == (
            case["want"]["name"],
            case["want"]["key_hash"],
        )
        assert verifier.vkey() == case["key"]
        with pytest.raises(InvalidInput, match="want 0x01"):
            NoteVerifier.from_vkey(case["key"])


class TestLayout:
    def test_signed_message_is_header_time_and_whole_body(self) -> None:
        cp = checkpoint(5, "ext")
        want = b"cosignature/v1\ntime 1700000000\n" + cp.body()
        assert cosigned_message(cp.body(), TIME) == want

    def test_line_payload_is_timestamp_then_signature_of_the_message(self) -> None:
        signer = CosignatureSigner.generate("witness.example/w1")
        cp = checkpoint()
        line = cosign(cp, signer, TIME)
        assert line.key_hash == signer.key_hash
        assert len(line.signature) == 8 + 64
        assert line.signature[:8] == TIME.to_bytes(8, "big")
        signed = b"cosignature/v1\ntime %d\n" % TIME + cp.body()
        signer.key.verifying_key.verify(line.signature[8:], signed)

    def test_key_hash_uses_signature_type_0x04(self) -> None:
        key = SigningKey.generate()
        signer = CosignatureSigner("witness.example/w1", key)
        pub = key.verifying_key.raw
        assert signer.key_hash == hashlib.sha256(b"witness.example/w1\n\x04" + pub).digest()[:4]
        assert signer.key_hash != NoteSigner("witness.example/w1", key).key_hash

    def test_vkey_round_trips(self) -> None:
        verifier = CosignatureSigner.generate("witness.example/w1").verifier()
        assert CosignatureVerifier.from_vkey(verifier.vkey()) == verifier
        assert base64.b64decode(verifier.vkey().split("+", 2)[2])[0] == 0x04

    @pytest.mark.parametrize("timestamp", [0, 1, 2**63 - 1])
    def test_timestamps_in_range_round_trip(self, timestamp: int) -> None:
        signer = CosignatureSigner.generate("w")
        cp = checkpoint()
        assert verify_cosignature(cp, cosign(cp, signer, timestamp), signer.verifier()) == timestamp

    @pytest.mark.parametrize("timestamp", [-1, 2**63])
    def test_timestamps_out_of_range_are_rejected(self, timestamp: int) -> None:
        with pytest.raises(InvalidInput, match="out of range"):
            cosign(checkpoint(), CosignatureSigner.generate("w"), timestamp)

    def test_payload_with_timestamp_over_2_63_is_rejected(self) -> None:
        with pytest.raises(SignatureInvalid, match="exceeds"):
            split_cosignature(b"\x80" + bytes(7) + bytes(64))

    @pytest.mark.parametrize("size", [0, 64, 71, 73])
    def test_payload_of_wrong_size_is_rejected(self, size: int) -> None:
        with pytest.raises(SignatureInvalid, match="want 72"):
            split_cosignature(bytes(size))

    def test_verifier_with_mismatched_key_hash_is_rejected(self) -> None:
        vk = SigningKey.generate().verifying_key
        with pytest.raises(InvalidInput, match="does not match"):
            CosignatureVerifier("w", bytes(4), vk)

    def test_invalid_cosigner_name_is_rejected(self) -> None:
        with pytest.raises(InvalidInput):
            CosignatureSigner("witness w1", SigningKey.generate())


class TestVerifyCosignature:
    def test_tampered_timestamp_is_rejected(self) -> None:
        signer = CosignatureSigner.generate("w")
        cp = checkpoint()
        line = cosign(cp, signer, TIME)
        moved = NoteSignature(
            line.name, line.key_hash, (TIME + 1).to_bytes(8, "big") + line.signature[8:]
        )
        with pytest.raises(SignatureInvalid):
            verify_cosignature(cp, moved, signer.verifier())

    def test_other_checkpoint_is_rejected(self) -> None:
        signer = CosignatureSigner.generate("w")
        line = cosign(checkpoint(10), signer, TIME)
        with pytest.raises(SignatureInvalid):
            verify_cosignature(checkpoint(11), line, signer.verifier())

    def test_extension_lines_are_covered(self) -> None:
        signer = CosignatureSigner.generate("w")
        line = cosign(checkpoint(10, "ext"), signer, TIME)
        with pytest.raises(SignatureInvalid):
            verify_cosignature(checkpoint(10, "exu"), line, signer.verifier())

    def test_cosignature_from_another_witness_is_rejected(self) -> None:
        a, b = CosignatureSigner.generate("a"), CosignatureSigner.generate("b")
        cp = checkpoint()
        with pytest.raises(SignatureInvalid, match="want b\\+"):
            verify_cosignature(cp, cosign(cp, a, TIME), b.verifier())

    def test_plain_note_signature_does_not_pass_as_cosignature(self, log: NoteSigner) -> None:
        # Same key and name, but signed as an ordinary note: the key hashes differ.
        key = SigningKey.generate()
        data = sign_note(Note(checkpoint().text()), NoteSigner("w", key)).to_bytes()
        with pytest.raises(InsufficientSignatures):
            require_cosignatures(data, [CosignatureSigner("w", key).verifier()], 1)


class TestRequireCosignatures:
    def test_k_of_n_met_returns_names_and_timestamps(
        self, log: NoteSigner, witnesses: list[CosignatureSigner]
    ) -> None:
        cp = checkpoint()
        data = cosigned(cp, log, cosign(cp, witnesses[0], TIME), cosign(cp, witnesses[2], TIME + 5))
        got = require_cosignatures(data, [w.verifier() for w in witnesses], 2)
        assert got == [("witness.example/w1", TIME), ("witness.example/w3", TIME + 5)]
        assert open_checkpoint(data, log.verifier()) == cp

    def test_k_of_n_not_met_is_rejected(
        self, log: NoteSigner, witnesses: list[CosignatureSigner]
    ) -> None:
        cp = checkpoint()
        data = cosigned(cp, log, cosign(cp, witnesses[0], TIME), cosign(cp, witnesses[1], TIME))
        with pytest.raises(InsufficientSignatures) as info:
            require_cosignatures(data, [w.verifier() for w in witnesses], 3)
        assert (info.value.got, info.value.want, info.value.code) == (
            2,
            3,
            "insufficient_signatures",
        )

    def test_no_cosignatures_is_rejected(
        self, log: NoteSigner, witnesses: list[CosignatureSigner]
    ) -> None:
        with pytest.raises(InsufficientSignatures):
            require_cosignatures(cosigned(checkpoint(), log), [witnesses[0].verifier()], 1)

    def test_one_bad_cosignature_rejects_the_note(
        self, log: NoteSigner, witnesses: list[CosignatureSigner]
    ) -> None:
        cp = checkpoint()
        stale = cosign(checkpoint(9), witnesses[1], TIME)
        data = cosigned(cp, log, cosign(cp, witnesses[0], TIME), stale)
        with pytest.raises(SignatureInvalid) as info:
            require_cosignatures(data, [w.verifier() for w in witnesses], 1)
        assert info.value.code == "bad_signature"

    def test_unknown_witnesses_are_ignored(
        self, log: NoteSigner, witnesses: list[CosignatureSigner]
    ) -> None:
        cp = checkpoint()
        stranger = CosignatureSigner.generate("stranger.example")
        data = cosigned(cp, log, cosign(cp, stranger, TIME), cosign(cp, witnesses[0], TIME))
        assert require_cosignatures(data, [witnesses[0].verifier()], 1) == [
            ("witness.example/w1", TIME)
        ]

    def test_a_witness_cosigning_twice_counts_once_with_latest_time(
        self, log: NoteSigner, witnesses: list[CosignatureSigner]
    ) -> None:
        cp = checkpoint()
        w = witnesses[0]
        data = cosigned(cp, log, cosign(cp, w, TIME + 9), cosign(cp, w, TIME))
        verifiers = [v.verifier() for v in witnesses]
        assert require_cosignatures(data, verifiers, 1) == [("witness.example/w1", TIME + 9)]
        with pytest.raises(InsufficientSignatures):
            require_cosignatures(data, verifiers, 2)

    def test_a_witness_listed_with_two_keys_counts_once(self, log: NoteSigner) -> None:
        old, new = CosignatureSigner.generate("w"), CosignatureSigner.generate("w")
        cp = checkpoint()
        data = cosigned(cp, log, cosign(cp, old, TIME), cosign(cp, new, TIME + 1))
        verifiers = [old.verifier(), new.verifier()]
        assert require_cosignatures(data, verifiers, 1) == [("w", TIME + 1)]
        with pytest.raises(InvalidInput, match="1 to 1 witnesses"):
            require_cosignatures(data, verifiers, 2)

    @pytest.mark.parametrize("k", [0, 4])
    def test_k_outside_witness_count_is_rejected(
        self, log: NoteSigner, witnesses: list[CosignatureSigner], k: int
    ) -> None:
        with pytest.raises(InvalidInput, match="required cosignatures"):
            require_cosignatures(cosigned(checkpoint(), log), [w.verifier() for w in witnesses], k)

    def test_note_that_is_not_a_checkpoint_is_rejected(
        self, witnesses: list[CosignatureSigner]
    ) -> None:
        signer = NoteSigner.generate("x")
        data = sign_note(Note("not a checkpoint\n"), signer).to_bytes()
        with pytest.raises(MalformedNote):
            require_cosignatures(data, [witnesses[0].verifier()], 1)
