"""Fixtures for the HTTP API: a ledger world served in-process by the app, one per test.

The world is built (and, for the read tests, populated) through its own ``Ledger``, which is
then closed: the app's writer is the only writer of the database, as in production.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import sign_request
from api.settings import Settings
from ledger.client import Identity
from node.sequencer import free_port
from tests.builders import DIGEST, TONNE, World, build_world, lots

JSON = {"content-type": "application/json"}
NDJSON = {"content-type": "application/x-ndjson"}


def post_entry(client: TestClient, raw: bytes, key: str | None = None) -> object:
    headers = dict(JSON)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/v1/entries", content=raw, headers=headers)


def post_bulk(client: TestClient, raws: list[bytes], key: str | None = None) -> object:
    headers = dict(NDJSON)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/v1/entries/bulk", content=b"\n".join(raws) + b"\n", headers=headers)


def register_platforms(world: World, client: TestClient, count: int) -> list[str]:
    """Register ``count`` platforms (``pl0``, ``pl1``...) in one bulk request; their ids."""
    platforms = [f"pl{i}" for i in range(count)]
    register = [
        world.sign(
            "operator",
            "register_participant",
            world.participant_body(pid, ["platform"], "platform"),
        )
        for pid in platforms
    ]
    assert post_bulk(client, register).json()["accepted"] == count  # type: ignore[attr-defined]
    return platforms


def signed_get(client: TestClient, who: Identity, target: str, **kw: int) -> object:
    return client.get(target, headers=sign_request(who, "GET", target, **kw))


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def serve(world: World, **settings: object) -> TestClient:
    """A client of the app serving ``world``'s database, holding its writer."""
    app = create_app(Settings(db=world.url, log_signer=world.signer, **settings))  # type: ignore[arg-type]
    return TestClient(app)


@pytest.fixture
def world(ledger_url: str) -> Iterator[World]:
    """The standard world, its own ledger closed (the app will hold the writer)."""
    built = build_world(ledger_url)
    built.close()
    yield built


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with serve(world, seal_ms=0) as started:
        yield started


@dataclass
class Story:
    """What ``story`` recorded, by id."""

    batch: str
    retirement: str
    cancellation: str
    pledge: str
    personal: str


@pytest.fixture
def story(ledger_url: str) -> Iterator[tuple[World, Story]]:
    """The world of ``build_story``, for one test."""
    yield build_story(ledger_url)


def build_story(ledger_url: str) -> tuple[World, Story]:
    """The world after a season of use: 2,000 t issued to owner, 1,019 t sold to alice at
    69.03 CNY/t on an exchange, 138.25 t retired for an event, 100 t pledged to the bank, alice
    cancelling 19 t for a court case, bob's 5 t, and a personal account kept by the platform
    holding 1 t; sealed, then the ledger is closed for the app."""
    world = build_world(ledger_url)
    batch = world.issue(2000 * TONNE)
    world.accept(
        "owner",
        "transfer",
        {
            "from_account": "owner",
            "to_account": "alice",
            "lots": lots(batch, 1019 * TONNE),
            "price_fen_per_tonne": 6_903,
            "venue": "exchange_agreement",
            "settlement_ref": "S-1",
        },
    )
    retirement = world.accept(
        "owner",
        "retire",
        {
            "account": "owner",
            "lots": lots(batch, 138_250_000),
            "beneficiary": {"name": "Beijing CBD Forum", "identifier": "USCC-1"},
            "purpose": "event_neutrality",
            "jurisdiction": "CN-BJ",
            "event_ref": "CBD-2024",
        },
    ).data["retirement"]
    pledge = world.accept(
        "owner",
        "pledge",
        {"account": "owner", "bank": "bank", "lots": lots(batch, 100 * TONNE)},
        ["bank"],
    ).data["pledge"]
    cancellation = world.accept(
        "alice",
        "cancel",
        {
            "account": "alice",
            "lots": lots(batch, 19 * TONNE),
            "reason": "ecological_compensation",
            "case": {
                "authority": "court",
                "case_number": "(2023)Y20",
                "damage_fen": 7_034_400,
                "decision_digest": DIGEST,
            },
        },
        ["court"],
    ).data["cancellation"]
    world.accept(
        "owner",
        "transfer",
        {"from_account": "owner", "to_account": "bob", "lots": lots(batch, 5 * TONNE)},
    )
    world.open_account("p-0001")
    world.accept(
        "owner",
        "transfer",
        {"from_account": "owner", "to_account": "p-0001", "lots": lots(batch, TONNE)},
    )
    world.ledger.seal()
    world.close()
    return world, Story(str(batch), str(retirement), str(cancellation), str(pledge), "p-0001")


@pytest.fixture
def reader(story: tuple[World, Story]) -> Iterator[tuple[TestClient, Story]]:
    """A client of the story's ledger, for the public reads."""
    world, facts = story
    with serve(world) as client:
        yield client, facts
