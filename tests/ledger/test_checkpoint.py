"""C2SP checkpoints: the body format, strict parsing, signing and opening."""

from __future__ import annotations

import base64

import pytest

from ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.errors import (
    InsufficientSignatures,
    InvalidInput,
    MalformedNote,
    SignatureInvalid,
    VerificationError,
)
from ledger.note import Note, NoteSigner, sign_note

# The example checkpoint of c2sp.org/tlog-checkpoint (CC BY 4.0, see testdata/README.md).
SPEC_TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
ROOT_B64 = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="


@pytest.fixture
def log() -> NoteSigner:
    return NoteSigner.generate("carbonledger.example/log")


def checkpoint(size: int = 10, *extensions: str) -> Checkpoint:
    return Checkpoint("carbonledger.example/log", size, bytes([size % 256]) * 32, extensions)


class TestBody:
    def test_spec_example_formats_exactly(self) -> None:
        cp = Checkpoint("example.com/behind-the-sofa", 20852163, SPEC_ROOT)
        assert cp.text() == SPEC_TEXT
        assert cp.body() == SPEC_TEXT.encode()

    def test_spec_example_parses(self) -> None:
        assert Checkpoint.from_text(SPEC_TEXT) == Checkpoint(
            "example.com/behind-the-sofa", 20852163, SPEC_ROOT
        )

    def test_extension_lines_follow_the_root(self) -> None:
        cp = checkpoint(3, "ext one", "ext two")
        assert cp.text().splitlines()[3:] == ["ext one", "ext two"]
        assert Checkpoint.from_text(cp.text()) == cp

    @pytest.mark.parametrize("size", [0, 1, 2**63, 2**64 - 1])
    def test_sizes_round_trip(self, size: int) -> None:
        cp = checkpoint(size)
        assert Checkpoint.from_text(cp.text()) == cp


class TestParseMalformed:
    @pytest.mark.parametrize(
        "text",
        [
            "example.com/log\n5\n",
            f"\n5\n{ROOT_B64}\n",
            f"example.com/log\n5\n{ROOT_B64}",
            f"example.com/log\n5\n{ROOT_B64}\n\n",
            f"example.com/log\n5\n{ROOT_B64}\n\next\n",
            f"example.com/log\n05\n{ROOT_B64}\n",
            f"example.com/log\n-5\n{ROOT_B64}\n",
            f"example.com/log\n+5\n{ROOT_B64}\n",
            f"example.com/log\n1_000\n{ROOT_B64}\n",
            f"example.com/log\n 5\n{ROOT_B64}\n",
            f"example.com/log\n\u0665\n{ROOT_B64}\n",
            f"example.com/log\nfive\n{ROOT_B64}\n",
            f"example.com/log\n{2**64}\n{ROOT_B64}\n",
            "example.com/log\n5\nThisIsn'tBase64\n",
            f"example.com/log\n5\n{ROOT_B64[:-1]}\n",
            "example.com/log\n5\n" + base64.b64encode(bytes(31)).decode() + "\n",
            "example.com/log\n5\n" + base64.b64encode(bytes(33)).decode() + "\n",
            f"example.com/log\n5\n{ROOT_B64[:-2]}J=\n",
            f"example.com/log\n5\n{ROOT_B64}\next\x01\n",
        ],
        ids=[
            "too-few-lines",
            "empty-origin",
            "missing-final-newline",
            "trailing-blank-line",
            "blank-line-before-extension",
            "leading-zero-size",
            "negative-size",
            "plus-sign-size",
            "underscore-size",
            "space-in-size",
            "non-ascii-digit-size",
            "word-size",
            "size-over-64-bits",
            "root-not-base64",
            "root-truncated-base64",
            "root-31-bytes",
            "root-33-bytes",
            "root-non-canonical-base64",
            "control-character",
        ],
    )
    def test_malformed_text_is_rejected(self, text: str) -> None:
        with pytest.raises(MalformedNote):
            Checkpoint.from_text(text)


