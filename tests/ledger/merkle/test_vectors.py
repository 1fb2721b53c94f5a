"""Known-answer vectors from testdata/: one JSON file per case (see testdata/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import ProofError, RootMismatch, VerificationError
from ledger.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

from . import reference as ref
from .nodestore import MemoryNodeStore

TESTDATA = Path(__file__).parent / "testdata"
ERRORS: dict[str, type[VerificationError]] = {
    "ProofError": ProofError,
    "RootMismatch": RootMismatch,
}


def cases(kind: str, name: str = "*") -> list[Any]:
    paths = sorted((TESTDATA / kind).rglob(f"{name}.json"))
    assert paths, f"no {kind} vectors found"
    return [pytest.param(path, id=str(path.relative_to(TESTDATA / kind))) for path in paths]


def load(path: Path) -> dict[str, Any]:
    with path.open() as file:
        case: dict[str, Any] = json.load(file)
    return case


def hashes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


def published_store() -> MemoryNodeStore:
    """The 8-entry tree all proof vectors are taken from."""
    return MemoryNodeStore(hashes(load(TESTDATA / "tree" / "size-8.json")["entries"]))


class TestTreeVectors:
    @pytest.mark.parametrize("path", cases("tree"))
    def test_roots_and_nodes_match(self, path: Path) -> None:
        case = load(path)
        entries = hashes(case["entries"])
        tree = CompactRange()
        completed = []
        for entry in entries:
            completed.extend(tree.append(leaf_hash(entry)))
        if "root" in case:
            assert tree.root().hex() == case["root"]
            assert ref.mth(entries).hex() == case["root"]
        if "nodes" in case:
            got = [[level, index, digest.hex()] for level, index, digest in completed]
            assert sorted(got) == sorted(case["nodes"])


class TestInclusionVectors:
    @pytest.mark.parametrize("path", cases("inclusion"))
    def test_verifier_gives_the_expected_outcome(self, path: Path) -> None:
        case = load(path)
        args = (
            bytes.fromhex(case["leaf_hash"]),
            case["leaf_index"],
            case["tree_size"],
            hashes(case["proof"]),
            bytes.fromhex(case["root"]),
        )
        if case["want_error"] is None:
            verify_inclusion(*args)
        else:
            with pytest.raises(ERRORS[case["want_error"]]):
                verify_inclusion(*args)

    @pytest.mark.parametrize("path", cases("inclusion", "happy-path"))
    def test_happy_path_proofs_are_what_we_build(self, path: Path) -> None:
        case = load(path)
        store = published_store()
        proof = inclusion_proof(case["leaf_index"], case["tree_size"], store.fetch)
        assert [digest.hex() for digest in proof] == case["proof"]


class TestConsistencyVectors:
    @pytest.mark.parametrize("path", cases("consistency"))
    def test_verifier_gives_the_expected_outcome(self, path: Path) -> None:
        case = load(path)
        args = (
            case["size1"],
            case["size2"],
            hashes(case["proof"]),
            bytes.fromhex(case["root1"]),
            bytes.fromhex(case["root2"]),
        )
        if case["want_error"] is None:
            verify_consistency(*args)
        else:
            with pytest.raises(ERRORS[case["want_error"]]):
                verify_consistency(*args)

    @pytest.mark.parametrize("path", cases("consistency", "happy-path"))
    def test_happy_path_proofs_are_what_we_build(self, path: Path) -> None:
        case = load(path)
        store = published_store()
        proof = consistency_proof(case["size1"], case["size2"], store.fetch)
        assert [digest.hex() for digest in proof] == case["proof"]
