"""The contract's RFC 9162 inclusion verifier agrees with the ledger's Python verifier.

Three oracles: ``ledger.merkle`` (proofs built from stored nodes, ``verify_inclusion``), a naive
recursive RFC 9162 ``MTH``/``PATH`` written out below, and the known-answer vectors of
``tests/ledger/merkle/testdata/inclusion``. For every tree size 1..40 the valid proofs must be
accepted on chain and every mutation (truncated proof, extra node, wrong index either way,
wrong leaf, flipped bit) rejected, exactly as the Python verifier decides.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from contracts.client import AnchorClient
from ledger.errors import ProofError, VerificationError
from ledger.merkle.compact import CompactRange
from ledger.merkle.hashing import leaf_hash
from ledger.merkle.proofs import inclusion_proof
from ledger.merkle.verify import root_from_inclusion_proof, verify_inclusion
from tests.contracts.conftest import Deployment

MAX_SIZE = 40
ENTRIES = [f"entry {i}".encode() for i in range(MAX_SIZE)]
VECTORS = Path(__file__).resolve().parent.parent / "ledger" / "merkle" / "testdata" / "inclusion"


# -- naive RFC 9162 section 2.1 reference -------------------------------------------------------


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n]) exactly as RFC 9162 section 2.1.1 defines it."""
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = _split(len(entries))
    return hashlib.sha256(b"\x01" + naive_mth(entries[:k]) + naive_mth(entries[k:])).digest()


def naive_path(m: int, entries: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) exactly as RFC 9162 section 2.1.3.1 defines it."""
    if len(entries) == 1:
        return []
    k = _split(len(entries))
    if m < k:
        return [*naive_path(m, entries[:k]), naive_mth(entries[k:])]
    return [*naive_path(m - k, entries[k:]), naive_mth(entries[:k])]


# -- the log under test ---------------------------------------------------------------------------


class Log:
    """The first ``MAX_SIZE`` entries, stored the ledger's way: perfect nodes and roots."""

    def __init__(self) -> None:
        tree = CompactRange()
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.roots = [tree.root()]
        for entry in ENTRIES:
            for level, index, digest in tree.append(leaf_hash(entry)):
                self.nodes[level, index] = digest
            self.roots.append(tree.root())

    def proof(self, index: int, size: int) -> list[bytes]:
        return inclusion_proof(index, size, lambda ids: [self.nodes[node] for node in ids])


LOG = Log()


@dataclass(frozen=True)
class Case:
    name: str
    index: int
    leaf: bytes
    proof: list[bytes]


def flip_bit(digest: bytes) -> bytes:
    return bytes([digest[0] ^ 0x08]) + digest[1:]


def cases(index: int, size: int) -> list[Case]:
    """The valid proof of leaf ``index`` in the ``size``-leaf tree, and its mutations."""
    leaf = leaf_hash(ENTRIES[index])
    proof = LOG.proof(index, size)
    other = leaf_hash(ENTRIES[(index + 1) % size]) if size > 1 else leaf_hash(b"not logged")
    out = [
        Case("happy-path", index, leaf, proof),
        Case("extra-node", index, leaf, [*proof, LOG.roots[size]]),
        Case("wrong-index-up", index + 1, leaf, proof),
        Case("wrong-leaf", index, other, proof),
    ]
    if proof:
        out.append(Case("truncated-proof", index, leaf, proof[:-1]))
        out.append(Case("flipped-bit", index, leaf, [flip_bit(proof[0]), *proof[1:]]))
    else:
        out.append(Case("flipped-bit", index, flip_bit(leaf), proof))
    if index > 0:
        out.append(Case("wrong-index-down", index - 1, leaf, proof))
    return out


