"""POST /v1/entries and /v1/entries/bulk: the write path through the single writer, and the
entries read back."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.storage import schema
from tests.api.conftest import JSON, NDJSON, post_bulk, post_entry, register_platforms, serve
from tests.builders import World, lots, sign_any_json


def transfer(world: World, batch: str, grams: int, to: str = "alice") -> bytes:
    body = {"from_account": "owner", "to_account": to, "lots": lots(batch, grams)}
    return world.sign("owner", "transfer", body)


def issued(world: World, client: TestClient, grams: int = 1_000_000) -> str:
    """Issue a batch to owner through the API; its id."""
    raw = world.sign("issuer", "issue", world.issue_body(grams), ["verifier"])
    response = post_entry(client, raw)
    assert response.status_code == 201, response.text
    return str(response.json()["event"]["data"]["batch"])


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["type"] == f"urn:carbonledger:problem:{code}"
    assert problem["title"] and problem["detail"]
    return problem


class TestSingleSubmission:
    def test_accepted_entry_is_acknowledged_with_its_index_and_event(
        self, world: World, client: TestClient
    ) -> None:
        size = client.get("/v1/log/info").json()["size"]
        batch = issued(world, client)
        response = post_entry(client, transfer(world, batch, 1000))
        assert response.status_code == 201
        body = response.json()
        assert body["index"] == size + 1
        assert body["duplicate"] is False
        assert body["event"]["op"] == "transfer"
        assert world.held("alice", batch) == 1000

    def test_acknowledged_entry_is_durable_before_the_reply(
        self, world: World, client: TestClient
    ) -> None:
        batch = issued(world, client)
        index = post_entry(client, transfer(world, batch, 7)).json()["index"]
        # Read through a separate connection: the commit happened before the 201.
        assert world.row(schema.entries, idx=index) is not None

    def test_resubmitted_entry_is_acknowledged_again_not_applied_twice(
        self, world: World, client: TestClient
    ) -> None:
        batch = issued(world, client)
        raw = transfer(world, batch, 500)
        first = post_entry(client, raw)
        again = post_entry(client, raw)
        assert again.status_code == 200
        assert again.json()["duplicate"] is True
        assert again.json()["index"] == first.json()["index"]
        assert world.held("alice", batch) == 500

    def test_rule_violation_is_a_problem_with_the_ledgers_code(
        self, world: World, client: TestClient
    ) -> None:
        batch = issued(world, client, 100)
        before = world.snapshot()
        problem = assert_problem(
            post_entry(client, transfer(world, batch, 101)), 409, "insufficient_credits"
        )
        assert "100" in problem["detail"] or "101" in problem["detail"]
        assert world.snapshot() == before


class TestMalformedRequests:
    """Every malformed request is a 4xx problem with a stable code, and changes nothing."""

    @pytest.mark.parametrize(
        ("body", "status", "code"),
        [
            (b"", 400, "non_canonical_encoding"),
            (b"not json", 400, "non_canonical_encoding"),
            (b'{"sigs": [], "payload": {}}', 400, "non_canonical_encoding"),
            (b'{"payload":{},"sigs":[]}', 400, "invalid_input"),
            (b"[1,2]", 400, "invalid_input"),
        ],
        ids=["empty", "not-json", "unsorted-keys", "empty-payload", "not-an-object"],
    )
    def test_malformed_entry_is_refused(
        self, world: World, client: TestClient, body: bytes, status: int, code: str
    ) -> None:
        before = world.snapshot()
        assert_problem(post_entry(client, body), status, code)
        assert world.snapshot() == before

    def test_float_amount_is_invalid_input(self, world: World, client: TestClient) -> None:
        before = world.snapshot()
        body = b'{"from_account":"owner","lots":[{"batch":"B","quantity":1.5}],"to_account":"bob"}'
        raw = sign_any_json(world.ledger.origin, "transfer", world["owner"], body)
        assert_problem(post_entry(client, raw), 400, "invalid_input")
        assert world.snapshot() == before

    def test_bad_signature_is_401(self, world: World, client: TestClient) -> None:
        raw = world.sign(
            "alice",
            "transfer",
            {"from_account": "alice", "to_account": "bob", "lots": lots("PHCER-2001-000001", 1)},
        )
        sig_at = raw.index(b'"sig":"') + len(b'"sig":"')
        forged = (
            raw[:sig_at] + (b"B" if raw[sig_at : sig_at + 1] == b"A" else b"A") + raw[sig_at + 1 :]
        )
        before = world.snapshot()
        response = assert_problem(post_entry(client, forged), 401, "bad_signature")
        assert response["code"] == "bad_signature"
        assert world.snapshot() == before

    def test_entry_for_another_ledger_is_422(self, world: World, client: TestClient) -> None:
        raw = world["alice"].sign("other.example/log", "open_account", {"id": "x1"})
        before = world.snapshot()
        assert_problem(post_entry(client, raw), 422, "wrong_ledger")
        assert world.snapshot() == before

    def test_unknown_operation_is_400(self, world: World, client: TestClient) -> None:
        before = world.snapshot()
        assert_problem(
            post_entry(client, world.sign("alice", "mint", {})), 400, "unknown_operation"
        )
        assert world.snapshot() == before

    def test_replayed_sequence_is_409(self, world: World, client: TestClient) -> None:
        body = {"program": "PHCER", "participant": "alice", "role": "verifier"}
        raw = world["regulator"].sign(world.ledger.origin, "set_program_role", body, seq=1)
        before = world.snapshot()
        assert_problem(post_entry(client, raw), 409, "replayed_sequence")
        assert world.snapshot() == before

    def test_wrong_content_type_is_415(self, world: World, client: TestClient) -> None:
        raw = world.sign("platform", "open_account", {"id": "p-9"})
        before = world.snapshot()
        response = client.post("/v1/entries", content=raw, headers={"content-type": "text/plain"})
        assert_problem(response, 415, "unsupported_media_type")
        response = client.post("/v1/entries/bulk", content=raw, headers=JSON)
        assert_problem(response, 415, "unsupported_media_type")
        assert world.snapshot() == before

    def test_oversized_entry_is_413(self, world: World) -> None:
        with serve(world, max_entry_bytes=1000, max_bulk_bytes=1000) as client:
            before = world.snapshot()
            assert_problem(post_entry(client, b"{" + b" " * 1000 + b"}"), 413, "payload_too_large")
            assert world.snapshot() == before

    def test_bulk_with_too_many_lines_is_413_and_applies_none(self, world: World) -> None:
        with serve(world, max_bulk_entries=2) as client:
            raws = [world.sign("platform", "open_account", {"id": f"p-{i}"}) for i in range(3)]
            before = world.snapshot()
            assert_problem(post_bulk(client, raws), 413, "payload_too_large")
            assert world.snapshot() == before

    def test_empty_bulk_is_400(self, world: World, client: TestClient) -> None:
        response = client.post("/v1/entries/bulk", content=b"", headers=NDJSON)
        assert_problem(response, 400, "invalid_input")

    @pytest.mark.parametrize("key", ["", " leading-space", "x" * 256, "tab\there"])
    def test_malformed_idempotency_key_is_400(
        self, world: World, client: TestClient, key: str
    ) -> None:
        raw = world.sign("platform", "open_account", {"id": "p-1"})
        before = world.snapshot()
        response = client.post("/v1/entries", content=raw, headers={**JSON, "Idempotency-Key": key})
        assert_problem(response, 400, "invalid_input")
        assert world.snapshot() == before


class TestBulkSubmission:
    def test_each_line_gets_its_index_or_its_problem_in_order(
        self, world: World, client: TestClient
    ) -> None:
        batch = issued(world, client, 1000)
        good = [transfer(world, batch, 100) for _ in range(3)]
        overdraft = transfer(world, batch, 5000)
        raws = [good[0], b"{oops", good[1], overdraft, good[2], good[0]]
        response = post_bulk(client, raws)
        assert response.status_code == 200
        body = response.json()
        assert (body["accepted"], body["duplicates"], body["rejected"]) == (3, 1, 2)
        results = body["results"]
        assert [r["line"] for r in results] == list(range(6))
        assert results[1]["problem"]["code"] == "non_canonical_encoding"
        assert results[3]["problem"]["code"] == "insufficient_credits"
        indexes = [results[i]["index"] for i in (0, 2, 4)]
        assert indexes == sorted(indexes) and len(set(indexes)) == 3
        assert results[5] == {"line": 5, "index": indexes[0], "duplicate": True}
        assert world.held("alice", batch) == 300

    def test_thousands_of_entries_in_one_request(self, world: World, client: TestClient) -> None:
        batch = issued(world, client, 10_000)
        raws = [transfer(world, batch, 1, to="bob") for _ in range(2000)]
        body = post_bulk(client, raws).json()
        assert body["accepted"] == 2000
        assert world.held("bob", batch) == 2000
        assert client.get("/v1/log/info").json()["size"] >= 2000

    def test_concurrent_single_submissions_are_all_applied_once(
        self, world: World, client: TestClient
    ) -> None:
        platforms = register_platforms(world, client, 8)

        def open_accounts(platform: str) -> list[int]:
            raws = [
                world.sign(platform, "open_account", {"id": f"{platform}-{n}"}) for n in range(8)
            ]
            return [int(post_entry(client, raw).json()["index"]) for raw in raws]

        with ThreadPoolExecutor(8) as pool:
            indexes = [i for found in pool.map(open_accounts, platforms) for i in found]
        assert len(set(indexes)) == 64
        assert len(world.rows(schema.accounts, kind="personal")) == 64


class TestIdempotencyKey:
    def test_retry_with_the_same_key_returns_the_original_response_and_applies_once(
        self, world: World, client: TestClient
    ) -> None:
        batch = issued(world, client)
        raw = transfer(world, batch, 250)
        first = post_entry(client, raw, key="order-1")
        retry = post_entry(client, raw, key="order-1")
        assert retry.status_code == first.status_code == 201
        assert retry.content == first.content
        assert retry.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert world.held("alice", batch) == 250
        assert len(world.rows(schema.idempotency_keys, key="order-1")) == 1

    def test_same_key_with_another_body_is_refused(self, world: World, client: TestClient) -> None:
        batch = issued(world, client)
        post_entry(client, transfer(world, batch, 1), key="k")
        before = world.snapshot()
        assert_problem(
            post_entry(client, transfer(world, batch, 2), key="k"), 422, "idempotency_key_reused"
        )
        assert world.snapshot() == before

    def test_bulk_retry_returns_the_original_per_line_outcomes(
        self, world: World, client: TestClient
    ) -> None:
        batch = issued(world, client, 100)
        raws = [transfer(world, batch, 60), transfer(world, batch, 60)]
        first = post_bulk(client, raws, key="bulk-1")
        assert first.json()["accepted"] == 1 and first.json()["rejected"] == 1
        retry = post_bulk(client, raws, key="bulk-1")
        assert retry.content == first.content
        assert world.held("alice", batch) == 60

    def test_concurrent_requests_with_one_key_apply_once(
        self, world: World, client: TestClient
    ) -> None:
        batch = issued(world, client, 100)
        raw = transfer(world, batch, 10)
        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(lambda _: post_entry(client, raw, key="same"), range(8)))
        bodies = {r.content for r in responses}
        assert len(bodies) == 1
        assert sum("idempotent-replayed" not in r.headers for r in responses) == 1
        assert world.held("alice", batch) == 10

    def test_a_request_refused_outright_stores_no_key(
        self, world: World, client: TestClient
    ) -> None:
        batch = issued(world, client, 10)
        before = world.snapshot()
        assert_problem(
            post_entry(client, transfer(world, batch, 11), key="k2"), 409, "insufficient_credits"
        )
        assert world.snapshot() == before
        # The key is free: once credits suffice, the same key applies the new request.
        assert post_entry(client, transfer(world, batch, 10), key="k2").status_code == 201

    def test_the_key_is_stored_in_the_same_transaction_as_the_entries(
        self, world: World, client: TestClient
    ) -> None:
        batch = issued(world, client)
        index = post_entry(client, transfer(world, batch, 3), key="tx").json()["index"]
        (row,) = world.rows(schema.idempotency_keys, key="tx")
        assert row["status"] == 201
        assert world.row(schema.entries, idx=index) is not None


class TestEntryReads:
    def test_entries_are_listed_oldest_first_and_paginated(
        self, world: World, client: TestClient
    ) -> None:
        first = client.get("/v1/entries", params={"limit": 3}).json()
        assert [e["index"] for e in first["items"]] == [0, 1, 2]
        assert first["next_offset"] == 3
        second = client.get("/v1/entries", params={"limit": 3, "offset": 3}).json()
        assert [e["index"] for e in second["items"]] == [3, 4, 5]
        by_op = client.get("/v1/entries", params={"op": "register_project"}).json()["items"]
        assert [e["op"] for e in by_op] == ["register_project"]

    def test_one_entry_is_decoded_with_its_record_bytes(
        self, world: World, client: TestClient
    ) -> None:
        entry = client.get("/v1/entries/0").json()
        assert entry["op"] == "genesis"
        record = base64.b64decode(entry["record"])
        assert record.startswith(b'{"entry":')

    def test_missing_entry_is_404(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/entries/999999"), 404, "unknown_entry")
