"""Evidence files: written whole, and checkable by anyone from the log's key alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.errors import InvalidInput, SignatureInvalid, VerificationError
from ledger.merkle.hashing import leaf_hash, node_hash
from ledger.note import NoteSigner
from ledger.witness_state import SplitViewEvidence
from node.evidence import (
    check_evidence,
    inconsistent_evidence,
    load_evidence,
    save_evidence,
    tampered_record_evidence,
)
from tests.builders import ORIGIN

LOG = NoteSigner.generate(ORIGIN)


def note(size: int, root: bytes, signer: NoteSigner = LOG) -> bytes:
    return sign_checkpoint(Checkpoint(ORIGIN, size, root), signer)


class TestFiles:
    def test_saved_evidence_loads_back_and_leaves_no_temporary_file(self, tmp_path: Path) -> None:
        document = SplitViewEvidence(note(5, b"\x01" * 32), note(5, b"\x02" * 32)).to_dict()
        path = save_evidence(tmp_path, ORIGIN, document)
        assert load_evidence(path) == document
        assert [p.name for p in tmp_path.iterdir()] == [path.name]
        assert path.name.startswith("split_view-carbonledger.test_log-")

    def test_an_unknown_kind_is_not_saved(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidInput):
            save_evidence(tmp_path, ORIGIN, {"type": "rumour"})


class TestSplitView:
    def test_two_roots_for_one_size_check_out(self) -> None:
        document = SplitViewEvidence(note(5, b"\x01" * 32), note(5, b"\x02" * 32)).to_dict()
        finding = check_evidence(document, LOG.verifier())
        assert (finding.kind, finding.origin, finding.sizes) == ("split_view", ORIGIN, (5,))

    def test_the_same_root_twice_is_no_evidence(self) -> None:
        document = SplitViewEvidence(note(5, b"\x01" * 32), note(5, b"\x01" * 32)).to_dict()
        with pytest.raises(VerificationError):
            check_evidence(document, LOG.verifier())

    def test_a_note_the_log_did_not_sign_is_no_evidence(self) -> None:
        forged = note(5, b"\x02" * 32, NoteSigner.generate(ORIGIN))
        document = SplitViewEvidence(note(5, b"\x01" * 32), forged).to_dict()
        with pytest.raises(SignatureInvalid):
            check_evidence(document, LOG.verifier())


class TestInconsistent:
    def test_a_proof_that_fails_checks_out(self) -> None:
        document = inconsistent_evidence(
            note(4, b"\x01" * 32), note(8, b"\x02" * 32), [b"\x03" * 32], "proof failed"
        )
        assert check_evidence(document, LOG.verifier()).sizes == (4, 8)

    def test_a_proof_that_verifies_is_no_evidence(self) -> None:
        # Two leaves' tree extends the one-leaf tree: the proof is the second leaf's hash.
        a, b = leaf_hash(b"a"), leaf_hash(b"b")
        document = inconsistent_evidence(note(1, a), note(2, node_hash(a, b)), [b], "")
        with pytest.raises(VerificationError):
            check_evidence(document, LOG.verifier())


class TestTamperedRecord:
    def test_the_checkpoint_it_was_served_under_must_be_the_logs(self) -> None:
        document = tampered_record_evidence(3, b"{}", "bad signature", note(9, b"\x01" * 32))
        assert check_evidence(document, LOG.verifier()).kind == "tampered_record"
        other = NoteSigner.generate(ORIGIN).verifier()
        with pytest.raises(SignatureInvalid):
            check_evidence(document, other)
