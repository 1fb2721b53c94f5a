"""``carbonledger certificate`` and ``verify-certificate``: files, verification, tampering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ledger.cli.neutrality_cli import Stories, stories_cli
from tests.stories import CASE_NUMBER


@pytest.fixture
def stories(ledger_url: str, tmp_path: Path) -> Stories:
    """The forum offset and the case settled, every key saved as a key file."""
    return stories_cli(ledger_url, tmp_path)


class TestCertificateCommands:
    def test_event_certificate_files_and_offline_verification(self, stories: Stories) -> None:
        made = stories.json(
            "certificate", "retirement", stories.forum.event, "--pdf", stories.path("c.pdf"),
            "--html", stories.path("c.html"), "--bundle", stories.path("c.json"),
        )  # fmt: skip
        assert made["claims"]["event"]["neutral"] is True
        assert made["verification"] == (
            f"carbonledger verify-certificate c.json --log-vkey {stories.log_vkey}"
        )
        assert Path(stories.path("c.pdf")).read_bytes().startswith(b"%PDF-")
        assert "138.25 t" in Path(stories.path("c.html")).read_text()
        verified = stories.json(
            "verify-certificate", stories.path("c.json"), "--log-vkey", stories.log_vkey
        )
        assert verified["verified"] is True and verified["digest"] == made["digest"]
        assert verified["claims"] == made["claims"]

    def test_altered_bundle_fails_verification(self, stories: Stories) -> None:
        stories.ok("certificate", "cancellation", CASE_NUMBER, "--bundle", stories.path("b.json"))
        path = Path(stories.path("b.json"))
        bundle = json.loads(path.read_text())
        bundle["claims"]["quantity"] = 1_000_000_000
        path.write_text(json.dumps(bundle))
        result = stories.fails(
            "verify-certificate", str(path), "--log-vkey", stories.log_vkey,
            code="certificate_mismatch",
        )  # fmt: skip
        assert "claims.quantity" in result.stderr

    def test_another_trusted_key_fails(self, stories: Stories) -> None:
        stories.ok("certificate", "cancellation", CASE_NUMBER, "--bundle", stories.path("b.json"))
        stories.fails("verify-certificate", stories.path("b.json"), "--log-vkey", "other+01+AQ==",
                      code="wrong_log_key")  # fmt: skip

    def test_verification_template_is_configurable(self, stories: Stories) -> None:
        made = stories.json(
            "certificate", "retirement", stories.forum.retirements[0], "--verify-template",
            "https://registry.example/verify/{id}?sha256={digest}",
        )  # fmt: skip
        assert made["verification"] == (
            f"https://registry.example/verify/{stories.forum.retirements[0]}"
            f"?sha256={made['digest']}"
        )
        stories.fails("certificate", "retirement", stories.forum.event, "--verify-template",
                      "https://x/{secret}", code="invalid_input")  # fmt: skip

    def test_unknown_subject_is_refused(self, stories: Stories) -> None:
        stories.fails("certificate", "retirement", "RET-99999", code="unknown_retirement")
