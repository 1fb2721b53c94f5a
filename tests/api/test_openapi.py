"""The OpenAPI document against the running API, with schemathesis: for requests generated
from the document (valid and invalid), no server error, and every response documented:
status code, media type, headers and body schema.

The app runs in a real uvicorn server on a loopback port, started and stopped by the fixture,
over the story's ledger (``tests.api.conftest.build_story``) so that reads find data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import build_story, running
from tests.builders import World
from tests.databases import fresh_database

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@schemathesis.serializer("application/x-ndjson", "application/jsonl")
def _ndjson(ctx: Any, value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else str(value).encode()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """The base URL of the story's API served by uvicorn, and its OpenAPI document: one
    database for every operation of this one test."""
    with fresh_database(tmp_path_factory.mktemp("openapi")) as url:
        world, _ = build_story(url)
        yield from _serve(world)


def _serve(world: World) -> Iterator[tuple[str, dict[str, Any]]]:
    app = create_app(Settings(db=world.url, log_signer=world.signer, seal_ms=0))
    with running(app) as base_url:
        yield base_url, app.openapi()


# The document is the app's own; building the app opens nothing (the lifespan does).
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_response_is_documented_and_none_is_a_server_error(
    case: Any, live: tuple[str, dict[str, Any]]
) -> None:
    case.call_and_validate(base_url=live[0], checks=CHECKS)
