"""The carbonledger command line, driven through Typer's CliRunner on a fresh database."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import update
from typer.testing import CliRunner

from ledger import queries
from ledger.cli.amounts import parse_cny, parse_lot, parse_quantity
from ledger.cli.keyfile import load_identity, save_identity, save_log_key
from ledger.cli.main import app
from ledger.errors import InvalidInput
from ledger.merkle.hashing import leaf_hash
from ledger.merkle.verify import verify_consistency, verify_inclusion
from ledger.storage import schema
from ledger.storage.engine import make_engine
from tests.builders import DIGEST, TONNE, World, build_world
from tests.databases import snapshot

BATCH = "PHCER-2022-000001"


class Cli:
    """Runs commands against one database (through CARBONLEDGER_DB) in one directory."""

    def __init__(self, url: str, directory: Path) -> None:
        self.url = url
        self.dir = directory
        self.runner = CliRunner()

    def path(self, name: str) -> str:
        return str(self.dir / name)

    def key(self, pid: str) -> str:
        return self.path(f"{pid}.json")

    def run(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args), env={"CARBONLEDGER_DB": self.url})

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, f"{args}: {result.output}"
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)

    def write(self, *args: str) -> Any:
        """A write command, signed and submitted with the log key; its JSON outcome."""
        return self.json(*args, "--log-key", self.path("log.key"))

    def fails(self, *args: str, code: str, status: int = 1) -> Result:
        result = self.run(*args)
        assert result.exit_code == status, result.output
        assert f"error: {code}: " in result.stderr, result.output
        return result

    def engine_snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        engine = make_engine(self.url)
        try:
            return snapshot(engine)
        finally:
            engine.dispose()


@pytest.fixture
def cli(ledger_url: str, tmp_path: Path) -> Cli:
    return Cli(ledger_url, tmp_path)


@pytest.fixture
def ready(ledger_url: str, tmp_path: Path) -> Iterator[Cli]:
    """The standard test world (tests.builders), with every key saved as a key file."""
    world: World = build_world(ledger_url)
    world.close()
    for identity in world.ids.values():
        save_identity(identity, tmp_path / f"{identity.participant}.json")
    save_log_key(world.signer, tmp_path / "log.key")
    yield Cli(ledger_url, tmp_path)


def issue(cli: Cli, quantity: str = "2000t") -> Any:
    return cli.write(
        "issue", "--as", cli.key("issuer"), "--cosign", cli.key("verifier"),
        "--project", "P1", "--vintage-start", "2022-01-01", "--vintage-end", "2022-12-31",
        "--quantity", quantity, "--to", "owner", "--verified-on", "2023-03-01",
        "--report-digest", DIGEST, "--origin-ref", "GD-2023-0001",
        "--param", "grid_emission_factor:0.5271:kgCO2/kWh:MEE 2022",
    )  # fmt: skip


class TestKeys:
    def test_new_key_file_is_private_and_matches_what_is_printed(self, cli: Cli) -> None:
        shown = cli.json("keys", "new", "alice", "--out", cli.key("alice"))
        path = Path(cli.key("alice"))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        data = json.loads(path.read_text())
        assert data["participant"] == "alice"
        assert len(base64.b64decode(data["seed"])) == 32
        identity = load_identity(path)
        assert (shown["key_id"], shown["public_key"]) == (
            identity.key_id,
            identity.public_key_b64,
        )
        assert cli.json("keys", "show", str(path))["key_id"] == identity.key_id
        assert data["seed"] not in cli.ok("keys", "show", str(path)).output

    def test_an_existing_key_file_is_never_overwritten(self, cli: Cli) -> None:
        cli.ok("keys", "new", "alice", "--out", cli.key("alice"))
        before = Path(cli.key("alice")).read_bytes()
        cli.fails("keys", "new", "alice", "--out", cli.key("alice"), code="file_exists")
        assert Path(cli.key("alice")).read_bytes() == before

    def test_a_key_file_whose_public_key_does_not_match_its_seed_is_refused(self, cli: Cli) -> None:
        cli.ok("keys", "new", "alice", "--out", cli.key("alice"))
        data = json.loads(Path(cli.key("alice")).read_text())
        data["public_key"] = base64.b64encode(bytes(32)).decode()
        Path(cli.key("alice")).write_text(json.dumps(data))
        cli.fails("keys", "show", cli.key("alice"), code="bad_key_file")

    def test_log_key_prints_its_vkey(self, cli: Cli) -> None:
        made = cli.json("keys", "new-log", "log.example/1", "--out", cli.path("log.key"))
        assert made["vkey"].startswith("log.example/1+")
        assert cli.json("keys", "show-log", cli.path("log.key"))["vkey"] == made["vkey"]


class TestInit:
    def test_init_creates_the_ledger_and_its_log_key(self, cli: Cli) -> None:
        cli.ok("keys", "new", "operator", "--out", cli.key("operator"))
        made = cli.json(
            "init", "--origin", "test.example/log", "--operator-key", cli.key("operator"),
            "--log-key", cli.path("log.key"), "--new-log-key", "test.example/log",
        )  # fmt: skip
        assert (made["origin"], made["operator"], made["size"]) == (
            "test.example/log",
            "operator",
            1,
        )
        assert made["checkpoint"].startswith("test.example/log\n1\n")
        info = cli.json("info")
        assert info["log_vkey"] == made["log_vkey"]
        assert cli.json("participants")[0]["roles"] == ["registrar"]
        cli.fails(
            "init", "--origin", "test.example/log", "--operator-key", cli.key("operator"),
            "--log-key", cli.path("log.key"), code="ledger_exists",
        )  # fmt: skip

    def test_reading_a_missing_ledger_fails_without_creating_it(self, tmp_path: Path) -> None:
        cli = Cli(f"sqlite:///{tmp_path / 'absent.db'}", tmp_path)
        cli.fails("batches", code="no_ledger")
        assert not (tmp_path / "absent.db").exists()


class TestSubmit:
    def test_json_submission_uses_the_next_sequence_number(self, ready: Cli) -> None:
        body = {"program": "PHCER", "participant": "alice", "role": "verifier"}
        before = int(ready.ok("seq", "regulator").stdout)
        event = ready.write(
            "submit", "set_program_role", "--as", ready.key("regulator"), "--body", json.dumps(body)
        )
        assert event["op"] == "set_program_role"
        assert event["data"]["roles"] == ["verifier"]
        assert event["checkpoint_size"] == event["index"] + 1
        assert int(ready.ok("seq", "regulator").stdout) == before + 1

    def test_body_from_a_file(self, ready: Cli) -> None:
        Path(ready.path("body.json")).write_text(json.dumps({"id": "u-1"}))
        event = ready.write(
            "submit",
            "open_account",
            "--as",
            ready.key("platform"),
            "--body-file",
            ready.path("body.json"),
        )
        assert event["data"] == {"account": "u-1", "custodian": "platform"}

    def test_a_rejected_entry_prints_its_code_exits_1_and_changes_nothing(self, ready: Cli) -> None:
        issue(ready)
        before = ready.engine_snapshot()
        result = ready.fails(
            "transfer", "--as", ready.key("owner"), "--to", "alice",
            "--lot", f"{BATCH}=2000.000001t", "--log-key", ready.path("log.key"),
            code="insufficient_credits",
        )  # fmt: skip
        assert result.stdout == ""
        assert ready.engine_snapshot() == before

    def test_a_rejection_in_json_is_a_parseable_error_object(self, ready: Cli) -> None:
        result = ready.run(
            "retire", "--as", ready.key("owner"), "--lot", f"{BATCH}=1t", "--beneficiary", "x",
            "--purpose", "personal", "--jurisdiction", "CN-GD", "--log-key", ready.path("log.key"),
            "--json",
        )  # fmt: skip
        assert result.exit_code == 1
        error = json.loads(result.stdout)["error"]
        assert (error["code"], error["message"]) == (
            "unknown_batch",
            f"batch {BATCH!r} does not exist",
        )

    def test_floats_in_a_body_are_refused_before_signing(self, ready: Cli) -> None:
        body = '{"from_account": "owner", "to_account": "alice", "lots": [{"batch": "B", '
        body += '"quantity": 1.5}]}'
        ready.fails(
            "submit", "transfer", "--as", ready.key("owner"), "--body", body,
            "--log-key", ready.path("log.key"), code="invalid_input",
        )  # fmt: skip

    def test_body_and_body_file_together_are_a_usage_error(self, ready: Cli) -> None:
        result = ready.run(
            "submit", "open_account", "--as", ready.key("platform"), "--body", "{}",
            "--body-file", ready.path("x.json"), "--log-key", ready.path("log.key"),
        )  # fmt: skip
        assert result.exit_code == 2

    def test_a_log_key_of_another_ledger_is_refused(self, ready: Cli) -> None:
        ready.ok("keys", "new-log", "other", "--out", ready.path("other.key"))
        result = ready.run(
            "submit", "open_account", "--as", ready.key("platform"), "--body", '{"id": "u-1"}',
            "--log-key", ready.path("other.key"),
        )  # fmt: skip
        assert result.exit_code == 1
        assert "error: wrong_log_key: " in result.stderr


class TestShortcuts:
    def test_the_lifecycle_without_writing_json(self, ready: Cli) -> None:
        issued = issue(ready)
        assert issued["data"]["batch"] == BATCH
        assert issued["data"]["quantity"] == 2000 * TONNE
        trade = ready.write(
            "transfer", "--as", ready.key("owner"), "--to", "alice", "--lot", f"{BATCH}=1019t",
            "--price", "69.03", "--venue", "exchange_agreement", "--settlement", "S-1",
        )  # fmt: skip
        assert trade["data"]["quantity"] == 1019 * TONNE
        Path(ready.path("decision.pdf")).write_bytes(b"compensation agreement")
        cancelled = ready.write(
            "cancel", "--as", ready.key("alice"), "--cosign", ready.key("court"),
            "--lot", f"{BATCH}=1019t", "--reason", "ecological_compensation",
            "--authority", "court", "--case", "(2023)Y20", "--damage", "70344",
            "--decision", ready.path("decision.pdf"),
        )  # fmt: skip
        pledged = ready.write(
            "pledge", "--as", ready.key("owner"), "--cosign", ready.key("bank"), "--bank", "bank",
            "--lot", f"{BATCH}=300t", "--contract", "LOAN-1",
        )  # fmt: skip
        ready.write("release", pledged["data"]["pledge"], "--as", ready.key("bank"))
        again = ready.write(
            "pledge", "--as", ready.key("owner"), "--cosign", ready.key("bank"), "--bank", "bank",
            "--lot", f"{BATCH}=5503686g",
        )  # fmt: skip
        ready.write("enforce", again["data"]["pledge"], "--as", ready.key("bank"))
        retired = ready.write(
            "retire", "--as", ready.key("owner"), "--lot", f"{BATCH}=138.25t",
            "--beneficiary", "CBD Forum", "--purpose", "event_neutrality",
            "--jurisdiction", "CN-BJ", "--event", "CBD-2024",
        )  # fmt: skip

        engine = make_engine(ready.url)
        try:
            case = queries.cancellation(engine, cancelled["data"]["cancellation"])
            assert (case.quantity, case.damage_fen, case.case_number) == (
                1019 * TONNE, 7_034_400, "(2023)Y20",
            )  # fmt: skip
            assert case.decision_digest == hashlib.sha256(b"compensation agreement").hexdigest()
            (trade_view,) = queries.trades(engine)
            assert (trade_view.price_fen_per_tonne, trade_view.value_fen) == (6_903, 7_034_157)
            assert queries.retirement(engine, retired["data"]["retirement"]).quantity == 138_250_000
            assert queries.balances(engine, "bank")[0].held == 5_503_686
            supply = queries.batch(engine, BATCH).supply
            assert supply == queries.Supply(
                issued=2000 * TONNE,
                held=2000 * TONNE - 1019 * TONNE - 138_250_000,
                pledged=0,
                retired=138_250_000,
                cancelled=1019 * TONNE,
            )
            assert queries.batch(engine, BATCH).parameters == [
                {"name": "grid_emission_factor", "value": "0.5271", "unit": "kgCO2/kWh",
                 "source": "MEE 2022"}
            ]  # fmt: skip
        finally:
            engine.dispose()

    def test_issue_without_a_verifier_is_a_usage_error(self, ready: Cli) -> None:
        result = ready.run(
            "issue", "--as", ready.key("issuer"), "--project", "P1",
            "--vintage-start", "2022-01-01", "--vintage-end", "2022-12-31",
            "--quantity", "1t", "--to", "owner",
            "--verified-on", "2023-03-01", "--report-digest", DIGEST,
            "--log-key", ready.path("log.key"),
        )  # fmt: skip
        assert result.exit_code == 2

    @pytest.mark.parametrize("quantity", ["1.0000001t", "-5t", "1.5g", "12", "1e3t", "0t"])
    def test_bad_quantities_are_usage_errors_and_change_nothing(
        self, ready: Cli, quantity: str
    ) -> None:
        issue(ready)
        before = ready.engine_snapshot()
        result = ready.run(
            "transfer", "--as", ready.key("owner"), "--to", "alice", "--lot", f"{BATCH}={quantity}",
            "--log-key", ready.path("log.key"),
        )  # fmt: skip
        assert result.exit_code == 2, result.output
        assert ready.engine_snapshot() == before


class TestAmounts:
    @pytest.mark.parametrize(
        ("text", "grams"),
        [
            ("1019t", 1_019_000_000),
            ("5503.686t", 5_503_686_000),
            ("138.25 t", 138_250_000),
            ("0.000001t", 1),
            ("8082.9T", 8_082_900_000),
            ("123g", 123),
            ("7g", 7),
        ],
    )
    def test_tonnes_and_grams_parse_exactly(self, text: str, grams: int) -> None:
        assert parse_quantity(text) == grams

    @pytest.mark.parametrize(
        "text", ["1.0000001t", "-1t", "1.5g", "1e6g", "1019", "t", "0t", "0.0000000t", "1,019t"]
    )
    def test_floats_beyond_grams_negatives_and_unitless_amounts_are_refused(
        self, text: str
    ) -> None:
        with pytest.raises(InvalidInput):
            parse_quantity(text)

    def test_yuan_parse_to_fen(self) -> None:
        assert parse_cny("65.88") == 6_588
        assert parse_cny("70344") == 7_034_400
        assert parse_cny("20 CNY") == 2_000
        for bad in ("1.234", "-1", "1e2"):
            with pytest.raises(InvalidInput):
                parse_cny(bad)

    def test_lots_name_a_quantity_or_a_serial_range(self) -> None:
        assert parse_lot("B-1=2t") == {"batch": "B-1", "quantity": 2_000_000}
        assert parse_lot("B-1@10-20") == {"batch": "B-1", "serial_start": 10, "serial_end": 20}
        for bad in ("B-1", "=2t", "B-1@10", "B-1@x-y"):
            with pytest.raises(InvalidInput):
                parse_lot(bad)


class TestOfflineSigning:
    def test_sign_cosign_then_submit_file(self, ready: Cli) -> None:
        issue(ready)
        seq = int(ready.ok("seq", "owner").stdout)
        entry = ready.path("pledge.entry")
        body = {"account": "owner", "bank": "bank", "lots": [{"batch": BATCH, "quantity": 7}]}
        signed = ready.json(
            "sign", "pledge", "--as", ready.key("owner"), "--seq", str(seq),
            "--body", json.dumps(body), "--out", entry,
        )  # fmt: skip
        assert (signed["signer"], signed["seq"], signed["signatures"]) == ("owner", seq, ["owner"])
        # The bank co-signs on its own machine, with no database.
        offline = Cli("sqlite:////nonexistent/none.db", ready.dir)
        cosigned = offline.json("cosign", entry, "--as", ready.key("bank"))
        assert cosigned["signatures"] == ["owner", "bank"]
        assert cosigned["entry_hash"] != signed["entry_hash"]
        offline.fails("cosign", entry, "--as", ready.key("bank"), code="already_signed")

        (outcome,) = ready.json("submit-file", entry, "--log-key", ready.path("log.key"))
        assert (outcome["op"], outcome["duplicate"], outcome["data"]["quantity"]) == (
            "pledge",
            False,
            7,
        )
        (again,) = ready.json("submit-file", entry, "--log-key", ready.path("log.key"))
        assert (again["index"], again["duplicate"]) == (outcome["index"], True)

    def test_an_entry_without_the_banks_signature_is_rejected(self, ready: Cli) -> None:
        issue(ready)
        entry = ready.path("pledge.entry")
        body = {"account": "owner", "bank": "bank", "lots": [{"batch": BATCH, "quantity": 7}]}
        ready.ok(
            "sign", "pledge", "--as", ready.key("owner"), "--seq", "1", "--body", json.dumps(body),
            "--out", entry, "--origin", "carbonledger.test/log",
        )  # fmt: skip
        before = ready.engine_snapshot()
        result = ready.run("submit-file", entry, "--log-key", ready.path("log.key"))
        assert result.exit_code == 1
        assert "missing_cosignature" in result.stderr
        assert ready.engine_snapshot() == before


class TestQueries:
    @pytest.fixture
    def used(self, ready: Cli) -> Cli:
        issue(ready)
        ready.write(
            "transfer", "--as", ready.key("owner"), "--to", "alice", "--lot", f"{BATCH}=1019t",
            "--price", "69.03",
        )  # fmt: skip
        ready.write(
            "retire", "--as", ready.key("owner"), "--lot", f"{BATCH}=138.25t", "--beneficiary",
            "CBD Forum", "--purpose", "event_neutrality", "--jurisdiction", "CN-BJ",
            "--event", "CBD-2024",
        )  # fmt: skip
        ready.write(
            "cancel", "--as", ready.key("alice"), "--cosign", ready.key("court"), "--lot",
            f"{BATCH}=1019t", "--reason", "ecological_compensation", "--authority", "court",
            "--case", "(2023)Y20", "--damage", "70344", "--decision-digest", DIGEST,
        )  # fmt: skip
        return ready

    def test_every_list_prints_parseable_json(self, used: Cli) -> None:
        assert [p["id"] for p in used.json("participants", "--role", "bank")] == ["bank"]
        assert used.json("programs")[0]["code"] == "PHCER"
        assert used.json("methodologies")[0]["id"] == "pv:1"
        assert used.json("projects")[0]["id"] == "P1"
        assert used.json("batches", "--program", "PHCER")[0]["supply"]["retired"] == 138_250_000
        assert used.json("batch", BATCH)["supply"]["cancelled"] == 1019 * TONNE
        holdings = used.json("holdings", "owner")
        assert holdings["balances"][0]["retired"] == 138_250_000
        assert {r["status"] for r in holdings["ranges"]} == {"held", "retired"}
        kinds = [h["kind"] for h in used.json("history", "owner")]
        assert kinds == ["issue_in", "transfer_out", "retire"]
        (retired,) = used.json("retirements", "--event", "CBD-2024")
        assert retired == used.json("retirement", retired["id"])
        assert used.json("retirements", "--beneficiary", "nobody") == []
        (case,) = used.json("cancellations", "--case", "(2023)Y20")
        assert (case["quantity"], case["damage_fen"]) == (1019 * TONNE, 7_034_400)
        assert used.json("cancellation", case["id"])["authority"] == "court"
        assert used.json("pledges") == []

    def test_trades_within_a_time_range(self, used: Cli) -> None:
        (trade,) = used.json("trades", "--since", "2000-01-01")
        assert (trade["value_fen"], trade["quantity"]) == (7_034_157, 1019 * TONNE)
        assert used.json("trades", "--until", "2000-01-01") == []
        assert used.run("trades", "--since", "yesterday").exit_code == 2

    def test_entries_page_from_an_index(self, used: Cli) -> None:
        size = used.json("info")["size"]
        rows = used.json("entries", "--from", str(size - 2), "--limit", "5")
        assert [r["index"] for r in rows] == [size - 2, size - 1]
        assert [r["op"] for r in rows] == ["retire", "cancel"]
        assert len(used.json("entries", "--limit", "3", "--offset", "1")) == 3
        assert used.json("entry", "0")["op"] == "genesis"
        assert used.run("entries", "--limit", "0").exit_code == 2

    def test_human_output_shows_exact_tonnes(self, used: Cli) -> None:
        out = used.ok("batches").stdout
        assert "138.25 t" in out and "1,019 t" in out and "2,000 t" in out
        assert "70,344.00 CNY" in used.ok("cancellations").stdout

    def test_checkpoint_is_a_signed_note(self, used: Cli) -> None:
        latest = used.json("checkpoint")
        assert latest["signature_verified"] is True
        assert latest["note"].startswith(f"carbonledger.test/log\n{latest['size']}\n")
        used.fails("checkpoint", "--size", "2", code="unknown_checkpoint")

    def test_unknown_ids_fail_with_stable_codes(self, used: Cli) -> None:
        used.fails("batch", "NOPE", code="unknown_batch")
        used.fails("retirement", "RET-0", code="unknown_retirement")
        result = used.run("cancellation", "CAN-0", "--json")
        assert json.loads(result.stdout)["error"]["code"] == "unknown_cancellation"


class TestProve:
    def test_inclusion_proof_is_printed_and_checks_independently(self, ready: Cli) -> None:
        issued = issue(ready)
        proof = ready.json("prove", "inclusion", str(issued["index"]))
        assert proof["verified"] is True
        leaf = leaf_hash(proof["record"].encode())
        assert leaf.hex() == proof["leaf_hash"]
        verify_inclusion(
            leaf,
            issued["index"],
            proof["size"],
            [bytes.fromhex(h) for h in proof["proof"]],
            bytes.fromhex(proof["root"]),
        )
        assert "verified" in ready.ok("prove", "inclusion", "0", "--size", "3").stdout

    def test_consistency_proof_checks_independently(self, ready: Cli) -> None:
        issue(ready)
        proof = ready.json("prove", "consistency", "1")
        assert proof["verified"] is True
        verify_consistency(
            1,
            proof["size2"],
            [bytes.fromhex(h) for h in proof["proof"]],
            bytes.fromhex(proof["root1"]),
            bytes.fromhex(proof["root2"]),
        )
        ready.fails("prove", "consistency", "0", code="bad_size")

    def test_portable_proof_verifies_offline_only_with_the_right_key(self, ready: Cli) -> None:
        issued = issue(ready)
        ready.ok("prove", "inclusion", str(issued["index"]), "--out", ready.path("proof.json"))
        vkey = ready.json("info")["log_vkey"]
        offline = Cli("sqlite:////nonexistent/none.db", ready.dir)
        proven = offline.json("verify-proof", ready.path("proof.json"), "--log-vkey", vkey)
        assert (proven["index"], proven["op"], proven["verified"]) == (
            issued["index"],
            "issue",
            True,
        )
        other = offline.json("keys", "new-log", "carbonledger.test/log", "--out", ready.path("o"))
        result = offline.run("verify-proof", ready.path("proof.json"), "--log-vkey", other["vkey"])
        assert result.exit_code == 1


class TestIntegrity:
    def test_check_verify_export_and_verify_bundle_pass_on_an_honest_ledger(
        self, ready: Cli
    ) -> None:
        issue(ready)
        assert ready.json("check") == {"ok": True, "problems": []}
        vkey = ready.json("info")["log_vkey"]
        verified = ready.json("verify", "--log-vkey", vkey)
        assert verified["ok"] is True
        assert verified["entries"] == ready.json("info")["size"]
        exported = ready.json("export", ready.path("ledger.bundle"))
        assert exported["size"] == verified["entries"]
        offline = Cli("sqlite:////nonexistent/none.db", ready.dir)
        assert offline.json("verify-bundle", ready.path("ledger.bundle"), "--log-vkey", vkey)["ok"]

    def test_tampered_supply_fails_check_and_verify_names_the_problem(self, ready: Cli) -> None:
        issue(ready)
        engine = make_engine(ready.url)
        try:
            with engine.begin() as conn:
                b = schema.batches
                conn.execute(
                    update(b)
                    .where(b.c.id == BATCH)
                    .values(held=b.c.held - 1, retired=b.c.retired + 1)
                )
        finally:
            engine.dispose()
        result = ready.run("check", "--json")
        assert result.exit_code == 1
        problems = json.loads(result.stdout)["problems"]
        assert {p["code"] for p in problems} == {"supply_mismatch"}
        assert {p["ref"] for p in problems} == {BATCH}
        verify = ready.run("verify", "--json")
        assert verify.exit_code == 1
        assert json.loads(verify.stdout)["error"]["code"] == "tamper_detected"
