"""Account holdings, balances and history: the permission matrix of signed reads.

Each role is tried against each protected endpoint, for a participant's own account (alice)
and a personal account kept by a platform; the observed matrix must be the documented one
(docs/api.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import SIGNATURE, sign_request
from ledger.client import Identity
from tests.api.conftest import Story, post_entry, serve
from tests.api.routes.test_entries import assert_problem
from tests.builders import World

ENDPOINTS = ("", "/holdings", "/balances", "/history")
ROLES = (
    "anonymous",
    "holder",
    "other_holder",
    "custodian",
    "administrator",
    "revoked_key",
    "stale_signature",
    "forged_signature",
)


@pytest.fixture
def served(story: tuple[World, Story]) -> Iterator[tuple[World, Story, TestClient, Identity]]:
    """The story served; alice has rotated her key: the old one is revoked."""
    world, facts = story
    with serve(world) as client:
        old = world["alice"]
        new = Identity(old.participant, Identity.generate("alice").key, seq=old.seq)
        assert (
            post_entry(
                client,
                world.sign(
                    old, "add_key", {"participant": "alice", "public_key": new.public_key_b64}
                ),
            ).status_code
            == 201
        )
        assert (
            post_entry(
                client,
                world.sign(old, "revoke_key", {"participant": "alice", "key_id": old.key_id}),
            ).status_code
            == 201
        )
        new.seq = old.seq
        world.ids["alice"] = new
        yield world, facts, client, old


def request_as(
    world: World, client: TestClient, revoked: Identity
) -> dict[str, Callable[[str], Any]]:
    """How each role asks for ``target``."""

    def signed(who: Identity, **kw: Any) -> Callable[[str], Any]:
        return lambda target: client.get(target, headers=sign_request(who, "GET", target, **kw))

    def forged(target: str) -> Any:
        headers = sign_request(world["bob"], "GET", target)
        headers[SIGNATURE] = sign_request(world["bob"], "GET", target + "?x=1")[SIGNATURE]
        return client.get(target, headers=headers)

    return {
        "anonymous": client.get,
        "holder": signed(world["alice"]),
        "other_holder": signed(world["bob"]),
        "custodian": signed(world["platform"]),
        "administrator": signed(world["regulator"]),
        "revoked_key": signed(revoked),
        "stale_signature": signed(world["alice"], now=int(time.time()) - 302),
        "forged_signature": forged,
    }


def observed(
    world: World, client: TestClient, revoked: Identity, account: str
) -> dict[tuple[str, str], tuple[int, str]]:
    """(role, endpoint) -> (status, code or "ok") for every protected endpoint."""
    ask = request_as(world, client, revoked)
    table: dict[tuple[str, str], tuple[int, str]] = {}
    for role in ROLES:
        for endpoint in ENDPOINTS:
            response = ask[role](f"/v1/accounts/{account}{endpoint}")
            code = "ok" if response.status_code == 200 else response.json()["code"]
            table[role, endpoint] = (response.status_code, code)
    return table


DENIED = {
    "anonymous": (401, "authentication_required"),
    "revoked_key": (403, "key_revoked"),
    "stale_signature": (401, "stale_request"),
    "forged_signature": (401, "bad_signature"),
}


class TestPermissionMatrix:
    def test_a_participants_account_is_seen_by_itself_and_administrators_only(
        self, served: tuple[World, Story, TestClient, Identity]
    ) -> None:
        world, _, client, revoked = served
        want = {
            **DENIED,
            "holder": (200, "ok"),
            "other_holder": (403, "not_authorised"),
            "custodian": (403, "not_authorised"),
            "administrator": (200, "ok"),
        }
        expected = {(role, e): want[role] for role in ROLES for e in ENDPOINTS}
        assert observed(world, client, revoked, "alice") == expected

    def test_a_personal_account_is_seen_by_its_custodian_and_administrators_only(
        self, served: tuple[World, Story, TestClient, Identity]
    ) -> None:
        world, facts, client, revoked = served
        want = {
            **DENIED,
            "holder": (403, "not_authorised"),
            "other_holder": (403, "not_authorised"),
            "custodian": (200, "ok"),
            "administrator": (200, "ok"),
        }
        expected = {(role, e): want[role] for role in ROLES for e in ENDPOINTS}
        assert observed(world, client, revoked, facts.personal) == expected


class TestSignedRequests:
    def test_a_signature_covers_the_query(
        self, served: tuple[World, Story, TestClient, Identity]
    ) -> None:
        world, _, client, _ = served
        headers = sign_request(world["bob"], "GET", "/v1/accounts/bob/holdings?limit=1")
        response = client.get("/v1/accounts/bob/holdings?limit=2", headers=headers)
        assert_problem(response, 401, "bad_signature")

    def test_a_timestamp_from_the_future_is_stale_too(
        self, served: tuple[World, Story, TestClient, Identity]
    ) -> None:
        world, _, client, _ = served
        target = "/v1/accounts/bob"
        headers = sign_request(world["bob"], "GET", target, now=int(time.time()) + 302)
        assert_problem(client.get(target, headers=headers), 401, "stale_request")

    def test_incomplete_signature_headers_are_refused(
        self, served: tuple[World, Story, TestClient, Identity]
    ) -> None:
        world, _, client, _ = served
        headers = sign_request(world["bob"], "GET", "/v1/accounts/bob")
        del headers[SIGNATURE]
        assert_problem(
            client.get("/v1/accounts/bob", headers=headers), 401, "authentication_required"
        )

    def test_a_key_claimed_by_another_participant_is_refused(
        self, served: tuple[World, Story, TestClient, Identity]
    ) -> None:
        world, _, client, _ = served
        impostor = Identity("bob", world["alice"].key)
        target = "/v1/accounts/bob"
        assert_problem(
            client.get(target, headers=sign_request(impostor, "GET", target)), 401, "bad_signature"
        )

    def test_an_unknown_key_is_refused(
        self, served: tuple[World, Story, TestClient, Identity]
    ) -> None:
        _, _, client, _ = served
        target = "/v1/accounts/bob"
        stranger = Identity.generate("bob")
        assert_problem(
            client.get(target, headers=sign_request(stranger, "GET", target)), 401, "unknown_key"
        )

    def test_an_unknown_account_is_404_to_a_signed_caller(
        self, served: tuple[World, Story, TestClient, Identity]
    ) -> None:
        world, _, client, _ = served
        target = "/v1/accounts/nobody/holdings"
        response = client.get(target, headers=sign_request(world["regulator"], "GET", target))
        assert_problem(response, 404, "unknown_account")


class TestAccountReads:
    def test_holdings_are_serial_ranges_and_paginate(
        self, served: tuple[World, Story, TestClient, Identity]
    ) -> None:
        world, facts, client, _ = served
        target = "/v1/accounts/owner/holdings?limit=1"
        first = client.get(target, headers=sign_request(world["owner"], "GET", target)).json()
        (holding,) = first["items"]
        assert holding["batch"] == facts.batch
        assert holding["quantity"] == holding["serial_end"] - holding["serial_start"]
        assert first["next_offset"] == 1

    def test_balances_and_history_add_up(
        self, served: tuple[World, Story, TestClient, Identity]
    ) -> None:
        world, facts, client, _ = served
        target = "/v1/accounts/alice/balances"
        (balance,) = client.get(target, headers=sign_request(world["alice"], "GET", target)).json()[
            "items"
        ]
        assert balance == {
            "batch": facts.batch,
            "held": 1000 * 10**6,
            "pledged": 0,
            "retired": 0,
            "cancelled": 19 * 10**6,
        }
        target = "/v1/accounts/alice/history"
        kinds = [
            h["kind"]
            for h in client.get(target, headers=sign_request(world["alice"], "GET", target)).json()[
                "items"
            ]
        ]
        assert kinds == ["transfer_in", "cancel"]
