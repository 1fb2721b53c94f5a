"""``carbonledger report``: audit, totals and trades on a database or a replayed bundle."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import update

from ledger.storage import schema
from ledger.storage.engine import make_engine
from tests.ledger.cli.neutrality_cli import Stories, stories_cli


@pytest.fixture
def stories(ledger_url: str, tmp_path: Path) -> Stories:
    """The forum offset and the case settled, every key saved as a key file."""
    return stories_cli(ledger_url, tmp_path)


class TestAudit:
    def test_clean_ledger_audit_with_csv(self, stories: Stories) -> None:
        report = stories.json("report", "audit", "--csv", stories.path("audit.csv"))
        assert report["flags"] == [] and len(report["batches"]) == 2
        assert report["supply"]["issued"] == 150_000_000 + 1_600_000_000
        with Path(stories.path("audit.csv")).open() as out:
            rows = list(csv.DictReader(out))
        assert {r["batch"] for r in rows} == {stories.forum.batch, stories.case.batch}
        assert "no flags" in stories.ok("report", "audit").output

    def test_bundle_copy_gives_the_same_report(self, stories: Stories) -> None:
        stories.ok("export", stories.path("ledger.clb"))
        from_bundle = stories.json(
            "report", "audit", "--bundle", stories.path("ledger.clb"), "--log-vkey",
            stories.log_vkey,
        )  # fmt: skip
        assert from_bundle["batches"] == stories.json("report", "audit")["batches"]

    def test_flags_fail_the_command_when_asked(self, stories: Stories) -> None:
        engine = make_engine(stories.url)
        with engine.begin() as conn:
            b = schema.batches
            conn.execute(update(b).where(b.c.id == stories.case.batch).values(verifier="alice"))
        engine.dispose()
        result = stories.run("report", "audit", "--fail-on-flags", "--program", "PHCER")
        assert result.exit_code == 1
        assert "attestation_missing" in result.output


class TestTotalsAndTrades:
    def test_totals_by_region_with_chart_and_csv(self, stories: Stories) -> None:
        data = stories.json(
            "report", "totals", "--by", "region", "--every", "all", "--plot",
            stories.path("totals.svg"), "--csv", stories.path("totals.csv"),
        )  # fmt: skip
        by_region = {r["key"]: r["supply"]["issued"] for r in data["rows"]}
        assert by_region == {"CN-BJ": 150_000_000, "CN-GD": 1_600_000_000}
        assert "<svg" in Path(stories.path("totals.svg")).read_text()
        assert Path(stories.path("totals.csv")).read_text().startswith("period,region,batches")

    def test_trades_of_a_period(self, stories: Stories) -> None:
        data = stories.json("report", "trades", "--since", "2000-01-01", "--csv",
                            stories.path("trades.csv"))  # fmt: skip
        (trade,) = data["trades"]
        assert (trade["quantity"], trade["value_fen"], trade["venue"]) == (
            1_019_000_000,
            7_034_157,
            "exchange_agreement",
        )
        assert stories.json("report", "trades", "--until", "2000-01-01")["trades"] == []

    def test_unknown_grouping_is_refused(self, stories: Stories) -> None:
        stories.fails("report", "totals", "--by", "colour", code="invalid_input")
