"""The other organisations' processes: ``carbonledger witness`` and ``carbonledger follow``.

``witness`` runs a C2SP tlog-witness (``node.witness``) for the logs it is given; ``follow``
replicates a log into its own database, verifying everything, and serves the read API over it
(``node.follower_app``). Both run until interrupted and log to standard error; every option
has an environment variable, for service managers. The witness's key is made with
``carbonledger keys new-witness``. ``check-evidence`` re-checks an evidence file that either
of them wrote, from the log's key alone.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.output import DbOption, JsonOption, command, print_json, show_fields
from ledger.errors import InvalidInput

HostOption = Annotated[
    str, typer.Option("--host", envvar="CARBONLEDGER_HOST", help="Address to listen on.")
]


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll otherwise


@command
def witness(
    key: Annotated[
        Path,
        typer.Option(
            "--key",
            envvar="CARBONLEDGER_WITNESS_KEY",
            help="The witness's key file (carbonledger keys new-witness).",
        ),
    ],
    log: Annotated[
        list[str],
        typer.Option(
            "--log",
            envvar="CARBONLEDGER_WITNESS_LOGS",
            help="[ORIGIN=]VKEY of a log to witness (repeatable; the origin defaults to the "
            "key's name).",
        ),
    ],
    state: Annotated[
        Path,
        typer.Option(
            "--state",
            envvar="CARBONLEDGER_WITNESS_STATE",
            help="Directory of the witness's state database and evidence files.",
        ),
    ] = Path("witness-state"),
    host: HostOption = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", envvar="CARBONLEDGER_WITNESS_PORT", min=1, max=65535)
    ] = 7380,
) -> None:
    """Run a witness: cosign each log's checkpoints that are consistent with the last one seen.

    Serves POST /add-checkpoint (C2SP tlog-witness) and GET /status. A log caught signing two
    roots for one size is frozen, with the evidence written under --state/evidence.
    """
    import uvicorn

    from node.witness import WitnessConfig, create_app, parse_log_option
    from node.witness_key import load_witness_key

    if not log:
        raise InvalidInput("give at least one --log to witness")
    logs = dict(parse_log_option(value) for value in log)
    config = WitnessConfig(load_witness_key(key), logs, state)
    _logging()
    logging.getLogger("carbonledger.witness").info(
        "witness %s for %s", config.signer.verifier().vkey(), ", ".join(sorted(logs))
    )
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


@command
def follow(
    log_url: Annotated[
        str,
        typer.Option(
            "--log-url", envvar="CARBONLEDGER_LOG_URL", help="Base URL of the log's HTTP API."
        ),
    ],
    log_vkey: Annotated[
        str,
        typer.Option(
            "--log-vkey",
            envvar="CARBONLEDGER_LOG_VKEY",
            help="The log's checkpoint verifier key, obtained out of band (never from the log).",
        ),
    ],
    db: DbOption = "sqlite:///replica.db",
    origin: Annotated[
        str | None,
        typer.Option("--origin", envvar="CARBONLEDGER_ORIGIN", help="Default: the key's name."),
    ] = None,
    state: Annotated[
        Path,
        typer.Option(
            "--state",
            envvar="CARBONLEDGER_FOLLOWER_STATE",
            help="Directory of the status file, the alarm (HALTED.json) and evidence files.",
        ),
    ] = Path("follower-state"),
    host: HostOption = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", envvar="CARBONLEDGER_FOLLOWER_PORT", min=1, max=65535)
    ] = 8081,
    poll: Annotated[
        float,
        typer.Option(
            "--poll", envvar="CARBONLEDGER_POLL_SECONDS", min=0.01, help="Seconds between polls."
        ),
    ] = 0.5,
    witness: Annotated[
        list[str] | None,
        typer.Option(
            "--witness",
            envvar="CARBONLEDGER_TRUSTED_WITNESSES",
            help="Verifier key of a trusted witness (repeatable).",
        ),
    ] = None,
    require_cosignatures: Annotated[
        int,
        typer.Option(
            "--require-cosignatures",
            envvar="CARBONLEDGER_REQUIRE_COSIGNATURES",
            min=0,
            help="Accept a checkpoint only once this many trusted witnesses cosigned it.",
        ),
    ] = 0,
) -> None:
    """Replicate a log into --db, verifying every record and checkpoint, and serve reads.

    Stops at the first thing that does not verify: logs it at ERROR, writes --state/HALTED.json
    and, for a split view or inconsistent checkpoints, an evidence file; GET /v1/follower/status
    then answers 503 with the alarm. Delete HALTED.json only once the cause is understood.
    """
    from node.follower import FollowerConfig
    from node.follower_app import serve_follower
    from node.witness_key import parse_witness_vkey

    config = FollowerConfig(
        log_url=log_url,
        log_vkey=log_vkey.strip(),
        db_url=db,
        state_dir=state,
        origin=origin,
        poll_seconds=poll,
        witnesses=tuple(parse_witness_vkey(v) for v in witness or ()),
        require_cosignatures=require_cosignatures,
    )
    _logging()
    serve_follower(config, host, port)


@command
def check_evidence(
    file: Annotated[
        Path, typer.Argument(help="An evidence file written by a follower or witness.")
    ],
    log_vkey: Annotated[
        str,
        typer.Option(
            "--log-vkey", envvar="CARBONLEDGER_LOG_VKEY", help="The log's checkpoint verifier key."
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Check an evidence file from the log's key alone: what it proves, or why it proves nothing.

    Exits 0 when the evidence holds (two roots signed for one size; a signed tree the log could
    not prove consistent; a record served under a signed checkpoint), 1 when it does not.
    """
    from ledger.note import NoteVerifier
    from node import evidence

    document = evidence.load_evidence(file)
    finding = evidence.check_evidence(document, NoteVerifier.from_vkey(log_vkey.strip()))
    data = {
        "kind": finding.kind,
        "origin": finding.origin,
        "sizes": list(finding.sizes),
        "summary": finding.summary,
    }
    if as_json:
        print_json(data)
    else:
        show_fields(f"Evidence holds: {finding.kind}", list(data.items()))
