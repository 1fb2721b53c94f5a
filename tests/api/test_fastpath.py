"""The fast path of the hottest reads answers exactly as the FastAPI routes do.

The same requests go to the story's ledger served twice, with ``fast_path`` on and off (for
submissions, to two copies of one SQLite ledger): status, content type and body must be the same
bytes. The fast path must also really answer the well-formed reads (they are counted), and
leave everything else to the routes.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import SIGNATURE, sign_request
from api.reads import HotReads
from api.settings import Settings
from ledger.client import Identity
from tests.api.conftest import JSON, Story
from tests.builders import World, lots

Request = tuple[str, Identity | None, dict[str, Any]]


@pytest.fixture
def twins(story: tuple[World, Story]) -> Iterator[tuple[World, Story, TestClient, TestClient]]:
    """The story served with the fast path and without it (reads only: no writer)."""
    world, facts = story
    fast = TestClient(create_app(Settings(db=world.url)))
    slow = TestClient(create_app(Settings(db=world.url, fast_path=False)))
    with fast, slow:
        yield world, facts, fast, slow


def ask(client: TestClient, target: str, who: Identity | None, **sign: Any) -> tuple[Any, ...]:
    headers = {} if who is None else sign_request(who, "GET", target, **sign)
    response = client.get(target, headers=headers)
    return response.status_code, response.headers["content-type"], response.content


class Counted:
    """Counts the reads the fast path answered on ``client``'s app."""

    def __init__(self, client: TestClient) -> None:
        hot: HotReads = client.app.state.hot_reads  # type: ignore[attr-defined]
        assert hot is not None
        self.calls = 0
        run = hot.run

        async def counted(work: Any) -> Any:
            self.calls += 1
            return await run(work)

        hot.run = counted  # type: ignore[method-assign]


