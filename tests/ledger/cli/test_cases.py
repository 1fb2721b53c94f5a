"""``carbonledger case``: register a case, cancel against it, see it closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger.cli.neutrality_cli import Stories, stories_cli
from tests.stories import CASE_DECISION, CASE_NUMBER


@pytest.fixture
def open_case(ledger_url: str, tmp_path: Path) -> Stories:
    return stories_cli(ledger_url, tmp_path, cancel=False)


class TestCaseCommands:
    def test_register_cancel_and_close(self, open_case: Stories) -> None:
        cli = open_case
        made = cli.write(
            "case", "register", "--as", cli.key("court"), "--case", "(2024)Yue01",
            "--liable", "alice", "--damage", "12345.67", "--required", "2.5t",
            "--decision-digest", CASE_DECISION, "--jurisdiction", "CN-GD",
        )  # fmt: skip
        assert made["data"] == {"case": "(2024)Yue01", "required": 2_500_000}
        shown = cli.json("case", "show", CASE_NUMBER)
        assert (shown["status"], shown["outstanding"]) == ("open", 1_019_000_000)
        cancelled = cli.write(
            "cancel", "--as", cli.key("zs-plating"), "--lot", f"{cli.case.batch}=1019t",
            "--reason", "ecological_compensation", "--authority", "zs-eeb",
            "--case", CASE_NUMBER, "--damage", "70344", "--decision-digest", CASE_DECISION,
            "--cosign", cli.key("zs-eeb"),
        )  # fmt: skip
        assert cancelled["data"]["case_closed"] is True
        shown = cli.json("case", "show", CASE_NUMBER)
        assert (shown["status"], shown["cancelled"], shown["outstanding"]) == (
            "closed",
            1_019_000_000,
            0,
        )
        assert [c["case_number"] for c in cli.json("case", "list", "--status", "open")] == [
            "(2024)Yue01"
        ]
        assert "70,344.00 CNY" in cli.ok("case", "show", CASE_NUMBER).output

    def test_only_an_authority_registers(self, open_case: Stories) -> None:
        open_case.fails(
            "case", "register", "--as", open_case.key("alice"), "--log-key",
            open_case.path("log.key"), "--case", "x", "--liable", "bob", "--damage", "1",
            "--required", "1t", "--decision-digest", CASE_DECISION, "--jurisdiction", "CN-GD",
            code="not_authorised",
        )  # fmt: skip
