"""``carbonledger event``: register, amend, show and list events from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger.cli.neutrality_cli import Stories, stories_cli

ELECTRICITY = "hosting:purchased_electricity:48.25t:84,605 kWh x 0.5703 kg/kWh"
TRAVEL = "hosting:attendee_travel:90t:1,500 attendees x 60 kg"


@pytest.fixture
def stories(ledger_url: str, tmp_path: Path) -> Stories:
    """The forum offset and the case settled, every key saved as a key file."""
    return stories_cli(ledger_url, tmp_path)


class TestEventCommands:
    def test_register_then_show_the_inventory(self, stories: Stories) -> None:
        made = stories.write(
            "event", "register", "--as", stories.key("alice"), "--name", "Expo 2025",
            "--start", "2025-05-01", "--end", "2025-05-03", "--place", "Chengdu",
            "--jurisdiction", "CN-SC", "--emission", ELECTRICITY, "--emission", TRAVEL,
        )  # fmt: skip
        eid = made["data"]["event"]
        assert made["data"]["emitted"] == 138_250_000
        shown = stories.json("event", "show", eid)
        assert (shown["emitted"], shown["covered"], shown["uncovered"], shown["neutral"]) == (
            138_250_000,
            0,
            138_250_000,
            False,
        )
        assert [line["basis"] for line in shown["lines"]] == [
            "84,605 kWh x 0.5703 kg/kWh",
            "1,500 attendees x 60 kg",
        ]
        table = stories.ok("event", "show", eid).output
        assert "Expo 2025" in table and "138.25 t" in table

    def test_amend_with_a_negative_change(self, stories: Stories) -> None:
        made = stories.write(
            "event", "amend", stories.forum.event, "--as", stories.key("cbd-forum"),
            "--change", "closing:waste:-0.5t:re-weighed", "--reason", "final weighing",
        )  # fmt: skip
        assert made["data"] == {
            "event": stories.forum.event,
            "emitted": 137_750_000,
            "covered": 138_250_000,
            "neutral": True,
        }

    def test_list_shows_neutral_events(self, stories: Stories) -> None:
        (listed,) = stories.json("event", "list", "--neutral")
        assert (listed["id"], listed["covered"]) == (stories.forum.event, 138_250_000)
        assert stories.json("event", "list", "--not-neutral") == []

    def test_a_malformed_emission_line_is_a_usage_error(self, stories: Stories) -> None:
        result = stories.run(
            "event", "register", "--as", stories.key("alice"), "--log-key",
            stories.path("log.key"), "--name", "x", "--start", "2025-05-01", "--end",
            "2025-05-01", "--place", "y", "--jurisdiction", "CN-SC", "--emission", "hosting:48t",
        )  # fmt: skip
        assert result.exit_code == 2
        assert "STAGE:SOURCE:QUANTITY:BASIS" in result.output

    def test_retiring_for_another_jurisdiction_is_refused(self, stories: Stories) -> None:
        stories.fails(
            "retire", "--as", stories.key("bj-travel"), "--log-key", stories.path("log.key"),
            "--account", "bj-travel", "--lot", f"{stories.forum.batch}=1g", "--beneficiary", "x",
            "--purpose", "event_neutrality", "--jurisdiction", "CN-GD",
            "--event", stories.forum.event, code="event_mismatch",
        )  # fmt: skip
