"""``carbonledger event``: register an event's emissions inventory, amend it, and see how far
retirements cover it.

An emission line is ``STAGE:SOURCE:QUANTITY:BASIS`` (``hosting:purchased_electricity:48.25t:
84,605 kWh x 0.5703 kg/kWh``); an amendment's change is the same with a signed quantity
(``closing:waste:-1t:re-weighed``). Retire against an event with ``carbonledger retire
--purpose event_neutrality --event EVT-<n>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli.amounts import parse_quantity
from ledger.cli.keyfile import load_identity
from ledger.cli.output import (
    DEFAULT_DB,
    DbOption,
    JsonOption,
    LimitOption,
    OffsetOption,
    command,
    grams,
    open_engine,
    print_json,
    show_fields,
    show_table,
    when,
)
from ledger.cli.shortcuts import _compact, _digest
from ledger.cli.write import AsOption, CosignOption, LogKeyOption, sign_and_submit
from ledger.errors import InvalidInput
from ledger.queries import events as event_queries
from ledger.queries.events import EventView
from ledger.queries.formatting import as_json as json_ready

app = typer.Typer(help="Carbon-neutral events: emissions inventory and coverage.")

EmissionOption = Annotated[
    list[str],
    typer.Option(
        "--emission",
        help="STAGE:SOURCE:QUANTITY:BASIS, e.g. hosting:catering:3.2t:'1,600 meals x 2 kg'; "
        "stages preparation, hosting, closing; repeatable.",
    ),
]


def emission_line(text: str, *, signed: bool = False) -> dict[str, Any]:
    """An inventory line (or, ``signed``, an amendment's change) from ``STAGE:SOURCE:Q:BASIS``."""
    parts = text.split(":", 3)
    if len(parts) != 4 or not all(p.strip() for p in parts):
        raise InvalidInput(f"emission {text!r} is not STAGE:SOURCE:QUANTITY:BASIS")
    stage, source, quantity, basis = (p.strip() for p in parts)
    negative = signed and quantity.startswith("-")
    amount = parse_quantity(quantity.lstrip("+-") if signed else quantity)
    key = "change" if signed else "quantity"
    return {
        "stage": stage,
        "source": source,
        key: -amount if negative else amount,
        "basis": basis,
    }


def _lines(texts: list[str], *, signed: bool = False) -> list[dict[str, Any]]:
    try:
        return [emission_line(text, signed=signed) for text in texts]
    except InvalidInput as exc:
        raise typer.BadParameter(exc.message) from exc


@app.command("register")
@command
def register(
    signer: AsOption,
    log_key: LogKeyOption,
    name: Annotated[str, typer.Option("--name")],
    start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Last day, YYYY-MM-DD.")],
    place: Annotated[str, typer.Option("--place")],
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", help="e.g. CN-BJ")],
    emission: EmissionOption,
    cosign: CosignOption = None,
    verifier: Annotated[
        str | None,
        typer.Option("--verifier", help="Verifier of the inventory (default: the --cosign)."),
    ] = None,
    report_digest: Annotated[str | None, typer.Option("--report-digest")] = None,
    report_file: Annotated[
        Path | None, typer.Option("--report", help="The verification report; its SHA-256.")
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Register an event (signed by its organiser) with its emissions by stage and source."""
    if verifier is None and cosign:
        verifier = load_identity(cosign[0]).participant
    digest = None
    if verifier is not None:
        digest = _digest(report_digest, report_file, "report")
    body = _compact(
        {
            "name": name,
            "start_date": start,
            "end_date": end,
            "place": place,
            "jurisdiction": jurisdiction,
            "emissions": _lines(emission),
            "verifier": verifier,
            "report_digest": digest,
        }
    )
    sign_and_submit(db, log_key, signer, "register_event", body, cosign, as_json=as_json)


@app.command("amend")
@command
def amend(
    event_id: Annotated[str, typer.Argument(help="e.g. EVT-42")],
    signer: AsOption,
    log_key: LogKeyOption,
    change: Annotated[
        list[str],
        typer.Option(
            "--change", help="STAGE:SOURCE:[+|-]QUANTITY:BASIS, e.g. closing:waste:-1t:re-weighed"
        ),
    ],
    reason: Annotated[str, typer.Option("--reason")],
    cosign: CosignOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Amend an event's inventory with compensating lines (its verifier co-signs, if any)."""
    body = {"event": event_id, "changes": _lines(change, signed=True), "reason": reason}
    sign_and_submit(db, log_key, signer, "amend_event_emissions", body, cosign, as_json=as_json)


def _show(event: EventView) -> None:
    status = "neutral" if event.neutral else f"not neutral: {grams(event.uncovered)} uncovered"
    show_fields(
        f"Event {event.id}: {event.name}",
        [
            ("organiser", event.organiser),
            ("dates", f"{event.start_date} to {event.end_date}"),
            ("place", f"{event.place} ({event.jurisdiction})"),
            ("verifier", event.verifier),
            ("emitted", f"{grams(event.emitted)} ({event.emitted:,} g)"),
            ("covered", f"{grams(event.covered)} ({event.covered:,} g)"),
            ("status", status),
            ("neutral since entry", event.neutral_at),
            ("by stage", ", ".join(f"{s} {grams(g)}" for s, g in event.by_stage.items())),
        ],
    )
    show_table(
        "Emission lines (append-only)",
        ["line", "entry", "stage", "source", "quantity", "basis", "amendment reason"],
        [
            (x.line, x.index, x.stage, x.source, grams(x.grams), x.basis, x.reason)
            for x in event.lines
        ],
        right=("line", "entry", "quantity"),
    )
    show_table(
        "Retirements counted toward it",
        ["id", "time", "quantity", "beneficiary", "account", "retired by"],
        [
            (r.id, when(r.time_ms), grams(r.quantity), r.beneficiary_name, r.account, r.retired_by)
            for r in event.retirements
        ],
        right=("quantity",),
    )


@app.command("show")
@command
def show(
    event_id: Annotated[str, typer.Argument(help="e.g. EVT-42")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """One event: its inventory, what covers it, and whether it is neutral."""
    found = event_queries.event(open_engine(db), event_id)
    if as_json:
        print_json(print_ready(found))
    else:
        _show(found)


def print_ready(event: EventView) -> dict[str, Any]:
    """The event as JSON-ready data, with what is still uncovered."""
    data: dict[str, Any] = json_ready(event)
    data["uncovered"] = event.uncovered
    return data


@app.command("list")
@command
def list_events(
    organiser: Annotated[str | None, typer.Option("--organiser")] = None,
    neutral: Annotated[
        bool | None, typer.Option("--neutral/--not-neutral", help="Only (not) neutral events.")
    ] = None,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Events with emitted versus covered."""
    rows = event_queries.events(
        open_engine(db), organiser=organiser, neutral=neutral, limit=limit, offset=offset
    )
    if as_json:
        print_json([print_ready(e) for e in rows])
        return
    show_table(
        "Events",
        ["id", "name", "dates", "organiser", "emitted", "covered", "status"],
        [
            (
                e.id,
                e.name,
                f"{e.start_date}..{e.end_date}",
                e.organiser,
                grams(e.emitted),
                grams(e.covered),
                "neutral" if e.neutral else "not neutral",
            )
            for e in rows
        ],
        right=("emitted", "covered"),
    )
