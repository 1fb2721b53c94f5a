"""Verifying a bundle offline: malformed bundles, mixed checkpoints, ranges and differences."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ledger.certificates.issue import make_bundle
from ledger.certificates.verify import bundle_digest, first_difference, verify_certificate
from ledger.errors import LedgerError
from tests.builders import World, lots


@pytest.fixture
def bundle(world: World) -> dict[str, Any]:
    batch = world.issue(1_000)
    body = {"account": "owner", "lots": lots(batch, 300), "beneficiary": {"name": "Acme"},
            "purpose": "personal", "jurisdiction": "CN-GD"}  # fmt: skip
    rid = world.accept("owner", "retire", body).data["retirement"]
    world.ledger.seal()
    return make_bundle(world.ledger.engine, "retirement", str(rid))


def failure(bundle: dict[str, Any], log_vkey: str | None) -> str:
    with pytest.raises(LedgerError) as caught:
        verify_certificate(bundle, log_vkey)
    return caught.value.code


class TestVerify:
    def test_genuine_bundle_verifies_and_its_digest_ignores_layout(
        self, world: World, bundle: dict[str, Any]
    ) -> None:
        verified = verify_certificate(bundle, world.ledger.log_vkey)
        assert verified.claims == bundle["claims"]
        assert verified.digest == bundle_digest(dict(reversed(list(bundle.items()))))

    def test_without_a_trusted_key_the_bundle_only_checks_itself(
        self, bundle: dict[str, Any]
    ) -> None:
        assert verify_certificate(bundle).checkpoint.size == bundle["claims"]["checkpoint"]["size"]

    @pytest.mark.parametrize(
        "mutation", ["no-format", "refs-missing", "proofs-not-a-list", "no-proofs"]
    )
    def test_malformed_bundle_is_bad_certificate(
        self, world: World, bundle: dict[str, Any], mutation: str
    ) -> None:
        broken = copy.deepcopy(bundle)
        if mutation == "no-format":
            broken["format"] = "carbonledger-certificate/0"
        elif mutation == "refs-missing":
            del broken["refs"]
        elif mutation == "proofs-not-a-list":
            broken["proofs"] = [1]
        else:
            broken["proofs"] = []
        assert failure(broken, world.ledger.log_vkey) == "bad_certificate"

    def test_proofs_under_different_checkpoints_do_not_mix(
        self, world: World, bundle: dict[str, Any]
    ) -> None:
        world.issue(5)
        world.ledger.seal()
        later = make_bundle(world.ledger.engine, "retirement", bundle["claims"]["id"])
        mixed = copy.deepcopy(bundle)
        mixed["proofs"][0] = later["proofs"][0]
        assert failure(mixed, world.ledger.log_vkey) == "certificate_mismatch"

    @pytest.mark.parametrize(
        "ranges", [[[0, 299]], [[0, 200], [150, 250]], [[0, 300], [300, 300]], [[5, 305]]]
    )
    def test_serial_ranges_must_add_up_to_the_proven_quantity(
        self, world: World, bundle: dict[str, Any], ranges: list[list[int]]
    ) -> None:
        altered = copy.deepcopy(bundle)
        (lots_of,) = altered["refs"]["serials"].values()
        (batch,) = lots_of
        lots_of[batch] = ranges
        assert failure(altered, world.ledger.log_vkey) == "certificate_mismatch"

    def test_a_missing_record_is_named(self, world: World, bundle: dict[str, Any]) -> None:
        altered = copy.deepcopy(bundle)
        altered["proofs"] = altered["proofs"][1:]
        assert failure(altered, world.ledger.log_vkey) == "certificate_mismatch"


class TestFirstDifference:
    def test_names_the_path_of_the_first_difference(self) -> None:
        stated = {"a": [1, {"b": 2}], "c": 3}
        assert first_difference(stated, {"a": [1, {"b": 3}], "c": 3}) == ("claims.a[1].b", 2, 3)
        assert first_difference(stated, copy.deepcopy(stated)) is None
        assert first_difference({"q": 1}, {"q": True}) == ("claims.q", 1, True)
        assert first_difference([1], [1, 2]) == ("claims", [1], [1, 2])
