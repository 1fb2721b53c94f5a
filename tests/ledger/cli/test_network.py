"""The network commands' own behaviour: witness keys, evidence checks, refusals before serving.

Serving itself (``witness``, ``follow``, ``serve`` as processes) is tested end to end in
``tests/node/test_network.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cli.main import app
from ledger.note import NoteSigner
from ledger.witness_state import SplitViewEvidence
from node.evidence import save_evidence
from node.follower import open_replica
from node.witness_key import load_witness_key

ORIGIN = "cli.test/log"
LOG = NoteSigner.generate(ORIGIN)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def split_view(directory: Path, roots: tuple[bytes, bytes]) -> Path:
    a, b = (sign_checkpoint(Checkpoint(ORIGIN, 9, root), LOG) for root in roots)
    return save_evidence(directory, ORIGIN, SplitViewEvidence(a, b).to_dict())


class TestWitnessKeys:
    def test_new_witness_writes_a_key_and_prints_its_verifier_key(self, tmp_path: Path) -> None:
        code, output = run(
            "keys", "new-witness", "witness.test/w1", "--out", str(tmp_path / "w.key"), "--json"
        )
        assert code == 0, output
        vkey = json.loads(output)["vkey"]
        assert load_witness_key(tmp_path / "w.key").verifier().vkey() == vkey
        assert vkey.startswith("witness.test/w1+")


class TestCheckEvidence:
    def test_a_split_view_holds_under_the_logs_key(self, tmp_path: Path) -> None:
        path = split_view(tmp_path, (b"\x01" * 32, b"\x02" * 32))
        code, output = run(
            "check-evidence", str(path), "--log-vkey", LOG.verifier().vkey(), "--json"
        )
        assert code == 0, output
        assert json.loads(output)["kind"] == "split_view"
        assert json.loads(output)["sizes"] == [9]

    def test_evidence_under_another_key_does_not_hold(self, tmp_path: Path) -> None:
        path = split_view(tmp_path, (b"\x01" * 32, b"\x02" * 32))
        other = NoteSigner.generate(ORIGIN).verifier().vkey()
        code, output = run("check-evidence", str(path), "--log-vkey", other)
        assert code == 1
        assert "bad_signature" in output or "insufficient_signatures" in output

    def test_one_root_twice_is_no_split_view(self, tmp_path: Path) -> None:
        path = split_view(tmp_path, (b"\x01" * 32, b"\x01" * 32))
        code, output = run("check-evidence", str(path), "--log-vkey", LOG.verifier().vkey())
        assert code == 1
        assert "verification_failed" in output


class TestRefusals:
    def test_a_witness_needs_a_log_to_witness(self, tmp_path: Path) -> None:
        run("keys", "new-witness", "witness.test/w1", "--out", str(tmp_path / "w.key"))
        code, _ = run("witness", "--key", str(tmp_path / "w.key"))
        assert code != 0

    def test_a_follower_refuses_a_database_of_another_log(self, tmp_path: Path) -> None:
        db = f"sqlite:///{tmp_path / 'replica.db'}"
        other = NoteSigner.generate("other.test/log").verifier().vkey()
        open_replica(db, "other.test/log", other).close()
        code, output = run(
            "follow",
            "--log-url",
            "http://127.0.0.1:9",
            "--log-vkey",
            LOG.verifier().vkey(),
            "--db",
            db,
            "--state",
            str(tmp_path / "s"),
        )
        assert code == 1
        assert "wrong_replica" in output
