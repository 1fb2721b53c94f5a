"""``carbonledger prove entry``: one command proves an entry end to end (``contracts.prove``).

From the record, through its inclusion proof and the signed (and witnessed) checkpoint, to the
anchor receipt and the root read back from the chain, each step printed with ✓ or ✗; the
command exits with status 1 if any step fails. Give the log's key as published by the program
administrator (``--log-vkey``): without it the database's own key is used, which shows only
that the ledger is consistent with itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ledger import queries
from ledger.cli.anchor import ChainOption, ChainStateOption, chain_settings
from ledger.cli.output import (
    DEFAULT_DB,
    EXIT_REJECTED,
    DbOption,
    JsonOption,
    command,
    console,
    open_engine,
    print_json,
)

if TYPE_CHECKING:
    from contracts.prove import EndToEndReport

OK, FAILED = "✓", "✗"


@command
def entry(
    index: Annotated[int, typer.Argument(min=0, help="Log index of the entry.")],
    chain: ChainOption = None,
    chain_state: ChainStateOption = None,
    log_vkey: Annotated[
        str | None,
        typer.Option(
            "--log-vkey",
            help="The log's checkpoint verifier key, from a source you trust (default: the "
            "database's own).",
        ),
    ] = None,
    witness_vkey: Annotated[
        list[str] | None,
        typer.Option("--witness-vkey", help="A trusted witness's verifier key (repeatable)."),
    ] = None,
    min_witnesses: Annotated[
        int | None,
        typer.Option(
            "--min-witnesses", min=1, help="Witness cosignatures required (default: all)."
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Prove entry INDEX end to end, from its record to the root the chain holds.

    Checks the record, the signed (and witnessed) checkpoint, the inclusion proof, the anchor
    receipt, and the root and the inclusion read back from the chain.
    """
    from contracts.prove import Trust, gather, prove_entry, witness_keys
    from node.anchor_chain import ChainConnection

    engine = open_engine(db)
    try:
        own_key = queries.ledger_info(engine).log_vkey
        trust = Trust(log_vkey or own_key, witness_keys(witness_vkey or ()), min_witnesses)
        settings = chain_settings(db, chain, chain_state)
        with ChainConnection.open(settings, read_only=True) as connection:
            evidence = gather(engine, index, connection.client.chain_id)
            report = prove_entry(evidence, connection.client, trust)
    finally:
        engine.dispose()
    if as_json:
        print_json(
            {
                "index": report.index,
                "size": report.size,
                "ok": report.ok,
                "first_failure": report.first_failure,
                "steps": report.steps,
                "log_vkey": trust.log_vkey,
            }
        )
    else:
        _show(report, trust.log_vkey if log_vkey else None)
    if not report.ok:
        raise typer.Exit(EXIT_REJECTED)


def _show(report: EndToEndReport, trusted_key: str | None) -> None:
    out = console()
    out.print(f"Entry {report.index}, anchored under checkpoint {report.size}:")
    width = max(len(step.name) for step in report.steps)
    for step in report.steps:
        mark = OK if step.ok else FAILED
        out.print(f"  {mark} {step.name:<{width}}  {step.detail}", soft_wrap=True, markup=False)
    if trusted_key is None:
        out.print(
            "  note: checked against the database's own log key; give --log-vkey with the key "
            "the program administrator published"
        )
    if report.ok:
        out.print("proved: every step checks out")
    else:
        out.print(f"NOT proved: {', '.join(report.failed)} failed")
