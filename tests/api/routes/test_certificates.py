"""Certificates over HTTP: bundle, HTML, PDF, and the offline check of a bundle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import serve
from tests.builders import World, build_world
from tests.stories import CASE_NUMBER, zhongshan


@pytest.fixture
def served(ledger_url: str) -> Iterator[tuple[TestClient, str]]:
    world: World = build_world(ledger_url)
    zhongshan(world)
    world.ledger.seal()
    world.close()
    with serve(world) as client:
        yield client, world.ledger.log_vkey


class TestCertificates:
    def test_bundle_verifies_through_the_api(self, served: tuple[TestClient, str]) -> None:
        client, log_vkey = served
        bundle = client.get(f"/v1/certificates/cancellation/{CASE_NUMBER}").json()
        assert bundle["claims"]["case"]["closed"] is True
        checked = client.post(
            "/v1/certificates/verify", params={"log_vkey": log_vkey}, json=bundle
        ).json()
        assert checked["verified"] is True and checked["claims"] == bundle["claims"]
        bundle["claims"]["case"]["damage_fen"] = 1
        refused = client.post("/v1/certificates/verify", params={"log_vkey": log_vkey}, json=bundle)
        assert (refused.status_code, refused.json()["code"]) == (422, "certificate_mismatch")

    def test_html_and_pdf(self, served: tuple[TestClient, str]) -> None:
        client, _ = served
        page = client.get(f"/v1/certificates/cancellation/{CASE_NUMBER}/html")
        assert page.headers["content-type"].startswith("text/html")
        assert "70,344.00 CNY" in page.text
        pdf = client.get(f"/v1/certificates/cancellation/{CASE_NUMBER}/pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")

    def test_unknown_subject_is_404(self, served: tuple[TestClient, str]) -> None:
        client, _ = served
        missing = client.get("/v1/certificates/retirement/RET-99999")
        assert (missing.status_code, missing.json()["code"]) == (404, "unknown_retirement")
