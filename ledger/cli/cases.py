"""``carbonledger case``: register an ecological-damage case and follow it to its closure.

The authority registers the case; the liable party then cancels credits against it with
``carbonledger cancel --reason ecological_compensation --case NUMBER ... --cosign
authority.key`` (the authority's co-signature is its approval); the case closes by itself once
the cancelled tonnage reaches the required tonnage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ledger import queries
from ledger.cli.output import (
    DEFAULT_DB,
    DbOption,
    JsonOption,
    LimitOption,
    OffsetOption,
    cny_param,
    command,
    grams,
    open_engine,
    print_json,
    quantity_param,
    show_fields,
    show_table,
    when,
)
from ledger.cli.shortcuts import _compact, _digest
from ledger.cli.write import AsOption, LogKeyOption, sign_and_submit
from ledger.queries import cases as case_queries
from ledger.queries.cases import CaseView
from ledger.queries.formatting import as_json as json_ready

app = typer.Typer(help="Ecological-damage compensation cases: required versus cancelled.")


@app.command("register")
@command
def register(
    signer: AsOption,
    log_key: LogKeyOption,
    case_number: Annotated[str, typer.Option("--case", help="The authority's case number.")],
    liable_party: Annotated[str, typer.Option("--liable", help="Participant liable.")],
    damage: Annotated[
        int, typer.Option("--damage", parser=cny_param, help="Appraised damage in CNY.")
    ],
    required: Annotated[
        int,
        typer.Option("--required", parser=quantity_param, help="Tonnage to cancel, e.g. 1019t."),
    ],
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", help="e.g. CN-GD")],
    decision_digest: Annotated[str | None, typer.Option("--decision-digest")] = None,
    decision_file: Annotated[
        Path | None, typer.Option("--decision", help="The decision; its SHA-256 is recorded.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Register a case (signed by the authority that decided it)."""
    body = _compact(
        {
            "case_number": case_number,
            "liable_party": liable_party,
            "damage_fen": damage,
            "decision_digest": _digest(decision_digest, decision_file, "decision"),
            "required": required,
            "jurisdiction": jurisdiction,
            "note": note,
        }
    )
    sign_and_submit(db, log_key, signer, "register_case", body, None, as_json=as_json)


def print_ready(case: CaseView) -> dict[str, Any]:
    """The case as JSON-ready data, with what is still outstanding."""
    data: dict[str, Any] = json_ready(case)
    data["outstanding"] = case.outstanding
    return data


@app.command("show")
@command
def show(
    case_number: Annotated[str, typer.Argument(help="The case number.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """One case: required versus cancelled, and the cancellations counted toward it."""
    case = case_queries.case(open_engine(db), case_number)
    if as_json:
        print_json(print_ready(case))
        return
    show_fields(
        f"Case {case.case_number}",
        [
            ("authority", case.authority),
            ("liable party", case.liable_party),
            ("appraised damage", queries.format_cny(case.damage_fen)),
            ("decision (SHA-256)", case.decision_digest),
            ("required", f"{grams(case.required)} ({case.required:,} g)"),
            ("cancelled", f"{grams(case.cancelled)} ({case.cancelled:,} g)"),
            ("outstanding", grams(case.outstanding)),
            ("status", case.status),
            ("closed at entry", case.closed_at),
        ],
    )
    show_table(
        "Cancellations counted toward it",
        ["id", "time", "quantity", "account", "cancelled by"],
        [
            (c.id, when(c.time_ms), grams(c.quantity), c.account, c.cancelled_by)
            for c in case.cancellations
        ],
        right=("quantity",),
    )


@app.command("list")
@command
def list_cases(
    status: Annotated[str | None, typer.Option("--status", help="open or closed")] = None,
    liable_party: Annotated[str | None, typer.Option("--liable")] = None,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Cases with required versus cancelled tonnage."""
    rows = case_queries.cases(
        open_engine(db), status=status, liable_party=liable_party, limit=limit, offset=offset
    )
    if as_json:
        print_json([print_ready(c) for c in rows])
        return
    show_table(
        "Cases",
        ["case", "authority", "liable party", "damage", "required", "cancelled", "status"],
        [
            (
                c.case_number,
                c.authority,
                c.liable_party,
                queries.format_cny(c.damage_fen),
                grams(c.required),
                grams(c.cancelled),
                c.status,
            )
            for c in rows
        ],
        right=("damage", "required", "cancelled"),
    )
