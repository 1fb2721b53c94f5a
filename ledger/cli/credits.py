"""Query commands about credits: batches and their supply, holdings, account history,
retirements, cancellations, pledges and trade announcements."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger import queries
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
    record_fields,
    show_fields,
    show_table,
    time_param,
    when,
)


def show_batches(rows: list[queries.BatchView], title: str = "Batches") -> None:
    show_table(
        title,
        ["batch", "project", "vintage", "issued", "held", "pledged", "retired", "cancelled"],
        [
            (
                b.id,
                b.project,
                f"{b.vintage_start}..{b.vintage_end}",
                grams(b.supply.issued),
                grams(b.supply.held),
                grams(b.supply.pledged),
                grams(b.supply.retired),
                grams(b.supply.cancelled),
            )
            for b in rows
        ],
        right=("issued", "held", "pledged", "retired", "cancelled"),
    )


@command
def batches(
    program: Annotated[str | None, typer.Option("--program")] = None,
    project: Annotated[str | None, typer.Option("--project")] = None,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Issued batches with their supply: issued = held + pledged + retired + cancelled."""
    rows = queries.batches(
        open_engine(db), program=program, project=project, limit=limit, offset=offset
    )
    if as_json:
        print_json(rows)
    else:
        show_batches(rows)


@command
def batch(
    batch_id: Annotated[str, typer.Argument(help="Batch id.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """One batch: its origin, verification, parameters and supply."""
    result = queries.batch(open_engine(db), batch_id)
    if as_json:
        print_json(result)
    else:
        show_fields(f"Batch {batch_id}", record_fields(result))


@command
def holdings(
    account: Annotated[str, typer.Argument(help="Account id.")],
    status: Annotated[
        str | None, typer.Option("--status", help="held, pledged, retired or cancelled")
    ] = None,
    batch_id: Annotated[str | None, typer.Option("--batch")] = None,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """An account's balances per batch and its serial ranges by status."""
    engine = open_engine(db)
    totals = queries.balances(engine, account, limit=limit, offset=offset)
    ranges = queries.holdings(
        engine, account, status=status, batch=batch_id, limit=limit, offset=offset
    )
    if as_json:
        print_json({"account": account, "balances": totals, "ranges": ranges})
        return
    show_table(
        f"Balances of {account}",
        ["batch", "held", "pledged", "retired", "cancelled"],
        [
            (b.batch, grams(b.held), grams(b.pledged), grams(b.retired), grams(b.cancelled))
            for b in totals
        ],
        right=("held", "pledged", "retired", "cancelled"),
    )
    show_table(
        f"Serial ranges of {account}",
        ["batch", "start", "end", "quantity", "status", "ref"],
        [
            (h.batch, h.serial_start, h.serial_end, grams(h.quantity), h.status, h.ref)
            for h in ranges
        ],
        right=("start", "end", "quantity"),
    )


@command
def history(
    account: Annotated[str, typer.Argument(help="Account id.")],
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Everything that moved an account's credits, with log indexes."""
    rows = queries.history(open_engine(db), account, limit=limit, offset=offset)
    if as_json:
        print_json(rows)
        return
    show_table(
        f"History of {account}",
        ["index", "time", "kind", "quantity", "counterparty", "ref", "price", "venue"],
        [
            (
                h.index,
                when(h.time_ms),
                h.kind,
                grams(h.quantity),
                h.counterparty,
                h.ref,
                None
                if h.price_fen_per_tonne is None
                else queries.format_cny(h.price_fen_per_tonne) + "/t",
                h.venue,
            )
            for h in rows
        ],
        right=("index", "quantity", "price"),
    )


def show_retirements(rows: list[queries.RetirementView]) -> None:
    show_table(
        "Retirements",
        ["id", "time", "quantity", "beneficiary", "purpose", "event", "jurisdiction", "account"],
        [
            (
                r.id,
                when(r.time_ms),
                grams(r.quantity),
                r.beneficiary_name,
                r.purpose,
                r.event_ref,
                r.jurisdiction,
                r.account,
            )
            for r in rows
        ],
        right=("quantity",),
    )


@command
def retirements(
    beneficiary: Annotated[str | None, typer.Option("--beneficiary")] = None,
    event_ref: Annotated[str | None, typer.Option("--event")] = None,
    account: Annotated[str | None, typer.Option("--account")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose")] = None,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Retirements (public claims), by beneficiary, event, account or purpose."""
    rows = queries.retirements(
        open_engine(db),
        beneficiary=beneficiary,
        event_ref=event_ref,
        account=account,
        purpose=purpose,
        limit=limit,
        offset=offset,
    )
    if as_json:
        print_json(rows)
    else:
        show_retirements(rows)


@command
def retirement(
    retirement_id: Annotated[str, typer.Argument(help="e.g. RET-18")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """One retirement: the claim a certificate points at."""
    result = queries.retirement(open_engine(db), retirement_id)
    if as_json:
        print_json(result)
    else:
        show_fields(f"Retirement {retirement_id}", record_fields(result))


@command
def cancellations(
    case_number: Annotated[str | None, typer.Option("--case")] = None,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    account: Annotated[str | None, typer.Option("--account")] = None,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Cancellations, by case number, reason or account."""
    rows = queries.cancellations(
        open_engine(db),
        case_number=case_number,
        reason=reason,
        account=account,
        limit=limit,
        offset=offset,
    )
    if as_json:
        print_json(rows)
        return
    show_table(
        "Cancellations",
        ["id", "time", "quantity", "reason", "authority", "case", "damage", "account"],
        [
            (
                c.id,
                when(c.time_ms),
                grams(c.quantity),
                c.reason,
                c.authority,
                c.case_number,
                None if c.damage_fen is None else queries.format_cny(c.damage_fen),
                c.account,
            )
            for c in rows
        ],
        right=("quantity", "damage"),
    )


@command
def cancellation(
    cancellation_id: Annotated[str, typer.Argument(help="e.g. CAN-15")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """One cancellation, with its case record."""
    result = queries.cancellation(open_engine(db), cancellation_id)
    if as_json:
        print_json(result)
    else:
        show_fields(f"Cancellation {cancellation_id}", record_fields(result))


@command
def pledges(
    account: Annotated[str | None, typer.Option("--account")] = None,
    bank: Annotated[str | None, typer.Option("--bank")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="active, released or enforced")
    ] = None,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Pledges of credits as collateral."""
    rows = queries.pledges(
        open_engine(db), account=account, bank=bank, status=status, limit=limit, offset=offset
    )
    if as_json:
        print_json(rows)
        return
    show_table(
        "Pledges",
        ["id", "index", "account", "bank", "quantity", "status", "closed at"],
        [
            (p.id, p.index, p.account, p.bank, grams(p.quantity), p.status, p.closed_at)
            for p in rows
        ],
        right=("quantity",),
    )


@command
def trades(
    since: Annotated[
        int | None,
        typer.Option("--since", parser=time_param, help="ISO date or time (UTC), inclusive."),
    ] = None,
    until: Annotated[
        int | None,
        typer.Option("--until", parser=time_param, help="ISO date or time (UTC), exclusive."),
    ] = None,
    venue: Annotated[str | None, typer.Option("--venue")] = None,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Trade announcements: priced transfers in a time range."""
    rows = queries.trades(
        open_engine(db), since_ms=since, until_ms=until, venue=venue, limit=limit, offset=offset
    )
    if as_json:
        print_json(rows)
        return
    show_table(
        "Trades",
        ["index", "time", "from", "to", "quantity", "price", "value", "venue", "settlement"],
        [
            (
                t.index,
                when(t.time_ms),
                t.from_account,
                t.to_account,
                grams(t.quantity),
                queries.format_cny(t.price_fen_per_tonne) + "/t",
                queries.format_cny(t.value_fen),
                t.venue,
                t.settlement_ref,
            )
            for t in rows
        ],
        right=("index", "quantity", "price", "value"),
    )
