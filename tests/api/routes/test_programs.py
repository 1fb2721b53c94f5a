"""Programs, methodologies and projects: the public registry."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Story
from tests.api.routes.test_entries import assert_problem


class TestRegistry:
    def test_program_with_its_administrator_and_roles(
        self, reader: tuple[TestClient, Story]
    ) -> None:
        client, _ = reader
        program = client.get("/v1/programs/PHCER").json()
        assert program["administrator"] == "regulator"
        assert program["roles"] == {"issuer": ["issuer"], "verifier": ["verifier"]}
        assert [p["code"] for p in client.get("/v1/programs").json()["items"]] == ["PHCER"]

    def test_methodology_by_code_and_version(self, reader: tuple[TestClient, Story]) -> None:
        client, _ = reader
        methodology = client.get("/v1/methodologies/pv:1").json()
        assert methodology["status"] == "active"
        assert methodology["parameters"][0]["value"] == "0.5271"
        listed = client.get("/v1/methodologies", params={"program": "PHCER"}).json()["items"]
        assert [m["id"] for m in listed] == ["pv:1"]

    def test_project_and_projects_of_an_owner(self, reader: tuple[TestClient, Story]) -> None:
        client, _ = reader
        assert client.get("/v1/projects/P1").json()["city"] == "Zhongshan"
        assert client.get("/v1/projects", params={"owner": "alice"}).json()["items"] == []

    def test_unknown_records_are_404(self, reader: tuple[TestClient, Story]) -> None:
        client, _ = reader
        assert_problem(client.get("/v1/programs/NOPE"), 404, "unknown_program")
        assert_problem(client.get("/v1/methodologies/x:9"), 404, "unknown_methodology")
        assert_problem(client.get("/v1/projects/P9"), 404, "unknown_project")
