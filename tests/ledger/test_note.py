"""C2SP signed notes: published vectors, round trips, malformed input, key strings, verification."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import (
    InsufficientSignatures,
    InvalidInput,
    LedgerError,
    MalformedNote,
    SignatureInvalid,
)
from ledger.keys import SigningKey
from ledger.note import (
    MAX_SIGNATURES,
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    is_valid_name,
    key_hash,
    open_note,
    sign_note,
    verify_note,
)

TESTDATA = Path(__file__).parent / "testdata"

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)


def load(directory: str) -> list[Any]:
    """Every case in a testdata directory, as pytest params named after their files."""
    paths = sorted((TESTDATA / directory).glob("*.json"))
    return [pytest.param(json.loads(p.read_text(encoding="utf-8")), id=p.stem) for p in paths]


def case_note(case: dict[str, Any]) -> bytes:
    if "note_base64" in case:
        return base64.b64decode(case["note_base64"])
    return str(case["note"]).encode()


def label(sig: NoteSignature) -> str:
    return f"{sig.name}+{sig.key_hash.hex()}"


class TestPublishedVectors:
    @pytest.mark.parametrize("case", load("notes"))
    def test_note_vector(self, case: dict[str, Any]) -> None:
        verifiers = [NoteVerifier.from_vkey(k) for k in case["verifier_keys"]]
        data, want = case_note(case), case["want"]
        if "error" in want:
            with pytest.raises(LedgerError) as info:
                open_note(data, verifiers, required=case["required"])
            assert info.value.code == want["error"]
            return
        verified = open_note(data, verifiers, required=case["required"])
        assert [label(s) for s in verified] == want["verified"]
        assert Note.parse(data).text == want["text"]

    @pytest.mark.parametrize("case", load("sign"))
    def test_signing_reproduces_published_note(self, case: dict[str, Any]) -> None:
        signer = NoteSigner.from_skey(case["signer_key"])
        assert signer.verifier().vkey() == case["verifier_key"]
        note = Note(case["text"])
        if case["existing_note"] is not None:
            note = Note.parse(case["existing_note"].encode())
        assert sign_note(note, signer).to_bytes().decode() == case["want_note"]

    @pytest.mark.parametrize("case", load("keys"))
    def test_key_string_vector(self, case: dict[str, Any]) -> None:
        parse = NoteVerifier.from_vkey if case["kind"] == "verifier" else NoteSigner.from_skey
        want = case["want"]
        if "error" in want:
            with pytest.raises(LedgerError) as info:
                parse(case["key"])
            assert info.value.code == want["error"]
            return
        key = parse(case["key"])
        assert (key.name, key.key_hash.hex()) == (want["name"], want["key_hash"])
        if isinstance(key, NoteSigner):
            assert key.skey() == case["key"]
            assert key.verifier().vkey() == want["verifier_key"]
        else:
            assert key.vkey() == case["key"]


def manglings(key: str) -> list[str]:
    """Every proper substring of ``key`` and every one-character increment, as in Go's tests."""
    cut = {key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1)}
    cut.discard(key)
    bumped = {key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))}
    return sorted(cut | bumped)


class TestKeyStrings:
    def test_every_mangled_verifier_key_is_rejected(self) -> None:
        for bad in manglings(PETER_VKEY):
            with pytest.raises(InvalidInput):
                NoteVerifier.from_vkey(bad)

    def test_every_mangled_signer_key_is_rejected(self) -> None:
        for bad in manglings(PETER_SKEY):
            with pytest.raises(InvalidInput):
                NoteSigner.from_skey(bad)

    def test_generated_keys_round_trip(self) -> None:
        signer = NoteSigner.generate("carbonledger.example/log")
        again = NoteSigner.from_skey(signer.skey())
        assert again == signer
        assert NoteVerifier.from_vkey(signer.verifier().vkey()) == signer.verifier()

    def test_key_hash_follows_the_spec_formula(self) -> None:
        signer = NoteSigner.generate("example.com/log")
        pub = signer.key.verifying_key.raw
        want = hashlib.sha256(b"example.com/log\n\x01" + pub).digest()[:4]
        assert signer.key_hash == want == key_hash("example.com/log", 0x01, pub)

    def test_uppercase_key_hash_is_rejected(self) -> None:
        with pytest.raises(InvalidInput, match="lowercase hex"):
            NoteVerifier.from_vkey(PETER_VKEY.replace("c74f20a3", "C74F20A3"))

    def test_verifier_with_mismatched_key_hash_is_rejected(self) -> None:
        vk = NoteSigner.generate("a").key.verifying_key
        with pytest.raises(InvalidInput, match="does not match"):
            NoteVerifier("a", bytes(4), vk)

    @pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u00a0b", "a\u2028b", "a\x01b"])
    def test_invalid_signer_name_is_rejected(self, name: str) -> None:
        with pytest.raises(InvalidInput, match="invalid key name"):
            NoteSigner(name, SigningKey.generate())


