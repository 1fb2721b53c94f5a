"""``carbonledger demo``: run the quick-start lifecycle (``ledger.demo``) and show what it made."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.anchor import receipt_fields
from ledger.cli.credits import show_batches, show_retirements
from ledger.cli.output import JsonOption, command, console, grams, print_json, show_fields
from ledger.demo import DEFAULT_DIR, run_demo


@command
def demo(
    directory: Annotated[
        Path,
        typer.Option(
            "--dir",
            help="Where to put the demo ledger, its key files and log key; the files of "
            "an earlier run there are replaced.",
        ),
    ] = DEFAULT_DIR,
    as_json: JsonOption = False,
) -> None:
    """Run the whole credit lifecycle on a fresh SQLite ledger and check it end to end."""
    say = (lambda _line: None) if as_json else typer.echo
    result = run_demo(directory, say=say)
    if as_json:
        print_json(result)
        return
    out = console()
    out.print()
    show_batches(result.batches, "Batches (issued = held + pledged + retired + cancelled)")
    supply = result.supply
    out.print(
        f"All batches: issued {grams(supply.issued)} = held {grams(supply.held)} + "
        f"pledged {grams(supply.pledged)} + retired {grams(supply.retired)} + "
        f"cancelled {grams(supply.cancelled)}"
    )
    out.print(
        f"Cancelled for the ecological-compensation case: "
        f"{grams(result.cancelled_for_case)}; retired for the event: "
        f"{grams(result.retired_for_event)}; compliance offsets: "
        f"{grams(result.retired_for_compliance)}"
    )
    show_retirements(result.retirements)
    out.print("\nLatest checkpoint (C2SP signed note):")
    typer.echo(result.checkpoint, nl=False)
    inclusion, consistency = result.inclusion, result.consistency
    show_fields(
        "Proofs (checked)",
        [
            (
                f"{result.event_retirement.id} (entry {inclusion.index}) in tree {inclusion.size}",
                f"{len(inclusion.proof)} hashes to root {inclusion.root.hex()[:16]}..., verified",
            ),
            (
                f"tree {consistency.size1} -> tree {consistency.size2}",
                f"{len(consistency.proof)} hashes, both checkpoints signed, verified",
            ),
        ],
    )
    verification = result.verification
    out.print(f"check: {'ok, every invariant holds' if not result.problems else result.problems}")
    out.print(
        f"verify: ok, replayed {verification['entries']} entries from genesis and "
        f"checked {verification['checkpoints_verified']} checkpoints"
    )
    if result.anchor is not None:
        show_fields(
            "Final checkpoint anchored on the in-process EVM chain", receipt_fields(result.anchor)
        )
    out.print(
        f"\nTry: carbonledger batches --db {result.url}\n"
        f"     carbonledger retirement {result.event_retirement.id} --db {result.url}\n"
        f"     carbonledger prove inclusion {inclusion.index} --db {result.url}\n"
        f"     carbonledger prove entry {inclusion.index} --db {result.url}\n"
        f"Key files are in {directory / 'keys'}, the log key in {directory / 'log.key'}."
    )
