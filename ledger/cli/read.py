"""Query commands about the log and the registry: the ledger's identity, participants,
programs, methodologies, projects, entries, checkpoints and sequence numbers.

Thin wrappers over ``ledger.queries`` that print tables or JSON; the credit queries (batches,
holdings, history, uses, trades) are in ``ledger.cli.credits``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ledger import queries
from ledger.checkpoint import open_checkpoint
from ledger.cli.output import (
    DEFAULT_DB,
    DbOption,
    JsonOption,
    LimitOption,
    OffsetOption,
    command,
    open_engine,
    print_json,
    record_fields,
    show_fields,
    show_table,
    when,
)
from ledger.note import NoteVerifier


@command
def info(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """The ledger's origin, log key and size."""
    result = queries.ledger_info(open_engine(db))
    if as_json:
        print_json(result)
    else:
        show_fields("Ledger", list(queries.as_json(result).items()))


@command
def participants(
    role: Annotated[str | None, typer.Option("--role")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Registered participants, with their roles and keys."""
    rows = queries.participants(open_engine(db), role=role, kind=kind, limit=limit, offset=offset)
    if as_json:
        print_json(rows)
        return
    show_table(
        "Participants",
        ["id", "name", "kind", "roles", "keys", "registered at"],
        [
            (
                p.id,
                p.name,
                p.kind,
                " ".join(p.roles),
                " ".join(
                    k.key_id + (" (revoked)" if k.revoked_at is not None else "") for k in p.keys
                ),
                p.registered_at,
            )
            for p in rows
        ],
    )


@command
def programs(
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Programs with their administrators and accredited issuers and verifiers."""
    rows = queries.programs(open_engine(db), limit=limit, offset=offset)
    if as_json:
        print_json(rows)
        return
    show_table(
        "Programs",
        ["code", "name", "region", "administrator", "roles", "batches"],
        [
            (
                p.code,
                p.name,
                p.region,
                p.administrator,
                "; ".join(f"{who}: {' '.join(r)}" for who, r in p.roles.items()),
                p.batch_count,
            )
            for p in rows
        ],
    )


@command
def methodologies(
    program: Annotated[str | None, typer.Option("--program")] = None,
    status: Annotated[str | None, typer.Option("--status")] = None,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Methodologies with their calculation parameters and sources."""
    rows = queries.methodologies(
        open_engine(db), program=program, status=status, limit=limit, offset=offset
    )
    if as_json:
        print_json(rows)
        return
    show_table(
        "Methodologies",
        ["id", "program", "title", "scenario", "status", "parameters"],
        [
            (
                m.id,
                m.program,
                m.title,
                m.scenario,
                m.status,
                "; ".join(
                    f"{p['name']}={p['value']} {p['unit']} ({p['source']})" for p in m.parameters
                ),
            )
            for m in rows
        ],
    )


@command
def projects(
    program: Annotated[str | None, typer.Option("--program")] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Registered projects."""
    rows = queries.projects(
        open_engine(db), program=program, owner=owner, limit=limit, offset=offset
    )
    if as_json:
        print_json(rows)
        return
    show_table(
        "Projects",
        ["id", "program", "owner", "methodology", "title", "region", "city"],
        [(p.id, p.program, p.owner, p.methodology, p.title, p.region, p.city) for p in rows],
    )


@command
def entries(
    start: Annotated[int, typer.Option("--from", min=0, help="First log index.")] = 0,
    op: Annotated[str | None, typer.Option("--op")] = None,
    signer: Annotated[str | None, typer.Option("--signer")] = None,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Log entries: index, operation, signer and time."""
    rows = queries.entries(
        open_engine(db), start=start, op=op, signer=signer, limit=limit, offset=offset
    )
    if as_json:
        print_json(rows)
        return
    show_table(
        "Entries",
        ["index", "time", "op", "signer", "entry hash"],
        [(e.index, when(e.time_ms), e.op, e.signer, e.entry_hash.hex()[:16]) for e in rows],
        right=("index",),
    )


@command
def entry(
    index: Annotated[int, typer.Argument(help="Log index.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """One log record, decoded: payload, signatures and its place in the hash chain."""
    result = queries.entry(open_engine(db), index)
    if as_json:
        print_json({**queries.as_json(result), "record": result.record.decode()})
    else:
        show_fields(f"Entry {index}", [(k, v) for k, v in record_fields(result) if k != "record"])


@command
def checkpoint(
    size: Annotated[int | None, typer.Option("--size", help="Tree size (default: latest).")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """A sealed checkpoint note, with its signature checked against the log's key."""
    engine = open_engine(db)
    ledger = queries.ledger_info(engine)
    result = queries.checkpoint(engine, size)
    open_checkpoint(
        result.note.encode(), NoteVerifier.from_vkey(ledger.log_vkey), origin=ledger.origin
    )
    if as_json:
        print_json({**queries.as_json(result), "signature_verified": True})
    else:
        typer.echo(result.note, nl=False)
        typer.echo(f"(signature verified with {ledger.log_vkey}; sealed {when(result.time_ms)})")


@command
def seq(
    participant: Annotated[str, typer.Argument(help="Participant id.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """The sequence number the participant's next entry must carry (for offline signing)."""
    value = queries.next_seq(open_engine(db), participant)
    if as_json:
        print_json({"participant": participant, "next_seq": value})
    else:
        typer.echo(value)