class TestSameAnswers:
    def test_inclusion_proofs_are_the_routes_bytes(
        self, twins: tuple[World, Story, TestClient, TestClient]
    ) -> None:
        _, _, fast, slow = twins
        size = slow.get("/v1/log/info").json()["size"]
        targets = [
            f"/v1/log/proofs/inclusion?index={index}&size={tree}"
            for tree in (1, 2, 3, 7, size - 1, size)
            for index in sorted({0, tree // 2, tree - 1})
        ]
        targets += [
            f"/v1/log/proofs/inclusion?size={size}&index=1",
            f"/v1/log/proofs/inclusion?index=0&size={size + 1}",  # beyond the log
            f"/v1/log/proofs/inclusion?index={size}&size={size}",  # not in the tree
            "/v1/log/proofs/inclusion?index=0&size=0",
            "/v1/log/proofs/inclusion?index=-1&size=3",
            "/v1/log/proofs/inclusion?index=01&size=3",
            "/v1/log/proofs/inclusion?index=1",
            "/v1/log/proofs/inclusion?index=1&index=2&size=3",
            "/v1/log/proofs/inclusion?index=1&size=3&extra=1",
            "/v1/log/proofs/inclusion?index=x&size=3",
            f"/v1/log/proofs/inclusion?index=1&size={2**62 + 1}",
        ]
        for target in targets:
            assert ask(fast, target, None) == ask(slow, target, None), target

    def test_holdings_are_the_routes_bytes_for_every_reader(
        self, twins: tuple[World, Story, TestClient, TestClient]
    ) -> None:
        world, facts, fast, slow = twins
        own = "/v1/accounts/alice/holdings"
        personal = f"/v1/accounts/{facts.personal}/holdings"
        requests: list[Request] = [
            (own, world["alice"], {}),
            (own + "?limit=1", world["alice"], {}),
            (own + "?limit=1&offset=1", world["alice"], {}),
            (own + "?status=held", world["alice"], {}),
            (own + f"?batch={facts.batch}&status=cancelled", world["alice"], {}),
            (own + "?batch=NOPE", world["alice"], {}),
            (own, world["regulator"], {}),  # an administrator
            (own, world["bob"], {}),  # not_authorised
            (own, world["platform"], {}),
            (own, None, {}),  # unsigned
            (own, world["alice"], {"now": int(time.time()) - 1000}),  # stale
            (own + "?limit=0", world["alice"], {}),
            (own + "?limit=1001", world["alice"], {}),
            (own + "?offset=-1", world["alice"], {}),
            (own + "?status=", world["alice"], {}),
            (own + "?limit=2&limit=3", world["alice"], {}),
            (own + "?other=1", world["alice"], {}),
            (personal, world["platform"], {}),
            (personal, world["alice"], {}),
            ("/v1/accounts/nobody/holdings", world["alice"], {}),
            ("/v1/accounts/bad%20id/holdings", world["alice"], {}),
        ]
        for target, who, sign in requests:
            want = ask(slow, target, who, **sign)
            assert ask(fast, target, who, **sign) == want, (target, who)

    def test_a_damaged_signature_is_the_routes_problem(
        self, twins: tuple[World, Story, TestClient, TestClient]
    ) -> None:
        world, _, fast, slow = twins
        target = "/v1/accounts/alice/holdings"
        headers = sign_request(world["alice"], "GET", target)
        headers[SIGNATURE] = sign_request(world["alice"], "GET", target + "?x=1")[SIGNATURE]
        answers = [client.get(target, headers=headers) for client in (fast, slow)]
        assert answers[0].status_code == answers[1].status_code == 401
        assert answers[0].content == answers[1].content


class TestWhatItAnswers:
    def test_well_formed_reads_are_answered_on_the_fast_path(
        self, twins: tuple[World, Story, TestClient, TestClient]
    ) -> None:
        world, _, fast, _ = twins
        counted = Counted(fast)
        size = fast.get("/v1/log/info").json()["size"]
        assert ask(fast, f"/v1/log/proofs/inclusion?index=0&size={size}", None)[0] == 200
        assert ask(fast, "/v1/accounts/alice/holdings?limit=5", world["alice"])[0] == 200
        assert counted.calls == 2

    def test_malformed_requests_never_reach_the_database_on_the_fast_path(
        self, twins: tuple[World, Story, TestClient, TestClient]
    ) -> None:
        world, _, fast, _ = twins
        counted = Counted(fast)
        assert ask(fast, "/v1/log/proofs/inclusion?index=1&size=0", None)[0] == 400
        assert ask(fast, "/v1/accounts/alice/holdings", None)[0] == 401
        assert ask(fast, "/v1/accounts/alice/holdings?limit=0", world["alice"])[0] == 400
        assert counted.calls == 0

    def test_the_latency_metric_names_the_route_template(
        self, twins: tuple[World, Story, TestClient, TestClient]
    ) -> None:
        world, _, fast, _ = twins
        assert ask(fast, "/v1/accounts/alice/holdings", world["alice"])[0] == 200
        metrics = fast.get("/metrics").text
        assert 'route="/v1/accounts/{account_id}/holdings",status="200"' in metrics


class TestSingleSubmissions:
    def test_answers_are_the_routes_on_a_copy_of_the_same_ledger(
        self, story: tuple[World, Story], tmp_path: Path
    ) -> None:
        world, facts = story
        if not world.url.startswith("sqlite:///"):
            pytest.skip("the twin ledger is a copy of the SQLite file")
        twin = tmp_path / "twin.db"
        shutil.copy(world.url.removeprefix("sqlite:///"), twin)

        def move(grams: int) -> bytes:
            body = {
                "from_account": "owner",
                "to_account": "alice",
                "lots": lots(facts.batch, grams),
            }
            return world.sign("owner", "transfer", body)

        first, second, third = move(1000), move(2000), move(3000)
        damaged = bytearray(move(4000))
        damaged[-5] ^= 1
        requests: list[tuple[bytes, dict[str, str]]] = [
            (first, JSON),
            (first, JSON),  # a duplicate: 200
            (second, {**JSON, "Idempotency-Key": "k-1"}),
            (second, {**JSON, "Idempotency-Key": "k-1"}),  # replayed
            (third, {**JSON, "Idempotency-Key": "k-1"}),  # the key reused: 422
            (third, {"content-type": "application/json; charset=utf-8"}),
            (bytes(damaged), JSON),
            (b"{not json", JSON),
            (first, {"content-type": "text/plain"}),  # 415, from the route
            (first, {**JSON, "Idempotency-Key": "bad\x01key"}),  # 400, from the route
        ]
        answers = []
        for url, fast in ((world.url, True), (f"sqlite:///{twin}", False)):
            app = create_app(Settings(db=url, log_signer=world.signer, seal_ms=0, fast_path=fast))
            with TestClient(app) as client:
                answers.append(
                    [
                        (
                            response.status_code,
                            response.headers["content-type"],
                            response.headers.get("Idempotent-Replayed"),
                            response.content,
                        )
                        for response in (
                            client.post("/v1/entries", content=raw, headers=headers)
                            for raw, headers in requests
                        )
                    ]
                )
        assert [answer[0] for answer in answers[0]] == [
            201,
            200,
            201,
            201,
            422,
            201,
            400,
            400,
            415,
            400,
        ]
        assert answers[0] == answers[1]