class TestNames:
    @pytest.mark.parametrize("name", ["PeterNeumann", "example.com/log", "oid/1.3.6.1", "é—x"])
    def test_valid_names(self, name: str) -> None:
        assert is_valid_name(name)

    @pytest.mark.parametrize(
        "name", ["", " ", "a b", "a+b", "a\tb", "a\u3000b", "a\u0085b", "a\ud800b"]
    )
    def test_invalid_names(self, name: str) -> None:
        assert not is_valid_name(name)


texts = st.lists(
    st.text(
        st.characters(blacklist_categories=["Cs", "Cc"]),
        min_size=0,
        max_size=20,
    ),
    min_size=1,
    max_size=5,
).map(lambda lines: "".join(line + "\n" for line in lines))


class TestRoundTrip:
    @given(text=texts)
    def test_signed_note_parses_back_to_itself(self, text: str) -> None:
        signer = NoteSigner.from_skey(PETER_SKEY)
        note = sign_note(Note(text), signer)
        data = note.to_bytes()
        assert Note.parse(data) == note
        assert open_note(data, [signer.verifier()]) == list(note.signatures)

    def test_signature_line_round_trips(self) -> None:
        sig = NoteSignature("example.com/w", b"\x01\x02\x03\x04", b"signature bytes")
        assert NoteSignature.parse(sig.format()) == sig

    def test_resigning_replaces_the_signers_old_signature(self) -> None:
        signer = NoteSigner.from_skey(PETER_SKEY)
        stale = NoteSignature(signer.name, signer.key_hash, b"stale")
        other = NoteSignature("other.example", b"\0\0\0\0", b"kept")
        note = sign_note(Note(TEXT, (stale, other)), signer)
        assert [s.name for s in note.signatures] == ["other.example", "PeterNeumann"]
        assert note.signatures[1].signature != b"stale"

    def test_two_signers_sign_in_order(self) -> None:
        a, b = NoteSigner.generate("a.example"), NoteSigner.generate("b.example")
        data = sign_note(Note(TEXT), a, b).to_bytes()
        assert [s.name for s in open_note(data, [a.verifier(), b.verifier()], 2)] == [
            "a.example",
            "b.example",
        ]


