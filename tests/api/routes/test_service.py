"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import post_entry
from tests.builders import World


def metric(text: str, name: str) -> float:
    """The value of the sample ``name`` (with its labels) in a Prometheus exposition."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no sample {name}")


class TestHealth:
    def test_healthz_and_readyz_with_the_writer(self, world: World, client: TestClient) -> None:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["writer"] is True and ready.json()["size"] > 0

    def test_a_read_only_process_is_not_ready_and_refuses_writes(self, world: World) -> None:
        with TestClient(create_app(Settings(db=world.url))) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["writer"] is False and ready.json()["database"] is True
            response = post_entry(client, world.sign("platform", "open_account", {"id": "p"}))
            assert response.status_code == 503
            assert response.json()["code"] == "writer_unavailable"
            assert client.get("/v1/programs/PHCER").status_code == 200


class TestMetrics:
    def test_entries_rejections_groups_and_latency_are_counted(
        self, world: World, client: TestClient
    ) -> None:
        post_entry(client, world.sign("platform", "open_account", {"id": "p-1"}))
        post_entry(client, world.sign("bob", "open_account", {"id": "p-2"}))
        post_entry(client, b"{}")
        text = client.get("/metrics").text
        assert metric(text, "carbonledger_entries_appended_total") == 1
        assert metric(text, 'carbonledger_rejections_total{code="not_authorised"}') == 1
        assert metric(text, 'carbonledger_rejections_total{code="invalid_input"}') == 1
        assert metric(text, "carbonledger_group_size_count") == 3
        assert (
            metric(
                text,
                'carbonledger_request_seconds_count{method="POST",route="/v1/entries",status="201"}',
            )
            == 1
        )
        assert "carbonledger_checkpoints_sealed_total" in text
