"""Ed25519 key wrappers, the ledger's key id, and batch verification."""

from __future__ import annotations

import hashlib

import pytest

from ledger.errors import InvalidInput, SignatureInvalid
from ledger.keys import (
    PARALLEL_MIN_BATCH,
    SigningKey,
    VerifyingKey,
    key_id,
    verify_many,
    verify_one,
)

# RFC 8032 section 7.1, TEST 1 and TEST 2: seed, public key, message, signature.
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


class TestKeyId:
    def test_key_id_is_hex_of_first_8_bytes_of_sha256(self) -> None:
        # SHA-256 of 32 zero bytes starts 66687aadf862bd77.
        assert key_id(bytes(32)) == "66687aadf862bd77"

    def test_key_id_is_16_lowercase_hex_characters(self) -> None:
        pub = SigningKey.generate().verifying_key.raw
        got = key_id(pub)
        assert len(got) == 16
        assert got == hashlib.sha256(pub).digest()[:8].hex()

    def test_verifying_key_reports_its_key_id(self) -> None:
        vk = SigningKey.generate().verifying_key
        assert vk.key_id == key_id(vk.raw)

    @pytest.mark.parametrize("size", [0, 31, 33, 64])
    def test_key_id_of_wrong_size_key_is_rejected(self, size: int) -> None:
        with pytest.raises(InvalidInput, match=f"size {size}, want 32"):
            key_id(bytes(size))


class TestKnownAnswers:
    @pytest.mark.parametrize(("seed", "pub", "msg", "sig"), RFC8032, ids=["test-1", "test-2"])
    def test_rfc8032_vector_signs_and_verifies(
        self, seed: str, pub: str, msg: str, sig: str
    ) -> None:
        key = SigningKey.from_bytes(bytes.fromhex(seed))
        assert key.verifying_key.to_bytes() == bytes.fromhex(pub)
        assert key.sign(bytes.fromhex(msg)) == bytes.fromhex(sig)
        VerifyingKey.from_bytes(bytes.fromhex(pub)).verify(bytes.fromhex(sig), bytes.fromhex(msg))


class TestSigningAndVerifying:
    def test_signature_round_trips(self) -> None:
        key = SigningKey.generate()
        sig = key.sign(b"retire 5 tonnes")
        assert len(sig) == 64
        key.verifying_key.verify(sig, b"retire 5 tonnes")

    def test_changed_message_is_rejected(self) -> None:
        key = SigningKey.generate()
        sig = key.sign(b"retire 5 tonnes")
        with pytest.raises(SignatureInvalid) as info:
            key.verifying_key.verify(sig, b"retire 6 tonnes")
        assert info.value.code == "bad_signature"

    def test_changed_signature_is_rejected(self) -> None:
        key = SigningKey.generate()
        sig = bytearray(key.sign(b"m"))
        sig[10] ^= 1
        with pytest.raises(SignatureInvalid):
            key.verifying_key.verify(bytes(sig), b"m")

    def test_signature_by_another_key_is_rejected(self) -> None:
        sig = SigningKey.generate().sign(b"m")
        with pytest.raises(SignatureInvalid):
            SigningKey.generate().verifying_key.verify(sig, b"m")

    @pytest.mark.parametrize("size", [0, 63, 65])
    def test_wrong_size_signature_is_rejected(self, size: int) -> None:
        with pytest.raises(SignatureInvalid):
            SigningKey.generate().verifying_key.verify(bytes(size), b"m")

    def test_keys_round_trip_through_raw_bytes(self) -> None:
        key = SigningKey.generate()
        assert SigningKey.from_bytes(key.to_bytes()) == key
        vk = key.verifying_key
        assert VerifyingKey.from_bytes(vk.to_bytes()) == vk

    def test_repr_does_not_show_the_seed(self) -> None:
        key = SigningKey.from_bytes(bytes(range(32)))
        assert bytes(range(32)).hex() not in repr(key)
        assert repr(bytes(range(32))) not in repr(key)


class TestValidation:
    @pytest.mark.parametrize("size", [0, 31, 33])
    def test_wrong_size_seed_is_rejected(self, size: int) -> None:
        with pytest.raises(InvalidInput, match=f"size {size}, want 32"):
            SigningKey.from_bytes(bytes(size))

    @pytest.mark.parametrize("size", [0, 31, 33])
    def test_wrong_size_public_key_is_rejected(self, size: int) -> None:
        with pytest.raises(InvalidInput, match=f"size {size}, want 32"):
            VerifyingKey.from_bytes(bytes(size))

    def test_public_key_must_be_bytes(self) -> None:
        with pytest.raises(InvalidInput, match="must be bytes"):
            VerifyingKey("00" * 32)  # type: ignore[arg-type]


class TestVerifyMany:
    def make_items(self, count: int) -> list[tuple[bytes, bytes, bytes]]:
        keys = [SigningKey.generate() for _ in range(4)]
        items = []
        for i in range(count):
            key = keys[i % len(keys)]
            msg = f"entry {i}".encode()
            items.append((key.verifying_key.raw, key.sign(msg), msg))
        return items

    def test_empty_batch_gives_empty_list(self) -> None:
        assert verify_many([]) == []

    def test_small_batch_marks_each_item(self) -> None:
        items = self.make_items(5)
        pub, sig, _ = items[2]
        items[2] = (pub, sig, b"tampered")
        assert verify_many(items) == [True, True, False, True, True]

    def test_large_batch_keeps_order_across_threads(self) -> None:
        items = self.make_items(2 * PARALLEL_MIN_BATCH + 7)
        bad = {0, 5, PARALLEL_MIN_BATCH, len(items) - 1}
        for i in bad:
            pub, sig, msg = items[i]
            items[i] = (pub, sig, msg + b"!")
        assert verify_many(items) == [i not in bad for i in range(len(items))]

    def test_malformed_items_are_false_not_errors(self) -> None:
        pub, sig, msg = self.make_items(1)[0]
        items = [(pub[:31], sig, msg), (pub, sig[:63], msg), (pub, sig + b"\0", msg)]
        assert verify_many(items) == [False, False, False]

    def test_verify_one_agrees_with_verifying_key(self) -> None:
        pub, sig, msg = self.make_items(1)[0]
        assert verify_one(pub, sig, msg)
        assert not verify_one(pub, sig, msg + b"x")
