"""Witness add-checkpoint decisions (c2sp.org/tlog-witness) and split-view evidence."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import CosignatureSigner, verify_cosignature
from ledger.errors import (
    InsufficientSignatures,
    InvalidInput,
    LedgerError,
    MalformedNote,
    NotFound,
    ProofError,
    RootMismatch,
    SignatureInvalid,
    SplitView,
    VerificationError,
    WitnessConflict,
)
from ledger.note import Note, NoteSignature, NoteSigner
from ledger.witness_state import (
    CONFLICT_CONTENT_TYPE,
    EMPTY_TREE_ROOT,
    AddCheckpointRequest,
    LogState,
    SplitViewEvidence,
    add_checkpoint,
    check_split_view,
    conflict_body,
    find_split_view,
    http_status,
)

TESTDATA = Path(__file__).parent / "testdata" / "witness"
ORIGIN = "carbonledger.example/log"
TIME = 1_700_000_000


def root(tag: int) -> bytes:
    return bytes([tag]) * 32


@dataclass
class FakeConsistency:
    """Records calls; fails with ``error`` if set."""

    error: Exception | None = None
    calls: list[tuple[int, int, list[bytes], bytes, bytes]] = field(default_factory=list)

    def __call__(
        self, size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes
    ) -> None:
        self.calls.append((size1, size2, proof, root1, root2))
        if self.error is not None:
            raise self.error


@pytest.fixture
def log() -> NoteSigner:
    return NoteSigner.generate(ORIGIN)


@pytest.fixture
def witness() -> CosignatureSigner:
    return CosignatureSigner.generate("witness.example/w1")


def signed(log: NoteSigner, size: int, tree_root: bytes) -> bytes:
    return sign_checkpoint(Checkpoint(ORIGIN, size, tree_root), log)


def request(
    log: NoteSigner, old: int, size: int, tree_root: bytes, *proof: bytes
) -> AddCheckpointRequest:
    return AddCheckpointRequest(old, proof, signed(log, size, tree_root))


def status_of(excinfo: pytest.ExceptionInfo[LedgerError]) -> int:
    return http_status(excinfo.value)


class TestRequestFormat:
    def test_spec_example_request_parses(self) -> None:
        case = json.loads((TESTDATA / "c2sp-add-checkpoint-request.json").read_text("utf-8"))
        req = AddCheckpointRequest.parse(case["body"].encode())
        want = case["want"]
        assert req.old_size == want["old_size"]
        assert [base64.b64encode(p).decode() for p in req.proof] == want["proof_base64"]
        assert req.claimed_origin() == want["origin"]
        note = Note.parse(req.checkpoint_note)
        assert Checkpoint.from_text(note.text).size == want["size"]
        assert len(note.signatures) == want["signature_lines"]
        assert req.to_bytes() == case["body"].encode()

    def test_request_round_trips(self, log: NoteSigner) -> None:
        req = request(log, 3, 7, root(7), root(1), root(2))
        assert AddCheckpointRequest.parse(req.to_bytes()) == req

    def test_request_without_proof_round_trips(self, log: NoteSigner) -> None:
        req = request(log, 0, 7, root(7))
        assert req.to_bytes().startswith(b"old 0\n\n")
        assert AddCheckpointRequest.parse(req.to_bytes()) == req

    @pytest.mark.parametrize(
        "header",
        [
            b"",
            b"old 01",
            b"old -1",
            b"old +1",
            b"old  1",
            b"Old 1",
            b"old 1 ",
            b"old",
            b"old 1\nnot base64!",
            b"old 1\n" + base64.b64encode(bytes(31)),
            b"old 1\n" + base64.b64encode(bytes(32))[:-1],
            b"old 1\n" + b"\n".join([base64.b64encode(bytes(32))] * 64),
            "old 1\nvalué".encode(),
        ],
        ids=[
            "empty-header",
            "leading-zero",
            "negative",
            "plus-sign",
            "double-space",
            "capitalised",
            "trailing-space",
            "no-size",
            "proof-not-base64",
            "proof-hash-31-bytes",
            "proof-truncated-base64",
            "64-proof-lines",
            "non-ascii-header",
        ],
    )
    def test_malformed_header_is_rejected(self, log: NoteSigner, header: bytes) -> None:
        body = header + b"\n\n" + signed(log, 5, root(5))
        with pytest.raises(MalformedNote) as info:
            AddCheckpointRequest.parse(body)
        assert status_of(info) == 400

    def test_body_without_blank_line_is_rejected(self) -> None:
        with pytest.raises(MalformedNote):
            AddCheckpointRequest.parse(b"old 0\n")

    def test_size_over_64_bits_is_rejected(self, log: NoteSigner) -> None:
        with pytest.raises(InvalidInput):
            AddCheckpointRequest.parse(b"old %d\n\n" % 2**64 + signed(log, 5, root(5)))


class TestAccept:
    def test_first_checkpoint_is_cosigned_without_proof(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        fake = FakeConsistency()
        req = request(log, 0, 5, root(5))
        got = add_checkpoint(LogState.unseen(ORIGIN), req, log.verifier(), witness, TIME, fake)
        assert got.state == LogState(ORIGIN, 5, root(5), req.checkpoint_note)
        assert verify_cosignature(got.checkpoint, got.cosignature, witness.verifier()) == TIME
        assert fake.calls == []

    def test_response_body_is_the_cosignature_line(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        req = request(log, 0, 5, root(5))
        got = add_checkpoint(
            LogState.unseen(ORIGIN), req, log.verifier(), witness, TIME, FakeConsistency()
        )
        body = got.response_body().decode()
        assert body.startswith("— witness.example/w1 ") and body.endswith("\n")
        assert NoteSignature.parse(body) == got.cosignature

    def test_growth_checks_consistency_from_the_witness_state(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        fake = FakeConsistency()
        state = LogState(ORIGIN, 5, root(5), signed(log, 5, root(5)))
        req = request(log, 5, 9, root(9), root(1), root(2))
        got = add_checkpoint(state, req, log.verifier(), witness, TIME, fake)
        assert fake.calls == [(5, 9, [root(1), root(2)], root(5), root(9))]
        assert (got.state.size, got.state.root) == (9, root(9))

    def test_same_checkpoint_again_is_cosigned_again(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        fake = FakeConsistency()
        state = LogState(ORIGIN, 5, root(5), signed(log, 5, root(5)))
        got = add_checkpoint(
            state, request(log, 5, 5, root(5)), log.verifier(), witness, TIME + 60, fake
        )
        assert got.state.size == 5
        assert verify_cosignature(got.checkpoint, got.cosignature, witness.verifier()) == TIME + 60
        assert fake.calls == []

    def test_empty_tree_with_empty_root_is_cosigned(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        req = request(log, 0, 0, EMPTY_TREE_ROOT)
        got = add_checkpoint(
            LogState.unseen(ORIGIN), req, log.verifier(), witness, TIME, FakeConsistency()
        )
        assert got.state.size == 0


class TestReject:
    def decide(
        self,
        log: NoteSigner,
        witness: CosignatureSigner,
        state: LogState,
        req: AddCheckpointRequest,
        fake: FakeConsistency | None = None,
    ) -> None:
        add_checkpoint(state, req, log.verifier(), witness, TIME, fake or FakeConsistency())

    def test_old_size_not_the_witness_size_is_409_with_its_size(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        state = LogState(ORIGIN, 5, root(5))
        with pytest.raises(WitnessConflict) as info:
            self.decide(log, witness, state, request(log, 3, 9, root(9), root(1)))
        assert info.value.witness_size == 5
        assert status_of(info) == 409
        assert conflict_body(info.value) == b"5\n"
        assert CONFLICT_CONTENT_TYPE == "text/x.tlog.size"

    def test_client_probing_with_old_size_zero_learns_the_size(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        with pytest.raises(WitnessConflict) as info:
            self.decide(log, witness, LogState(ORIGIN, 5, root(5)), request(log, 0, 9, root(9)))
        assert conflict_body(info.value) == b"5\n"

    def test_old_size_above_checkpoint_size_is_400(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        with pytest.raises(InvalidInput) as info:
            self.decide(log, witness, LogState(ORIGIN, 5, root(5)), request(log, 5, 4, root(4)))
        assert status_of(info) == 400

    def test_bad_consistency_proof_is_422(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        fake = FakeConsistency(RootMismatch(expected=root(9), calculated=root(8)))
        with pytest.raises(RootMismatch) as info:
            self.decide(
                log,
                witness,
                LogState(ORIGIN, 5, root(5)),
                request(log, 5, 9, root(9), root(1)),
                fake,
            )
        assert status_of(info) == 422

    def test_verifier_raising_value_error_is_422(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        fake = FakeConsistency(ValueError("bad proof length"))
        with pytest.raises(ProofError) as info:
            self.decide(
                log, witness, LogState(ORIGIN, 5, root(5)), request(log, 5, 9, root(9)), fake
            )
        assert status_of(info) == 422

    def test_proof_with_old_size_zero_is_422(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        with pytest.raises(ProofError) as info:
            self.decide(log, witness, LogState.unseen(ORIGIN), request(log, 0, 9, root(9), root(1)))
        assert status_of(info) == 422

    def test_proof_with_equal_sizes_is_422(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        state = LogState(ORIGIN, 5, root(5))
        with pytest.raises(ProofError):
            self.decide(log, witness, state, request(log, 5, 5, root(5), root(1)))

    def test_empty_tree_with_wrong_root_is_422(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        with pytest.raises(RootMismatch) as info:
            self.decide(log, witness, LogState.unseen(ORIGIN), request(log, 0, 0, root(1)))
        assert status_of(info) == 422

    def test_same_size_other_root_without_stored_note_is_422(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        with pytest.raises(RootMismatch) as info:
            self.decide(log, witness, LogState(ORIGIN, 5, root(5)), request(log, 5, 5, root(6)))
        assert status_of(info) == 422

    def test_same_size_other_root_with_stored_note_is_split_view(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        state = LogState(ORIGIN, 5, root(5), signed(log, 5, root(5)))
        req = request(log, 5, 5, root(6))
        with pytest.raises(SplitView) as info:
            self.decide(log, witness, state, req)
        assert status_of(info) == 422
        evidence = SplitViewEvidence.from_dict(info.value.details["evidence"])
        assert evidence == SplitViewEvidence(state.note, req.checkpoint_note)
        a, b = check_split_view(evidence, log.verifier())
        assert (a.root, b.root) == (root(5), root(6))

    def test_checkpoint_not_signed_by_the_log_is_403(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        impostor = NoteSigner.generate(ORIGIN)
        req = request(impostor, 0, 5, root(5))
        with pytest.raises(InsufficientSignatures) as info:
            self.decide(log, witness, LogState.unseen(ORIGIN), req)
        assert status_of(info) == 403

    def test_bad_log_signature_is_403(self, log: NoteSigner, witness: CosignatureSigner) -> None:
        good = signed(log, 5, root(5))
        forged = good.replace(b"\n5\n", b"\n6\n", 1)
        with pytest.raises(SignatureInvalid) as info:
            self.decide(log, witness, LogState.unseen(ORIGIN), AddCheckpointRequest(0, (), forged))
        assert status_of(info) == 403

    def test_checkpoint_for_another_origin_is_rejected(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        with pytest.raises(VerificationError, match="origin"):
            self.decide(
                log, witness, LogState.unseen("other.example/log"), request(log, 0, 5, root(5))
            )

    def test_zero_timestamp_is_refused(self, log: NoteSigner, witness: CosignatureSigner) -> None:
        with pytest.raises(InvalidInput, match="timestamp"):
            add_checkpoint(
                LogState.unseen(ORIGIN),
                request(log, 0, 5, root(5)),
                log.verifier(),
                witness,
                0,
                FakeConsistency(),
            )

    def test_claimed_origin_finds_the_log_before_verifying(self, log: NoteSigner) -> None:
        assert request(log, 0, 5, root(5)).claimed_origin() == ORIGIN

    def test_status_of_unknown_origin_and_other_errors(self) -> None:
        assert http_status(NotFound("unknown origin")) == 404
        assert http_status(LedgerError("boom")) == 500


class TestRealConsistencyVerifier:
    def test_real_proof_is_accepted_and_corrupt_one_refused(
        self, log: NoteSigner, witness: CosignatureSigner
    ) -> None:
        merkle = pytest.importorskip("ledger.merkle")
        from tests.ledger.merkle import reference as ref

        entries = [f"credit {i}".encode() for i in range(11)]
        old_root, new_root = ref.mth(entries[:6]), ref.mth(entries)
        proof = ref.proof(6, entries)
        state = LogState(ORIGIN, 6, old_root, signed(log, 6, old_root))
        req = request(log, 6, 11, new_root, *proof)
        got = add_checkpoint(state, req, log.verifier(), witness, TIME, merkle.verify_consistency)
        assert (got.state.size, got.state.root) == (11, new_root)

        corrupt = request(log, 6, 11, new_root, *proof[:-1], bytes(32))
        with pytest.raises(VerificationError) as info:
            add_checkpoint(state, corrupt, log.verifier(), witness, TIME, merkle.verify_consistency)
        assert http_status(info.value) == 422


class TestSplitViewEvidence:
    def test_conflicting_checkpoints_give_evidence(self, log: NoteSigner) -> None:
        a, b = signed(log, 5, root(5)), signed(log, 5, root(6))
        evidence = find_split_view(a, b, log.verifier())
        assert evidence == SplitViewEvidence(a, b)

    @pytest.mark.parametrize(
        ("size_b", "root_b"), [(5, 5), (6, 6)], ids=["same-root", "other-size"]
    )
    def test_consistent_pairs_give_no_evidence(
        self, log: NoteSigner, size_b: int, root_b: int
    ) -> None:
        a, b = signed(log, 5, root(5)), signed(log, size_b, root(root_b))
        assert find_split_view(a, b, log.verifier()) is None

    def test_evidence_survives_json(self, log: NoteSigner) -> None:
        evidence = SplitViewEvidence(signed(log, 5, root(5)), signed(log, 5, root(6)))
        text = evidence.to_json()
        assert json.loads(text)["type"] == "split_view"
        again = SplitViewEvidence.from_json(text)
        assert again == evidence
        assert check_split_view(again, log.verifier())[0].size == 5

    def test_evidence_with_a_forged_note_is_rejected(self, log: NoteSigner) -> None:
        other = NoteSigner.generate(ORIGIN)
        evidence = SplitViewEvidence(signed(log, 5, root(5)), signed(other, 5, root(6)))
        with pytest.raises(SignatureInvalid):
            check_split_view(evidence, log.verifier())

    @pytest.mark.parametrize(
        ("b_size", "b_root", "b_origin", "reason"),
        [
            (5, 5, ORIGIN, "both checkpoints"),
            (6, 6, ORIGIN, "sizes differ"),
            (5, 6, "x/y", "origins"),
        ],
        ids=["same-root", "other-size", "other-origin"],
    )
    def test_evidence_that_shows_no_split_view_is_rejected(
        self, log: NoteSigner, b_size: int, b_root: int, b_origin: str, reason: str
    ) -> None:
        b = sign_checkpoint(Checkpoint(b_origin, b_size, root(b_root)), log)
        with pytest.raises(VerificationError, match=reason):
            check_split_view(SplitViewEvidence(signed(log, 5, root(5)), b), log.verifier())

    @pytest.mark.parametrize(
        "text",
        [
            "not json",
            "[]",
            '{"type": "other"}',
            '{"type": "split_view", "a_note": 1, "b_note": ""}',
        ],
        ids=["not-json", "not-object", "wrong-type", "non-string-note"],
    )
    def test_malformed_evidence_json_is_rejected(self, text: str) -> None:
        with pytest.raises(InvalidInput):
            SplitViewEvidence.from_json(text)
