"""The quick-start demo: its figures, its checks, and that it leaves a ledger one can carry on."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger import queries
from ledger.cli.main import app
from ledger.demo import CASE_NUMBER, EVENT_REF, DemoResult, run_demo
from ledger.storage.engine import make_engine

TONNE = 1_000_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("demo"))


class TestFigures:
    def test_case_event_and_compliance_figures_are_as_reported(self, demo: DemoResult) -> None:
        assert demo.cancelled_for_case == 1_019_000_000
        assert demo.retired_for_event == 138_250_000
        assert demo.retired_for_compliance == 7_609 * TONNE

    def test_every_batch_and_the_total_supply_add_up(self, demo: DemoResult) -> None:
        for batch in demo.batches:
            s = batch.supply
            assert s.issued == s.held + s.pledged + s.retired + s.cancelled, batch.id
        total = demo.supply
        assert total.issued == sum(b.supply.issued for b in demo.batches)
        assert total.issued == total.held + total.pledged + total.retired + total.cancelled
        assert total.pledged == 0  # the pledge was released
        assert total.retired == 7_609 * TONNE + 138_250_000
        assert total.cancelled == 1_019_000_000

    def test_issuance_follows_from_its_parameters_to_the_gram(self, demo: DemoResult) -> None:
        phcer = next(b for b in demo.batches if b.program == "PHCER")
        params = {p["name"]: p for p in phcer.parameters}
        assert params["grid_emission_factor"]["value"] == "0.5271"
        assert params["grid_emission_factor"]["source"]
        # 3,035,500 kWh x 0.5271 kg/kWh = 1,600,012.05 kg
        assert int(params["generation"]["value"]) * 5271 // 10 == phcer.supply.issued
        assert phcer.supply.issued == 1_600_012_050
        assert queries.format_tonnes(phcer.supply.issued) == "1,600.01205 t"

    def test_the_case_record_and_the_corrected_retirement(self, demo: DemoResult) -> None:
        engine = make_engine(demo.url)
        try:
            (case,) = queries.cancellations(engine, case_number=CASE_NUMBER)
            (event,) = queries.retirements(engine, event_ref=EVENT_REF)
            donations = [t for t in queries.history(engine, "cbd-forum") if t.venue == "donation"]
        finally:
            engine.dispose()
        assert (case.damage_fen, case.authority, case.reason) == (
            7_034_400,
            "zs-eeb",
            "ecological_compensation",
        )
        assert event.beneficiary_name == "Beijing CBD Forum organising committee"
        assert event.corrected_by is not None and event.corrected_by > event.index
        assert sum(t.quantity for t in donations) == 138_250_000
        assert len(donations) == 4  # three personal accounts and the platform's pool

    def test_the_rules_refused_what_they_must(self, demo: DemoResult) -> None:
        assert [r["code"] for r in demo.refused] == ["duplicate_issuance", "insufficient_credits"]


class TestChecks:
    def test_invariants_hold_and_the_replay_matches(self, demo: DemoResult) -> None:
        assert demo.problems == []
        assert demo.verification["entries"] == demo.size
        assert demo.verification["checkpoints_verified"] >= 2

    def test_proofs_check_against_signed_checkpoints(self, demo: DemoResult) -> None:
        demo.inclusion.check(demo.log_vkey)
        demo.consistency.check(demo.log_vkey)
        assert demo.inclusion.index == demo.event_retirement.index
        assert demo.inclusion.checkpoint == demo.checkpoint
        assert demo.consistency.checkpoint1 is not None
        assert demo.consistency.size2 == demo.size
        assert demo.checkpoint.startswith(f"{demo.origin}\n{demo.size}\n")


class TestRunning:
    def test_a_rerun_recreates_the_ledger_and_leaves_other_files_alone(
        self, tmp_path: Path
    ) -> None:
        (tmp_path / "keys").mkdir()
        (tmp_path / "notes.txt").write_text("mine")
        (tmp_path / "keys" / "mine.json").write_text("{}")
        started = time.monotonic()
        first = run_demo(tmp_path)
        second = run_demo(tmp_path)
        assert time.monotonic() - started < 20  # "a few seconds" each, with room for slow CI
        assert second.size == first.size
        assert second.log_vkey != first.log_vkey
        assert (tmp_path / "notes.txt").read_text() == "mine"
        assert (tmp_path / "keys" / "mine.json").exists()

    def test_the_command_prints_a_summary_and_the_ledger_carries_on(self, tmp_path: Path) -> None:
        runner = CliRunner()
        result = runner.invoke(app, ["demo", "--dir", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert "138.25 t" in result.stdout and "1,019 t" in result.stdout
        assert "check: ok" in result.stdout and "verify: ok" in result.stdout
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
        carry_on = [
            "transfer", "--db", url, "--as", str(tmp_path / "keys" / "liangyi.json"),
            "--log-key", str(tmp_path / "log.key"), "--to", "zs-plating",
            "--lot", "PHCER-2022-000001=1t", "--json",
        ]  # fmt: skip
        moved = runner.invoke(app, carry_on)
        assert moved.exit_code == 0, moved.output
        assert json.loads(moved.stdout)["data"]["quantity"] == TONNE

    def test_json_output_parses(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path), "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["retired_for_event"] == 138_250_000
        assert data["cancelled_for_case"] == 1_019_000_000


class TestAnchoring:
    def test_the_final_checkpoint_is_anchored_and_an_entry_proves_end_to_end(
        self, demo: DemoResult
    ) -> None:
        assert demo.anchor is not None
        assert (demo.anchor.status, demo.anchor.size) == ("anchored", demo.size)
        assert demo.checkpoint.startswith(f"{demo.origin}\n{demo.size}\n")
        index = str(demo.event_retirement.index)
        result = CliRunner().invoke(
            app, ["prove", "entry", index, "--db", demo.url, "--log-vkey", demo.log_vkey]
        )
        assert result.exit_code == 0, result.output
        assert "proved: every step checks out" in result.stdout