class TestConstructorValidation:
    @pytest.mark.parametrize(
        ("origin", "size", "root", "extensions"),
        [
            ("", 1, bytes(32), ()),
            ("a\nb", 1, bytes(32), ()),
            ("a\tb", 1, bytes(32), ()),
            ("a", -1, bytes(32), ()),
            ("a", 2**64, bytes(32), ()),
            ("a", True, bytes(32), ()),
            ("a", 1, bytes(31), ()),
            ("a", 1, "00" * 32, ()),
            ("a", 1, bytes(32), ("",)),
            ("a", 1, bytes(32), ("x\ny",)),
        ],
        ids=[
            "empty-origin",
            "newline-in-origin",
            "control-in-origin",
            "negative-size",
            "size-over-64-bits",
            "bool-size",
            "short-root",
            "hex-string-root",
            "empty-extension",
            "multi-line-extension",
        ],
    )
    def test_invalid_fields_are_rejected(
        self, origin: str, size: int, root: bytes, extensions: tuple[str, ...]
    ) -> None:
        with pytest.raises(InvalidInput):
            Checkpoint(origin, size, root, extensions)


class TestSignAndOpen:
    def test_signed_checkpoint_opens(self, log: NoteSigner) -> None:
        cp = checkpoint(42, "extension")
        assert open_checkpoint(sign_checkpoint(cp, log), log.verifier()) == cp

    def test_signed_checkpoint_is_a_note_of_its_body(self, log: NoteSigner) -> None:
        cp = checkpoint(42)
        note = Note.parse(sign_checkpoint(cp, log))
        assert note.text.encode() == cp.body()
        assert [s.name for s in note.signatures] == [log.name]

    def test_other_signatures_are_ignored(self, log: NoteSigner) -> None:
        cp = checkpoint(7)
        note = sign_note(Note(cp.text()), log, NoteSigner.generate("witness.example/w1"))
        assert open_checkpoint(note.to_bytes(), log.verifier()) == cp

    def test_checkpoint_signed_by_another_key_is_rejected(self, log: NoteSigner) -> None:
        other = NoteSigner.generate(log.name)
        with pytest.raises(InsufficientSignatures):
            open_checkpoint(sign_checkpoint(checkpoint(), other), log.verifier())

    def test_tampered_size_is_rejected(self, log: NoteSigner) -> None:
        data = sign_checkpoint(checkpoint(10), log).replace(b"\n10\n", b"\n11\n", 1)
        with pytest.raises(SignatureInvalid) as info:
            open_checkpoint(data, log.verifier())
        assert info.value.code == "bad_signature"

    def test_tampered_signature_is_rejected(self, log: NoteSigner) -> None:
        note = Note.parse(sign_checkpoint(checkpoint(), log))
        sig = note.signatures[0]
        flipped = bytes([sig.signature[0] ^ 1]) + sig.signature[1:]
        forged = Note(note.text, (type(sig)(sig.name, sig.key_hash, flipped),))
        with pytest.raises(SignatureInvalid):
            open_checkpoint(forged.to_bytes(), log.verifier())

    def test_wrong_origin_is_rejected(self, log: NoteSigner) -> None:
        data = sign_checkpoint(checkpoint(), log)
        with pytest.raises(VerificationError, match=r"want 'other\.example/log'"):
            open_checkpoint(data, log.verifier(), origin="other.example/log")

    def test_expected_origin_is_accepted(self, log: NoteSigner) -> None:
        cp = checkpoint()
        assert open_checkpoint(sign_checkpoint(cp, log), log.verifier(), origin=cp.origin) == cp

    def test_signed_note_that_is_not_a_checkpoint_is_rejected(self, log: NoteSigner) -> None:
        data = sign_note(Note("just a note\n"), log).to_bytes()
        with pytest.raises(MalformedNote, match="at least 3"):
            open_checkpoint(data, log.verifier())
