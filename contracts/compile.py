"""Compile the Solidity contracts with the pinned solc-js and write deterministic artefacts.

``python contracts/compile.py`` compiles every contract listed in ``CONTRACTS`` with the ``solc``
npm package installed by ``npm ci`` (its exact version is pinned in ``package.json``), through
solc's standard-JSON interface, and writes ``contracts/build/<Name>.json`` holding the ABI, the
creation and runtime bytecode, the compiler version, the settings and the SHA-256 of every
source file the contract was built from (OpenZeppelin files included).

``python contracts/compile.py --check`` compiles into a temporary directory and exits non-zero
if the committed artefacts differ from a fresh build (CI runs it after ``npm ci``).

The artefacts are byte-for-byte reproducible: sources are passed by content under
repository-relative names, settings are fixed here, and the JSON is written with sorted keys.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO_ROOT / "node_modules"
BUILD_DIR = REPO_ROOT / "contracts" / "build"

CONTRACTS: dict[str, str] = {
    "CheckpointAnchor": "contracts/CheckpointAnchor.sol",
    "CreditToken1155": "contracts/CreditToken1155.sol",
}
"""Contract name -> repository-relative source file."""

SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    # Cancun runs unchanged on every later fork (py-evm's Prague, anvil's default) and on
    # chains that have not moved past Cancun yet.
    "evmVersion": "cancun",
    "viaIR": False,
    "metadata": {"bytecodeHash": "ipfs"},
}

# Runs solc-js's standard-JSON compiler on stdin and prints {"version", "output"}. Imports are
# resolved against the repository root, then node_modules, and nowhere else.
_NODE_DRIVER = r"""
const fs = require("fs");
const path = require("path");
const root = process.cwd();
const solc = require(path.join(root, "node_modules", "solc"));
const roots = [root, path.join(root, "node_modules")];
function findImports(name) {
  if (path.isAbsolute(name) || name.split("/").includes("..")) {
    return { error: "refusing import outside the project: " + name };
  }
  for (const base of roots) {
    const file = path.join(base, name);
    if (fs.existsSync(file)) return { contents: fs.readFileSync(file, "utf8") };
  }
  return { error: "import not found: " + name };
}
const input = fs.readFileSync(0, "utf8");
const output = JSON.parse(solc.compile(input, { import: findImports }));
process.stdout.write(JSON.stringify({ version: solc.version(), output: output }));
"""


_OUTPUTS = ["abi", "metadata", "evm.bytecode.object", "evm.deployedBytecode.object"]


class CompileError(Exception):
    """The toolchain is missing or solc reported errors."""


def _pinned_npm_version(package: str) -> str:
    manifest = json.loads((REPO_ROOT / "package.json").read_text(encoding="utf-8"))
    version: str = manifest["devDependencies"][package]
    return version


def _installed_npm_version(package: str) -> str:
    manifest_path = NODE_MODULES / package / "package.json"
    if not manifest_path.is_file():
        raise CompileError(f"{package} is not installed in {NODE_MODULES}; run `npm ci` first")
    version: str = json.loads(manifest_path.read_text(encoding="utf-8"))["version"]
    return version


def _resolve_source(name: str) -> Path:
    """The file behind a source unit name, looked up as the node driver does."""
    for base in (REPO_ROOT, NODE_MODULES):
        candidate = base / name
        if candidate.is_file():
            return candidate
    raise CompileError(f"source {name} not found under {REPO_ROOT} or {NODE_MODULES}")


def _package_of(name: str) -> str | None:
    """``@scope/pkg@version`` for a source that comes from node_modules, else None."""
    if (REPO_ROOT / name).is_file():
        return None
    parts = name.split("/")
    package = "/".join(parts[:2]) if name.startswith("@") else parts[0]
    return f"{package}@{_installed_npm_version(package)}"


def _run_solc(standard_input: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        raise CompileError("node is not on PATH; install Node.js 20 or later")
    proc = subprocess.run(
        [node, "-e", _NODE_DRIVER],
        input=json.dumps(standard_input),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise CompileError(f"solc-js failed (exit {proc.returncode}): {proc.stderr.strip()}")
    result = json.loads(proc.stdout)
    output: dict[str, Any] = result["output"]
    diagnostics = output.get("errors", [])
    for warning in (e for e in diagnostics if e.get("severity") != "error"):
        print(warning.get("formattedMessage", warning["message"]), file=sys.stderr)
    errors = [e for e in diagnostics if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(e.get("formattedMessage", e["message"]) for e in errors))
    version: str = result["version"]
    return version, output


def build_artefacts() -> dict[str, str]:
    """Compile every contract; return artefact file name -> JSON text."""
    solc_pinned = _pinned_npm_version("solc")
    solc_installed = _installed_npm_version("solc")
    if solc_installed != solc_pinned:
        raise CompileError(
            f"installed solc {solc_installed}, package.json pins {solc_pinned}; run `npm ci`"
        )
    sources = {
        path: {"content": (REPO_ROOT / path).read_text(encoding="utf-8")}
        for path in sorted(set(CONTRACTS.values()))
    }
    standard_input = {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            **SETTINGS,
            "outputSelection": {"*": {"*": _OUTPUTS}},
        },
    }
    version, output = _run_solc(standard_input)

    artefacts: dict[str, str] = {}
    for name, source in CONTRACTS.items():
        compiled = output["contracts"][source][name]
        # The metadata lists exactly the sources this contract was built from.
        used_sources = sorted(json.loads(compiled["metadata"])["sources"])
        source_info: dict[str, dict[str, str]] = {}
        for unit in used_sources:
            info = {"sha256": hashlib.sha256(_resolve_source(unit).read_bytes()).hexdigest()}
            package = _package_of(unit)
            if package is not None:
                info["package"] = package
            source_info[unit] = info
        artefact = {
            "contractName": name,
            "sourceName": source,
            "compiler": {
                "name": "solc-js",
                "npmPackage": f"solc@{solc_installed}",
                "version": version,
            },
            "settings": SETTINGS,
            "sources": source_info,
            "abi": compiled["abi"],
            "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
            "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
        }
        artefacts[f"{name}.json"] = json.dumps(artefact, indent=2, sort_keys=True) + "\n"
    return artefacts


def write_artefacts(artefacts: dict[str, str], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for file_name, text in artefacts.items():
        (directory / file_name).write_text(text, encoding="utf-8")


def check_artefacts(artefacts: dict[str, str], directory: Path) -> list[str]:
    """Describe every difference between a fresh build and the artefacts in ``directory``."""
    problems: list[str] = []
    committed = {p.name for p in directory.glob("*.json")} if directory.is_dir() else set()
    for file_name in sorted(committed - artefacts.keys()):
        problems.append(f"{file_name}: committed but no longer built")
    for file_name, fresh in sorted(artefacts.items()):
        path = directory / file_name
        if not path.is_file():
            problems.append(f"{file_name}: missing; run `python contracts/compile.py`")
            continue
        current = path.read_text(encoding="utf-8")
        if current != fresh:
            diff = difflib.unified_diff(
                current.splitlines(), fresh.splitlines(), "committed", "fresh", lineterm="", n=1
            )
            excerpt = "\n".join(list(diff)[:20])
            problems.append(f"{file_name}: differs from a fresh build\n{excerpt}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check",
        action="store_true",
        help="compile into a temporary directory and fail if contracts/build differs",
    )
    args = parser.parse_args(argv)
    try:
        artefacts = build_artefacts()
    except CompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.check:
        write_artefacts(artefacts, BUILD_DIR)
        for file_name in artefacts:
            print(f"wrote {(BUILD_DIR / file_name).relative_to(REPO_ROOT)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        # Written and read back so the check covers exactly the bytes a build would write.
        write_artefacts(artefacts, Path(tmp))
        fresh = {p.name: p.read_text(encoding="utf-8") for p in Path(tmp).glob("*.json")}
    problems = check_artefacts(fresh, BUILD_DIR)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"ok: {len(fresh)} artefacts in contracts/build match a fresh build")
    return 0


if __name__ == "__main__":
    sys.exit(main())
