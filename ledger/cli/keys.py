"""``carbonledger keys``: make and inspect participant key files and log key files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.keyfile import load_identity, load_log_key, save_identity, save_log_key
from ledger.cli.output import JsonOption, command, print_json, show_fields
from ledger.client import Identity
from ledger.errors import InvalidInput
from ledger.note import NoteSigner, is_valid_name

app = typer.Typer(help="Make and inspect key files.", no_args_is_help=True)

OutOption = Annotated[Path, typer.Option("--out", "-o", help="Key file to create (mode 0600).")]


def _show_identity(identity: Identity, path: Path, as_json: bool) -> None:
    data = {
        "participant": identity.participant,
        "key_id": identity.key_id,
        "public_key": identity.public_key_b64,
        "file": str(path),
    }
    if as_json:
        print_json(data)
    else:
        show_fields(f"Key of {identity.participant}", list(data.items()))


@app.command("new")
@command
def new(
    participant: Annotated[str, typer.Argument(help="Participant id the key signs for.")],
    out: OutOption,
    as_json: JsonOption = False,
) -> None:
    """Generate an Ed25519 key for PARTICIPANT; prints its key id and public key.

    Register the public key with the participant (register_participant or add_key).
    """
    identity = Identity.generate(participant)
    save_identity(identity, out)
    _show_identity(identity, out, as_json)


@app.command("show")
@command
def show(
    file: Annotated[Path, typer.Argument(help="Participant key file.")],
    as_json: JsonOption = False,
) -> None:
    """Show the participant, key id and public key of a key file (never the seed)."""
    _show_identity(load_identity(file), file, as_json)


@app.command("new-log")
@command
def new_log(
    name: Annotated[str, typer.Argument(help="Key name; by convention the log's origin.")],
    out: OutOption,
    as_json: JsonOption = False,
) -> None:
    """Generate the log's checkpoint signing key (a signed-note key); prints its vkey."""
    log_key = create_log_key(name, out)
    data = {"name": name, "vkey": log_key.verifier().vkey(), "file": str(out)}
    if as_json:
        print_json(data)
    else:
        show_fields("Log key", list(data.items()))


@app.command("show-log")
@command
def show_log(
    file: Annotated[Path, typer.Argument(help="Log key file.")],
    as_json: JsonOption = False,
) -> None:
    """Show the name and verifier key (vkey) of a log key file."""
    log_key = load_log_key(file)
    data = {"name": log_key.name, "vkey": log_key.verifier().vkey(), "file": str(file)}
    if as_json:
        print_json(data)
    else:
        show_fields("Log key", list(data.items()))


@app.command("new-witness")
@command
def new_witness(
    name: Annotated[str, typer.Argument(help="The witness's name, e.g. witness.example/w1.")],
    out: OutOption,
    as_json: JsonOption = False,
) -> None:
    """Generate a witness's cosigning key (C2SP tlog-cosignature); prints its vkey."""
    from node.witness_key import create_witness_key

    signer = create_witness_key(name, out)
    data = {"name": name, "vkey": signer.verifier().vkey(), "file": str(out)}
    if as_json:
        print_json(data)
    else:
        show_fields("Witness key", list(data.items()))


def create_log_key(name: str, out: Path) -> NoteSigner:
    if not is_valid_name(name):
        raise InvalidInput(f"{name!r} cannot name a key: no spaces or '+' allowed")
    log_key = NoteSigner.generate(name)
    save_log_key(log_key, out)
    return log_key
