"""``carbonledger serve``: the sequencer's HTTP API (``node.sequencer``, ``docs/api.md``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from api.settings import WitnessConfig
from ledger import queries
from ledger.cli.anchor import start_anchorer
from ledger.cli.keyfile import load_log_key
from ledger.cli.output import DbOption, command, open_engine
from ledger.errors import InvalidInput, RuleViolation
from node.config import DEFAULT_HOST, DEFAULT_PORT, ServeConfig, parse_witnesses
from node.writer import MAX_GROUP, MAX_GROUP_BYTES


def _env(name: str) -> str:
    return f"CARBONLEDGER_{name}"


@command
def serve(
    db: DbOption = "sqlite:///carbonledger.db",
    log_key: Annotated[
        Path | None,
        typer.Option(
            "--log-key",
            envvar=_env("LOG_KEY"),
            help="The log's checkpoint key file: this server holds the single writer.",
        ),
    ] = None,
    host: Annotated[str, typer.Option(envvar=_env("HOST"), help="Address to listen on.")] = (
        DEFAULT_HOST
    ),
    port: Annotated[int, typer.Option(envvar=_env("PORT"), help="Port to listen on.")] = (
        DEFAULT_PORT
    ),
    seal_every: Annotated[
        int,
        typer.Option(envvar=_env("SEAL_EVERY"), min=1, help="Seal after this many entries."),
    ] = 1000,
    seal_ms: Annotated[
        int,
        typer.Option(
            envvar=_env("SEAL_MS"),
            min=0,
            help="Seal a partial batch this many ms after its first entry (0: by count only).",
        ),
    ] = 1000,
    max_group: Annotated[
        int,
        typer.Option(
            envvar=_env("MAX_GROUP"),
            min=1,
            help="Entries the writer gathers into one group commit (a request is never "
            "split: the last one may go over).",
        ),
    ] = MAX_GROUP,
    max_group_bytes: Annotated[
        int,
        typer.Option(
            envvar=_env("MAX_GROUP_BYTES"),
            min=1,
            help="Bytes of entries the writer gathers into one group commit (a request is "
            "never split: the last one may go over).",
        ),
    ] = MAX_GROUP_BYTES,
    workers: Annotated[
        int,
        typer.Option(
            envvar=_env("WORKERS"),
            min=1,
            help="API worker processes; with more than one, a dedicated process writes.",
        ),
    ] = 1,
    witness: Annotated[
        list[str] | None,
        typer.Option(
            "--witness",
            help="A trusted witness, '<vkey>' or '<vkey> <url>' (asked to cosign each seal); "
            "repeatable. Env CARBONLEDGER_WITNESSES, comma-separated.",
        ),
    ] = None,
    writer_url: Annotated[
        str | None,
        typer.Option(
            envvar=_env("WRITER_URL"),
            help="Forward writes to this sequencer instead of holding the writer.",
        ),
    ] = None,
    anchor: Annotated[
        bool,
        typer.Option(
            "--anchor",
            envvar=_env("ANCHOR"),
            help="Also run the anchorer on a thread of its own (node.anchorer), configured by "
            "CARBONLEDGER_CHAIN and CARBONLEDGER_ANCHOR_* (see 'carbonledger anchorer').",
        ),
    ] = False,
) -> None:
    """Serve the HTTP API: writes through one writer (group commit), reads, the log contract."""
    witnesses = parse_witnesses(",".join(witness)) if witness else _witnesses_from_env()
    config = ServeConfig(
        db=db,
        log_key=log_key,
        host=host,
        port=port,
        seal_every=seal_every,
        seal_ms=seal_ms,
        max_group=max_group,
        max_group_bytes=max_group_bytes,
        workers=workers,
        witnesses=witnesses,
        writer_url=writer_url,
    )
    config.check()
    engine = open_engine(db)
    try:
        info = queries.ledger_info(engine)
    finally:
        engine.dispose()
    if log_key is not None:
        vkey = load_log_key(log_key).verifier().vkey()
        if vkey != info.log_vkey:
            raise RuleViolation(
                f"log key {vkey} is not this ledger's ({info.log_vkey})", code="wrong_log_key"
            )
    typer.echo(
        f"serving {info.origin} ({info.size} entries) on http://{host}:{port} "
        f"with {workers} worker(s); "
        + ("holding the writer" if log_key else f"writes to {writer_url or 'nobody (read-only)'}"),
        err=True,
    )
    from node.sequencer import serve as run  # the web stack is imported only to serve

    anchorer = start_anchorer(db, lambda line: typer.echo(line, err=True)) if anchor else None
    try:
        run(config)
    finally:
        if anchorer is not None:
            anchorer.stop()


def _witnesses_from_env() -> tuple[WitnessConfig, ...]:
    try:
        return parse_witnesses(os.environ.get(_env("WITNESSES"), ""))
    except InvalidInput as exc:
        raise typer.BadParameter(exc.message) from exc
