"""The committed contract artefacts are what the pinned compiler builds from the sources."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from contracts.client import load_artefact

REPO_ROOT = Path(__file__).resolve().parents[2]


class TestArtefacts:
    def test_artefacts_record_the_pinned_compiler_and_settings(self) -> None:
        pinned = json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]
        for name in ("CheckpointAnchor", "CreditToken1155"):
            artefact = load_artefact(name)
            assert artefact["compiler"]["npmPackage"] == f"solc@{pinned['solc']}"
            assert artefact["compiler"]["version"].startswith(pinned["solc"] + "+commit.")
            assert artefact["settings"]["optimizer"] == {"enabled": True, "runs": 200}
            assert artefact["bytecode"].startswith("0x60")
            for info in artefact["sources"].values():
                assert len(info["sha256"]) == 64
            openzeppelin = [s for s in artefact["sources"] if s.startswith("@openzeppelin/")]
            assert openzeppelin
            for source in openzeppelin:
                package = artefact["sources"][source]["package"]
                assert package == f"@openzeppelin/contracts@{pinned['@openzeppelin/contracts']}"

    def test_anchor_abi_has_the_documented_interface(self) -> None:
        abi = load_artefact("CheckpointAnchor")["abi"]
        names = {(entry["type"], entry.get("name")) for entry in abi}
        for function in (
            "registerLog",
            "addAnchorer",
            "removeAnchorer",
            "anchor",
            "latest",
            "checkpointAt",
            "logInfo",
            "verifyInclusion",
            "rootFromInclusionProof",
            "leafHash",
        ):
            assert ("function", function) in names
        for event in ("CheckpointAnchored", "SplitViewDetected"):
            assert ("event", event) in names
        for error in ("NotAnchorer", "SizeRegression", "UnknownLog"):
            assert ("error", error) in names

    def test_committed_artefacts_match_a_fresh_build(self) -> None:
        if not (REPO_ROOT / "node_modules").is_dir():
            pytest.skip("node_modules/ absent: run `npm ci` to install solc")
        result = subprocess.run(
            [sys.executable, str(REPO_ROOT / "contracts" / "compile.py"), "--check"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