class TestMalformed:
    @pytest.mark.parametrize(
        "text",
        ["", "no newline", "tab\there\n", "nul\x00\n", "cr\r\n", "lone \ud800 surrogate\n"],
        ids=["empty", "no-newline", "tab", "nul", "carriage-return", "surrogate"],
    )
    def test_invalid_text_is_rejected(self, text: str) -> None:
        with pytest.raises(MalformedNote):
            Note(text)

    def test_more_than_max_signatures_is_rejected(self) -> None:
        sig = NoteSignature("a", b"\0\0\0\0", b"s")
        with pytest.raises(MalformedNote, match="at most 100"):
            Note(TEXT, (sig,) * (MAX_SIGNATURES + 1))

    def test_unsigned_note_cannot_be_encoded(self) -> None:
        with pytest.raises(MalformedNote, match="at least one signature"):
            Note(TEXT).to_bytes()

    @pytest.mark.parametrize(
        "line",
        [
            "— a AAAAAAA=",
            "— a AAAAAAA=\n\n",
            "- a AAAAAAA=\n",
            "—a AAAAAAA=\n",
            "— aAAAAAAA=\n",
            "—  a AAAAAAA=\n",
            "— a  AAAAAAA=\n",
            "— a AAAAAAA\n",
            "— a AAAA\n",
            "— a \n",
            "— a+b AAAAAAA=\n",
            "— a AAAAAAA= \n",
        ],
        ids=[
            "no-newline",
            "two-newlines",
            "hyphen",
            "no-space-after-dash",
            "no-space-after-name",
            "empty-name",
            "double-space",
            "unpadded-base64",
            "only-key-hash",
            "empty-signature",
            "plus-in-name",
            "trailing-space",
        ],
    )
    def test_malformed_signature_line_is_rejected(self, line: str) -> None:
        with pytest.raises(MalformedNote):
            NoteSignature.parse(line)

    @pytest.mark.parametrize(
        ("name", "key_hash", "signature"),
        [("a b", b"\0" * 4, b"s"), ("a", b"\0" * 3, b"s"), ("a", b"\0" * 4, b"")],
        ids=["bad-name", "short-key-hash", "empty-signature"],
    )
    def test_invalid_signature_fields_are_rejected(
        self, name: str, key_hash: bytes, signature: bytes
    ) -> None:
        with pytest.raises(MalformedNote):
            NoteSignature(name, key_hash, signature)


@dataclass(frozen=True)
class FixedVerifier:
    """A stand-in trusted key that accepts or rejects everything."""

    name: str
    key_hash: bytes
    accept: bool = True

    def verify(self, text: bytes, signature: bytes) -> None:
        if not self.accept:
            raise SignatureInvalid(f"rejected by {self.name}")


class TestVerification:
    def signed(self, *signers: NoteSigner) -> bytes:
        return sign_note(Note(TEXT), *signers).to_bytes()

    def test_signature_sharing_only_the_name_is_ignored(self) -> None:
        real = NoteSigner.from_skey(PETER_SKEY)
        impostor = FixedVerifier(real.name, b"\0\0\0\0", accept=False)
        assert open_note(self.signed(real), [real.verifier(), impostor]) != []

    def test_signature_sharing_only_the_key_hash_is_ignored(self) -> None:
        real = NoteSigner.from_skey(PETER_SKEY)
        impostor = FixedVerifier("SomeoneElse", real.key_hash, accept=False)
        assert open_note(self.signed(real), [real.verifier(), impostor]) != []

    def test_failing_trusted_signature_rejects_the_whole_note(self) -> None:
        good, bad = NoteSigner.generate("good"), NoteSigner.generate("bad")
        data = self.signed(good, bad)
        refuses = FixedVerifier("bad", bad.key_hash, accept=False)
        with pytest.raises(SignatureInvalid) as info:
            open_note(data, [good.verifier(), refuses])
        assert info.value.code == "bad_signature"

    def test_too_few_signers_reports_got_and_want(self) -> None:
        a, b = NoteSigner.generate("a"), NoteSigner.generate("b")
        with pytest.raises(InsufficientSignatures) as info:
            open_note(self.signed(a), [a.verifier(), b.verifier()], required=2)
        assert (info.value.got, info.value.want) == (1, 2)

    def test_two_different_keys_with_one_name_and_hash_are_ambiguous(self) -> None:
        a = FixedVerifier("a", b"\0\0\0\0", accept=True)
        b = FixedVerifier("a", b"\0\0\0\0", accept=False)
        with pytest.raises(InvalidInput, match="ambiguous key a\\+00000000"):
            verify_note(Note(TEXT), [a, b])

    @pytest.mark.parametrize("required", [0, 2])
    def test_required_outside_trusted_key_count_is_rejected(self, required: int) -> None:
        signer = NoteSigner.generate("a")
        with pytest.raises(InvalidInput, match="required signatures"):
            open_note(self.signed(signer), [signer.verifier()], required=required)

    def test_no_trusted_keys_is_rejected(self) -> None:
        with pytest.raises(InvalidInput):
            open_note(self.signed(NoteSigner.generate("a")), [])

    def test_sign_note_without_signers_is_rejected(self) -> None:
        with pytest.raises(InvalidInput):
            sign_note(Note(TEXT))
