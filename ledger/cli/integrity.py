"""Commands that check a ledger: ``check``, ``verify``, ``export``, ``verify-bundle`` and
``verify-proof``.

``check`` reads the state tables and tests the credit invariants (``ledger.audit``); ``verify``
replays the whole log from genesis and compares everything stored with the replay; ``export``
writes a self-contained bundle that ``verify-bundle`` checks with no database at all, and
``verify-proof`` checks one entry's portable inclusion proof (``prove inclusion --out``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ledger import audit, bundle, verifier
from ledger.cli.output import (
    DEFAULT_DB,
    EXIT_REJECTED,
    DbOption,
    JsonOption,
    command,
    open_engine,
    print_json,
    show_fields,
    show_table,
    when,
)
from ledger.errors import InvalidInput
from ledger.replay import ReplayReport

TrustedKeyOption = Annotated[
    str | None,
    typer.Option(
        "--log-vkey",
        help="The checkpoint key you trust (from the program "
        "administrator or the witnesses). Without it, the ledger's own key is used, "
        "which only proves self-consistency.",
    ),
]


def _show_report(title: str, report: ReplayReport, trusted: str | None, as_json: bool) -> None:
    data = {**report.to_json(), "trusted_key": trusted or "the ledger's own (self-consistency)"}
    if as_json:
        print_json({"ok": True, **data})
        return
    ops = ", ".join(f"{op} {n}" for op, n in data.pop("operations").items())
    show_fields(title, [*data.items(), ("operations", ops)])


@command
def check(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Check the credit invariants: supply adds up, serials tile every batch, locks match."""
    problems = audit.check_invariants(open_engine(db))
    if as_json:
        print_json({"ok": not problems, "problems": [p.to_json() for p in problems]})
    elif problems:
        show_table(
            "Broken invariants",
            ["code", "ref", "problem"],
            [(p.code, p.ref, p.message) for p in problems],
        )
        typer.echo(f"error: invariant_violated: {len(problems)} problem(s) found", err=True)
    else:
        typer.echo("ok: every invariant holds")
    if problems:
        raise typer.Exit(EXIT_REJECTED)


@command
def verify(
    db: DbOption = DEFAULT_DB, log_vkey: TrustedKeyOption = None, as_json: JsonOption = False
) -> None:
    """Replay the log from genesis and compare everything stored with the replay.

    Checks signatures, rules, the hash chain, the Merkle tree, checkpoints and every state
    table; exits with status 1 at the first difference, naming the entry.
    """
    open_engine(db)
    report = audit.verify_ledger(db, log_vkey=log_vkey)
    _show_report("Ledger verified by replay", report, log_vkey, as_json)


@command
def export(
    path: Annotated[Path, typer.Argument(help="Bundle file to write (gzip JSON Lines).")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Export the whole log and its checkpoints as a bundle for offline verification."""
    open_engine(db)
    header = bundle.export_bundle(db, path)
    data = {
        "file": str(path),
        "origin": header.origin,
        "log_vkey": header.log_vkey,
        "size": header.size,
        "checkpoints": header.checkpoints,
    }
    if as_json:
        print_json(data)
    else:
        show_fields("Bundle exported", list(data.items()))


@command
def verify_bundle(
    path: Annotated[Path, typer.Argument(help="Bundle file.")],
    log_vkey: TrustedKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check an exported bundle with no database: replay every record from genesis."""
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    report = verifier.verify_bundle(path, log_vkey=log_vkey)
    _show_report(f"Bundle {path} verified", report, log_vkey, as_json)


@command
def verify_proof(
    path: Annotated[Path, typer.Argument(help="Inclusion proof document (JSON).")],
    log_vkey: Annotated[str, typer.Option("--log-vkey", help="The checkpoint key you trust.")],
    as_json: JsonOption = False,
) -> None:
    """Check a portable inclusion proof (from 'prove inclusion --out') with no database."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not JSON", code="bad_proof") from exc
    proven = verifier.verify_inclusion_proof(document, log_vkey)
    data = {
        "index": proven.index,
        "op": proven.entry.op,
        "signer": proven.entry.signer,
        "time": when(proven.time_ms),
        "tree_size": proven.checkpoint.size,
        "body": proven.entry.body,
    }
    if as_json:
        print_json({"verified": True, **data})
    else:
        show_fields(
            f"Entry {proven.index} is in the log (checkpoint of size {proven.checkpoint.size})",
            [
                (k, json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v)
                for k, v in data.items()
            ],
        )
