"""A worker that does not hold the writer forwards writes to the process that does, and
serves reads itself: the several-workers deployment, in one process."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from node.sequencer import free_port
from tests.api.conftest import post_bulk, post_entry, register_platforms, running
from tests.builders import World


@pytest.fixture
def worker(world: World) -> Iterator[TestClient]:
    """A worker forwarding to a writer served on a loopback port."""
    writer = create_app(Settings(db=world.url, log_signer=world.signer, seal_ms=0))
    with (
        running(writer) as url,
        TestClient(create_app(Settings(db=world.url, writer_url=url))) as client,
    ):
        yield client


class TestForwarding:
    def test_writes_are_applied_by_the_writer_and_read_back_here(
        self, world: World, worker: TestClient
    ) -> None:
        raw = world.sign("platform", "open_account", {"id": "p-1"})
        response = post_entry(worker, raw)
        assert response.status_code == 201
        index = response.json()["index"]
        assert worker.get(f"/v1/entries/{index}").json()["op"] == "open_account"
        assert worker.get("/readyz").json()["writer"] is True

    def test_idempotency_and_problems_pass_through_unchanged(
        self, world: World, worker: TestClient
    ) -> None:
        raws = [world.sign("platform", "open_account", {"id": f"p-{n}"}) for n in range(3)]
        first = post_bulk(worker, raws, key="batch-7")
        retry = post_bulk(worker, raws, key="batch-7")
        assert retry.content == first.content
        assert retry.headers["idempotent-replayed"] == "true"
        refused = post_entry(worker, world.sign("bob", "open_account", {"id": "p-9"}))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "not_authorised"

    def test_concurrent_single_entries_are_coalesced_and_each_gets_its_reply(
        self, world: World, worker: TestClient
    ) -> None:
        platforms = register_platforms(world, worker, 6)

        def open_accounts(platform: str) -> list[tuple[int, int]]:
            replies = []
            for n in range(5):
                raw = world.sign(platform, "open_account", {"id": f"{platform}-{n}"})
                response = post_entry(worker, raw, key=f"{platform}-{n}")
                replies.append((response.status_code, response.json()["index"]))
            return replies

        with ThreadPoolExecutor(6) as pool:
            replies = [r for found in pool.map(open_accounts, platforms) for r in found]
        assert {status for status, _ in replies} == {201}
        assert len({index for _, index in replies}) == 30
        retry = post_entry(
            worker,
            world.sign(
                "pl0",
                "open_account",
                {"id": "pl0-0"},
            ),
            key="pl0-0",
        )
        assert retry.status_code == 422  # the same key, another entry (a new sequence number)

    def test_an_unreachable_writer_is_503_and_not_ready(self, world: World) -> None:
        nowhere = f"http://127.0.0.1:{free_port()}"
        with TestClient(create_app(Settings(db=world.url, writer_url=nowhere))) as client:
            response = post_entry(client, world.sign("platform", "open_account", {"id": "p"}))
            assert response.status_code == 503
            assert response.json()["code"] == "writer_unavailable"
            assert client.get("/readyz").status_code == 503
