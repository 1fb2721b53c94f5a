"""What every entry must pass before its operation runs: envelope, signatures, keys, sequence.

Each rejection here goes through ``World.reject_raw``, which also checks that no table changed.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from ledger import canonical
from ledger.client import Identity
from ledger.entry import build_entry
from ledger.errors import InvalidInput
from ledger.log import Accepted, Rejected
from ledger.storage import schema
from tests.builders import World, lots, sign_any_json


@pytest.fixture
def batch(world: World) -> str:
    """A batch of 1,000 g held by ``alice``."""
    return world.issue(1000, to="alice")


def move(batch: str, quantity: int = 1) -> dict[str, Any]:
    return {"from_account": "alice", "to_account": "bob", "lots": lots(batch, quantity)}


def reencode(raw: bytes, change: Any) -> bytes:
    """``raw`` decoded, changed in place by ``change``, and encoded canonically again."""
    value = orjson.loads(raw)
    change(value)
    return canonical.encode(value)


MALFORMED_ENVELOPES: dict[str, Callable[[Any], object]] = {
    "no-signatures-field": lambda e: e.pop("sigs"),
    "unknown-envelope-field": lambda e: e.update(extra=1),
    "no-sequence": lambda e: e["payload"].pop("seq"),
    "sequence-zero": lambda e: e["payload"].update(seq=0),
    "sequence-bool": lambda e: e["payload"].update(seq=True),
    "body-not-object": lambda e: e["payload"].update(body=[]),
    "op-not-string": lambda e: e["payload"].update(op=7),
    "empty-signatures": lambda e: e.update(sigs=[]),
    "five-signatures": lambda e: e.update(sigs=e["sigs"] * 5),
    "signature-not-base64": lambda e: e["sigs"][0].update(sig="not base64!"),
    "signature-unknown-field": lambda e: e["sigs"][0].update(extra="x"),
}


class TestEnvelope:
    def test_every_malformed_envelope_is_invalid_input(self, world: World, batch: str) -> None:
        for mutation, change in MALFORMED_ENVELOPES.items():
            raw = reencode(world.sign("alice", "transfer", move(batch)), change)
            assert world.reject_raw(raw).code == "invalid_input", mutation

    def test_first_signature_must_be_the_signers(self, world: World, batch: str) -> None:
        raw = world.sign("alice", "transfer", move(batch), ["bob"])
        assert world.reject_raw(reencode(raw, lambda e: e["sigs"].reverse())).code == (
            "invalid_input"
        )

    def test_a_participant_signs_at_most_once(self, world: World, batch: str) -> None:
        raw = world.sign("alice", "transfer", move(batch))
        twice = reencode(raw, lambda e: e.update(sigs=e["sigs"] * 2))
        assert world.reject_raw(twice).code == "invalid_input"

    def test_non_canonical_bytes_are_refused(self, world: World, batch: str) -> None:
        mangles: dict[str, Callable[[bytes], bytes]] = {
            "white-space": lambda r: r.replace(b'{"payload":', b'{ "payload":'),
            "keys-out-of-order": lambda r: r.replace(b'{"payload":', b'{"sigs":[],"payload":', 1),
            "truncated": lambda r: r[:-1],
            "byte-order-mark": lambda r: b"\xef\xbb\xbf" + r,
        }
        for mutation, mangle in mangles.items():
            error = world.reject_raw(mangle(world.sign("alice", "transfer", move(batch))))
            assert isinstance(error, InvalidInput), mutation
            assert error.code == "non_canonical_encoding", mutation

    def test_unknown_operation_is_rejected(self, world: World) -> None:
        assert world.reject("alice", "mint", {"quantity": 1}) == "unknown_operation"


class TestLedgerBinding:
    def test_entry_signed_for_another_ledger_is_rejected(self, world: World, batch: str) -> None:
        alice = world["alice"]
        raw = alice.sign("other.example/log", "transfer", move(batch))
        assert world.reject_raw(raw).code == "wrong_ledger"


class TestSignatures:
    def test_key_not_registered_is_rejected(self, world: World, batch: str) -> None:
        stranger = Identity.generate("alice")
        assert world.reject(stranger, "transfer", move(batch)) == "unknown_key"

    def test_key_of_another_participant_is_rejected(self, world: World, batch: str) -> None:
        posing = Identity("alice", world["bob"].key, seq=world["alice"].seq)
        assert world.reject(posing, "transfer", move(batch)) == "bad_signature"

    def test_signature_over_a_different_body_is_rejected(self, world: World, batch: str) -> None:
        raw = world.sign("alice", "transfer", move(batch, 1))
        tampered = reencode(raw, lambda e: e["payload"]["body"]["lots"][0].update(quantity=999))
        assert world.reject_raw(tampered).code == "bad_signature"

    def test_signature_with_flipped_bits_is_rejected(self, world: World, batch: str) -> None:
        def flip(entry: dict[str, Any]) -> None:
            sig = bytearray(base64.b64decode(entry["sigs"][0]["sig"]))
            sig[10] ^= 0x01
            entry["sigs"][0]["sig"] = base64.b64encode(bytes(sig)).decode()

        raw = reencode(world.sign("alice", "transfer", move(batch)), flip)
        assert world.reject_raw(raw).code == "bad_signature"

    def test_bad_cosignature_is_rejected(self, world: World) -> None:
        body = world.issue_body(100)
        issuer, verifier = world["issuer"], world["verifier"]
        issuer.seq += 1
        keys = [
            (issuer.participant, issuer.key_id, issuer.key),
            (verifier.participant, verifier.key_id, world["alice"].key),
        ]
        raw = build_entry(world.ledger.origin, "issue", "issuer", issuer.seq, body, keys)
        assert world.reject_raw(raw).code == "bad_signature"

    def test_cosignature_with_an_unregistered_key_is_rejected(self, world: World) -> None:
        impostor = Identity.generate("verifier")
        assert world.reject("issuer", "issue", world.issue_body(100), [impostor]) == ("unknown_key")

    def test_bad_signature_in_a_group_rejects_only_that_entry(
        self, world: World, batch: str
    ) -> None:
        good = world.sign("alice", "transfer", move(batch, 5))
        posing = Identity("bob", world["alice"].key, seq=world["bob"].seq)
        bad = world.sign(
            posing,
            "transfer",
            {"from_account": "bob", "to_account": "alice", "lots": lots(batch, 1)},
        )
        tampered = reencode(
            world.sign("alice", "transfer", move(batch, 1)),
            lambda e: e["payload"]["body"]["lots"][0].update(quantity=7),
        )
        outcomes = world.ledger.submit([good, bad, tampered])
        assert isinstance(outcomes[0], Accepted)
        assert [o.error.code for o in outcomes[1:] if isinstance(o, Rejected)] == [
            "bad_signature",
            "bad_signature",
        ]
        assert world.held("bob", batch) == 5


class TestSequence:
    def test_reused_sequence_number_is_rejected(self, world: World, batch: str) -> None:
        alice = world["alice"]
        world.accept(alice, "transfer", move(batch, 1))
        raw = alice.sign(world.ledger.origin, "transfer", move(batch, 2), seq=alice.seq)
        assert world.reject_raw(raw).code == "replayed_sequence"

    def test_lower_sequence_number_is_rejected(self, world: World, batch: str) -> None:
        alice = world["alice"]
        world.accept(alice, "transfer", move(batch, 1))
        world.accept(alice, "transfer", move(batch, 1))
        raw = alice.sign(world.ledger.origin, "transfer", move(batch, 3), seq=alice.seq - 1)
        assert world.reject_raw(raw).code == "replayed_sequence"

    def test_gaps_in_sequence_numbers_are_allowed(self, world: World, batch: str) -> None:
        alice = world["alice"]
        world.accept_raw(alice.sign(world.ledger.origin, "transfer", move(batch, 1), seq=10))
        world.accept_raw(alice.sign(world.ledger.origin, "transfer", move(batch, 1), seq=11))
        raw = alice.sign(world.ledger.origin, "transfer", move(batch, 1), seq=5)
        assert world.reject_raw(raw).code == "replayed_sequence"

    def test_a_rejected_entry_does_not_use_up_its_sequence_number(
        self, world: World, batch: str
    ) -> None:
        alice = world["alice"]
        bad = alice.sign(world.ledger.origin, "transfer", move(batch, 5000), seq=alice.seq + 1)
        assert world.reject_raw(bad).code == "insufficient_credits"
        good = alice.sign(world.ledger.origin, "transfer", move(batch, 5), seq=alice.seq + 1)
        world.accept_raw(good)

    def test_sequence_numbers_are_per_participant(self, world: World, batch: str) -> None:
        alice, bob = world["alice"], world["bob"]
        world.accept_raw(alice.sign(world.ledger.origin, "transfer", move(batch, 1), seq=50))
        world.accept_raw(
            bob.sign(
                world.ledger.origin,
                "transfer",
                {"from_account": "bob", "to_account": "alice", "lots": lots(batch, 1)},
                seq=1,
            )
        )


class TestStorableValues:
    """What every database can hold: 64-bit integers, text without NUL."""

    def test_sequence_number_beyond_64_bits_is_refused(self, world: World, batch: str) -> None:
        body = orjson.dumps(move(batch), option=orjson.OPT_SORT_KEYS)
        for seq in (2**63, 2**64 - 1):
            raw = sign_any_json(world.ledger.origin, "transfer", world["alice"], body, seq=seq)
            assert world.reject_raw(raw).code == "non_canonical_encoding", seq

    def test_body_integer_beyond_64_bits_is_refused(self, world: World, batch: str) -> None:
        cases = {
            "correct": {"corrects": 2**63, "action": "reverse_transfer", "reason": "r"},
            "transfer": {
                "from_account": "alice",
                "to_account": "bob",
                "lots": [{"batch": batch, "serial_start": 2**63, "serial_end": 2**63 + 1}],
            },
        }
        for op, body in cases.items():
            signer = world["regulator" if op == "correct" else "alice"]
            raw = sign_any_json(
                world.ledger.origin, op, signer, orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
            )
            assert world.reject_raw(raw).code == "non_canonical_encoding", op

    def test_largest_sequence_number_is_accepted_and_stored(self, world: World, batch: str) -> None:
        alice = world["alice"]
        world.accept_raw(alice.sign(world.ledger.origin, "transfer", move(batch), seq=2**63 - 1))
        row = world.row(schema.nonces, participant="alice")
        assert row is not None and row["last_seq"] == 2**63 - 1

    def test_long_digit_runs_inside_strings_are_fine(self, world: World, batch: str) -> None:
        body = {
            "account": "alice",
            "lots": lots(batch, 1),
            "beneficiary": {"name": "x", "identifier": "9" * 40},
            "purpose": "personal",
            "jurisdiction": "CN",
        }
        world.accept("alice", "retire", body)

    def test_nul_in_text_is_invalid_input(self, world: World, batch: str) -> None:
        retire = {
            "account": "alice",
            "lots": lots(batch, 1),
            "beneficiary": {"name": "x"},
            "purpose": "personal",
            "jurisdiction": "CN",
        }
        cases: dict[str, tuple[str, str, dict[str, Any]]] = {
            "beneficiary-name": (
                "alice",
                "retire",
                {**retire, "beneficiary": {"name": "Beijing\x00CBD"}},
            ),
            "long-note": ("alice", "retire", {**retire, "note": "donated\x00"}),
            "participant-name": (
                "operator",
                "register_participant",
                world.participant_body("carol", ["holder"], "enterprise", name="\x00"),
            ),
        }
        for case, (signer, op, body) in cases.items():
            assert world.reject(signer, op, body) == "invalid_input", case
