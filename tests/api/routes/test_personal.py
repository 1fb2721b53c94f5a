"""The personal-accounts routes: custody totals in public, a person's balance proof and points
to those who may read the account, reconciliation and aggregations to the platform."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from api.auth import sign_request
from ledger.personal.commitments import build_tree
from tests.api.conftest import serve, signed_get
from tests.api.routes.test_entries import assert_problem
from tests.builders import World, build_world
from tests.ledger.personal.scene import PLATFORM, enable_recording, open_accounts, record, row


@dataclass
class Served:
    world: World
    client: TestClient
    aggregation: str


@pytest.fixture
def served(ledger_url: str) -> Iterator[Served]:
    world = build_world(ledger_url)
    enable_recording(world)
    open_accounts(world, ["p1", "p2"])
    batch = record(world, [row("p1", 600, 1), row("p2", 400, 2)]).data["batch"]
    world.add_participant("shop", ["holder"])
    world.accept(
        PLATFORM,
        "redeem",
        {
            "account": "p1",
            "to_account": "shop",
            "lots": [{"batch": batch, "quantity": 100}],
            "reward": "points",
            "points_per_tonne": 50_000,
        },
        ["shop"],
    )
    aggregated = world.accept(
        PLATFORM,
        "aggregate",
        {
            "lot_account": "lot-1",
            "contributions": [
                {"account": "p2", "lots": [{"batch": batch, "quantity": 400}], "consent_ref": "c-2"}
            ],
        },
    )

    tree = build_tree(world.ledger.engine, PLATFORM)
    world.accept(
        PLATFORM,
        "commit_balances",
        {"root": tree.root.hex(), "total": tree.total, "leaves": tree.leaves, "as_of": tree.size},
    )
    world.ledger.seal()
    world.close()
    with serve(world) as client:
        yield Served(world, client, str(aggregated.data["aggregation"]))


class TestPublic:
    def test_custody_totals_and_commitments(self, served: Served) -> None:
        client = served.client
        body = client.get(f"/v1/personal/platforms/{PLATFORM}/custody").json()
        assert (body["accounts"], body["held"]) == (2, 500)
        assert [(c["total"], c["leaves"]) for c in body["commitments"]] == [(500, 2)]


class TestAccountReaders:
    def test_the_custodian_gets_a_proof_that_verifies(self, served: Served) -> None:
        world, client = served.world, served.client
        proof = signed_get(client, world[PLATFORM], "/v1/personal/accounts/p1/balance-proof")
        assert proof.status_code == 200, proof.text  # type: ignore[attr-defined]
        document = proof.json()  # type: ignore[attr-defined]
        checked = client.post(
            "/v1/personal/balance-proofs/verify",
            params={"log_key": world.ledger.log_vkey},
            json=document,
        )
        assert (checked.status_code, checked.json()["balance"]) == (200, 500)
        document["balance"] = 499
        refused = client.post(
            "/v1/personal/balance-proofs/verify",
            params={"log_key": world.ledger.log_vkey},
            json=document,
        )
        assert_problem(refused, 422, "root_mismatch")

    def test_an_unsigned_request_for_a_proof_is_refused(self, served: Served) -> None:
        client = served.client
        assert_problem(
            client.get("/v1/personal/accounts/p1/balance-proof"), 401, "authentication_required"
        )

    def test_points_and_balance_are_apart(self, served: Served) -> None:
        world, client = served.world, served.client
        points = signed_get(client, world[PLATFORM], "/v1/personal/accounts/p1/points")
        assert points.json() == [{"issuer": "shop", "points": 5}]  # type: ignore[attr-defined]
        balance = signed_get(client, world[PLATFORM], "/v1/personal/accounts/p1/balance")
        assert balance.json() == {"account": "p1", "held": 500}  # type: ignore[attr-defined]


class TestPlatform:
    def test_reconciliation_of_an_uploaded_file(self, served: Served) -> None:
        world, client = served.world, served.client
        target = f"/v1/personal/platforms/{PLATFORM}/reconciliation"
        csv = b"p1,500\np2,1\n"
        signed = sign_request(world[PLATFORM], "POST", target, csv)  # the body is signed too
        response = client.post(target, content=csv, headers={**signed, "content-type": "text/csv"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["differences"]["amount_differs"] == 1
        assert body["report"].splitlines()[1] == "amount_differs,p2,0,1,1,2"

    def test_another_platform_may_not_reconcile(self, served: Served) -> None:
        world, client = served.world, served.client
        target = f"/v1/personal/platforms/{PLATFORM}/reconciliation"
        signed = sign_request(world["alice"], "POST", target, b"p1,500\n")
        response = client.post(
            target, content=b"p1,500\n", headers={**signed, "content-type": "text/csv"}
        )
        assert_problem(response, 403, "not_authorised")

    def test_the_aggregation_with_its_consents(self, served: Served) -> None:
        world, client = served.world, served.client
        target = f"/v1/personal/aggregations/{served.aggregation}"
        found = signed_get(client, world[PLATFORM], target)
        body = found.json()  # type: ignore[attr-defined]
        assert (body["quantity"], body["account"]) == (400, "lot-1")
        assert body["contributions"] == [
            {"position": 0, "account": "p2", "quantity": 400, "consent_ref": "c-2"}
        ]
        assert_problem(signed_get(client, world["alice"], target), 403, "not_authorised")