def sampled_indices(size: int) -> list[int]:
    """Every index of small trees; the edges and the split points of larger ones."""
    if size <= 12:
        return list(range(size))
    k = _split(size)
    return sorted({0, 1, size // 2, k - 1, k, size - 2, size - 1})


def python_accepts(case: Case, size: int) -> bool:
    try:
        verify_inclusion(case.leaf, case.index, size, case.proof, LOG.roots[size])
    except VerificationError:
        return False
    return True


def anchored_at(deployment: Deployment, size: int) -> AnchorClient:
    d = deployment
    assert d.anchorer.anchor(d.origin, size, LOG.roots[size]).status == "anchored"
    return d.anchorer


class TestReferenceAgreement:
    """The Python side of the comparison agrees with the naive RFC text first."""

    @pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
    def test_ledger_proofs_and_roots_match_the_naive_reference(self, size: int) -> None:
        assert LOG.roots[size] == naive_mth(ENTRIES[:size])
        for index in range(size):
            assert LOG.proof(index, size) == naive_path(index, ENTRIES[:size])


class TestOnChainVerifier:
    @pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
    def test_valid_and_mutated_proofs_agree_with_python(
        self, deployment: Deployment, size: int
    ) -> None:
        client = anchored_at(deployment, size)
        for index in sampled_indices(size):
            for case in cases(index, size):
                want = python_accepts(case, size)
                assert want == (case.name == "happy-path"), (case, size)
                got = client.verify_inclusion_onchain(
                    deployment.origin, size, case.index, case.leaf, case.proof
                )
                assert got == want, f"{case.name}: index {case.index} size {size}"
                self._check_root_agrees(client, case, size)

    def test_every_leaf_of_every_size_verifies(self, deployment: Deployment) -> None:
        client = deployment.anchorer
        for size in range(1, MAX_SIZE + 1):
            client.anchor(deployment.origin, size, LOG.roots[size])
            for index in range(size):
                leaf = leaf_hash(ENTRIES[index])
                proof = LOG.proof(index, size)
                assert client.verify_inclusion_onchain(deployment.origin, size, index, leaf, proof)

    def test_proof_for_a_size_never_anchored_is_not_accepted(self, deployment: Deployment) -> None:
        client = anchored_at(deployment, 8)
        proof = LOG.proof(2, 7)
        leaf = leaf_hash(ENTRIES[2])
        assert not client.verify_inclusion_onchain(deployment.origin, 7, 2, leaf, proof)

    def test_proof_checks_against_the_anchored_root_not_a_claimed_one(
        self, deployment: Deployment
    ) -> None:
        d = deployment
        # The log's key anchors a root that is not the tree's: honest proofs must fail.
        d.anchorer.anchor(d.origin, 8, LOG.roots[7])
        leaf = leaf_hash(ENTRIES[0])
        assert not d.anchorer.verify_inclusion_onchain(d.origin, 8, 0, leaf, LOG.proof(0, 8))

    def test_leaf_hash_matches_the_ledger(self, deployment: Deployment) -> None:
        for data in (b"", b"\x00", ENTRIES[3], bytes(range(256)) * 3):
            assert deployment.owner.leaf_hash_onchain(data) == leaf_hash(data)

    @staticmethod
    def _check_root_agrees(client: AnchorClient, case: Case, size: int) -> None:
        try:
            want = root_from_inclusion_proof(case.leaf, case.index, size, case.proof)
        except ProofError:
            with pytest.raises(ProofError):
                client.root_from_inclusion_proof_onchain(case.leaf, case.index, size, case.proof)
            return
        got = client.root_from_inclusion_proof_onchain(case.leaf, case.index, size, case.proof)
        assert got == want, f"{case.name}: index {case.index} size {size}"


def _vector_files() -> list[Path]:
    return sorted(VECTORS.glob("*/*.json")) if VECTORS.is_dir() else []


class TestKnownAnswerVectors:
    @pytest.mark.skipif(not _vector_files(), reason="no inclusion vectors in tests/ledger")
    def test_vectors_on_chain(self) -> None:
        client = AnchorClient.connect_in_process()
        client.deploy()
        for path in _vector_files():
            vector = json.loads(path.read_text())
            leaf = bytes.fromhex(vector["leaf_hash"])
            proof = [bytes.fromhex(h) for h in vector["proof"]]
            index, size = vector["leaf_index"], vector["tree_size"]
            expected_root = bytes.fromhex(vector["root"])
            name = f"{path.parent.name}/{path.name}"
            if vector["want_error"] == "ProofError":
                with pytest.raises(ProofError):
                    client.root_from_inclusion_proof_onchain(leaf, index, size, proof)
                continue
            got = client.root_from_inclusion_proof_onchain(leaf, index, size, proof)
            assert (got == expected_root) == (vector["want_error"] is None), name
