"""The writer's internal route for coalesced single entries: one reply per submission, each
exactly what ``POST /v1/entries`` would answer."""

from __future__ import annotations

import base64

import orjson
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import JSON, post_entry
from tests.builders import World

PATH = "/internal/v1/submissions"


def post(client: TestClient, items: object) -> list[dict[str, object]]:
    response = client.post(PATH, content=orjson.dumps(items), headers=JSON)
    assert response.status_code == 200, response.text
    replies: list[dict[str, object]] = response.json()
    return replies


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class TestInternalSubmissions:
    def test_each_submission_gets_the_reply_the_public_route_gives(
        self, world: World, client: TestClient
    ) -> None:
        good = world.sign("platform", "open_account", {"id": "p-1"})
        refused = world.sign("bob", "open_account", {"id": "p-2"})
        replies = post(
            client,
            [
                {"key": "k1", "body": b64(good)},
                {"key": None, "body": b64(refused)},
                {"key": None, "body": "***"},
                {"key": " bad key", "body": b64(good)},
            ],
        )
        assert [r["status"] for r in replies] == [201, 403, 400, 400]
        assert orjson.loads(base64.b64decode(str(replies[1]["body"])))["code"] == "not_authorised"
        # The key was stored by the writer: the public route replays the same response.
        again = post_entry(client, good, key="k1")
        assert again.headers["idempotent-replayed"] == "true"
        assert again.content == base64.b64decode(str(replies[0]["body"]))

    def test_a_batch_that_is_not_a_list_is_refused_whole(
        self, world: World, client: TestClient
    ) -> None:
        before = world.snapshot()
        response = client.post(PATH, content=b'{"key": null}', headers=JSON)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_input"
        assert world.snapshot() == before

    def test_a_process_without_the_writer_answers_each_writer_unavailable(
        self, world: World
    ) -> None:
        raw = world.sign("platform", "open_account", {"id": "p-1"})
        with TestClient(create_app(Settings(db=world.url))) as client:
            (reply,) = post(client, [{"key": None, "body": b64(raw)}])
        assert reply["status"] == 503
