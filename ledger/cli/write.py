"""Commands that make entries: ``init``, ``submit``, ``sign``, ``cosign`` and ``submit-file``.

``submit`` signs with the signer's next sequence number read from the database and submits at
once. The offline flow is ``sign`` (explicit ``--seq``, no database needed when ``--origin`` is
given), then ``cosign`` by each co-signer (a verifier, an authority, a bank) on their own
machine, then ``submit-file`` by anyone who can reach the sequencer.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger import queries
from ledger.cli.keyfile import load_identity, load_log_key
from ledger.cli.keys import create_log_key
from ledger.cli.output import (
    DEFAULT_DB,
    EXIT_REJECTED,
    DbOption,
    JsonOption,
    command,
    fail,
    lots_text,
    open_engine,
    print_json,
    show_fields,
    sqlite_path,
)
from ledger.entry import add_signature, parse_entry
from ledger.errors import InvalidInput, NotFound, RuleViolation
from ledger.log import Accepted, Ledger, Outcome, Rejected

AsOption = Annotated[Path, typer.Option("--as", help="Key file of the signing participant.")]
CosignOption = Annotated[
    list[Path] | None,
    typer.Option("--cosign", help="Key file of a co-signer (repeatable), signing after --as."),
]
LogKeyOption = Annotated[
    Path, typer.Option("--log-key", help="The log's checkpoint signing key file.")
]
BodyOption = Annotated[str | None, typer.Option("--body", help="Operation body as JSON.")]
BodyFileOption = Annotated[
    Path | None, typer.Option("--body-file", help="File holding the body as JSON ('-': stdin).")
]


# -- helpers shared with the shortcuts ------------------------------------------------------
def open_writer(db: str, log_key: Path) -> Ledger:
    """The ledger at ``db`` opened for writing with the log key in ``log_key``."""
    path = sqlite_path(db)
    if path is not None and not path.exists():
        raise NotFound(f"no ledger at {db} (run 'carbonledger init' first)", code="no_ledger")
    signer = load_log_key(log_key)
    ledger = Ledger.open(db, signer)
    if signer.verifier().vkey() != ledger.log_vkey:
        ledger.close()
        raise RuleViolation(
            f"log key {signer.verifier().vkey()} is not this ledger's ({ledger.log_vkey})",
            code="wrong_log_key",
        )
    return ledger


def _no_float(text: str) -> Any:
    raise InvalidInput(f"number {text} is not an integer: amounts are whole grams or fen")


def load_body(body: str | None, body_file: Path | None) -> dict[str, Any]:
    """The JSON object given by ``--body`` or ``--body-file`` (exactly one of them)."""
    if (body is None) == (body_file is None):
        raise typer.BadParameter("give exactly one of --body and --body-file")
    if body is None:
        assert body_file is not None
        body = sys.stdin.read() if str(body_file) == "-" else body_file.read_text("utf-8")
    try:
        value = json.loads(body, parse_float=_no_float)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidInput("the body must be a JSON object")
    return value


def _outcome_json(outcome: Outcome, ledger: Ledger) -> dict[str, Any]:
    if isinstance(outcome, Rejected):
        return {"error": outcome.error.to_dict()}
    return {
        "index": outcome.index,
        "op": outcome.event.op if outcome.event else None,
        "duplicate": outcome.duplicate,
        "entry_hash": outcome.entry_hash.hex(),
        "data": outcome.event.data if outcome.event else {},
        "checkpoint_size": ledger.sealed_size,
    }


def _value_text(key: str, value: Any) -> str:
    if key == "quantity" and isinstance(value, int):
        return f"{queries.format_tonnes(value)} ({value:,} g)"
    if key == "lots" and isinstance(value, list):
        return lots_text(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _show_outcome(outcome: Accepted, ledger: Ledger) -> None:
    if outcome.duplicate or outcome.event is None:
        title = f"already in the log at index {outcome.index}"
        fields: list[tuple[str, Any]] = []
    else:
        title = f"{outcome.event.op} accepted at index {outcome.index}"
        fields = [(k, _value_text(k, v)) for k, v in outcome.event.data.items()]
    fields += [
        ("entry hash", outcome.entry_hash.hex()),
        ("checkpoint", f"size {ledger.sealed_size}"),
    ]
    show_fields(title, fields)


def report(outcomes: Sequence[Outcome], ledger: Ledger, *, as_json: bool, single: bool) -> None:
    """Print outcomes; exit 1 if any was rejected (a single one prints as a plain error)."""
    if single:
        (outcome,) = outcomes
        if isinstance(outcome, Rejected):
            fail(outcome.error, as_json=as_json)
        if as_json:
            print_json(_outcome_json(outcome, ledger))
        else:
            _show_outcome(outcome, ledger)
        return
    if as_json:
        print_json([_outcome_json(o, ledger) for o in outcomes])
    for position, outcome in enumerate(outcomes):
        if as_json:
            continue
        if isinstance(outcome, Rejected):
            typer.echo(
                f"error: entry {position + 1}: {outcome.error.code}: {outcome.error.message}",
                err=True,
            )
        else:
            _show_outcome(outcome, ledger)
    if any(isinstance(o, Rejected) for o in outcomes):
        raise typer.Exit(EXIT_REJECTED)


def sign_and_submit(
    db: str,
    log_key: Path,
    signer: Path,
    op: str,
    body: dict[str, Any],
    cosigners: Sequence[Path] | None,
    *,
    as_json: bool,
) -> None:
    """Sign ``body`` as ``signer`` with its next sequence number, submit, seal and report."""
    identity = load_identity(signer)
    others = [load_identity(path) for path in cosigners or ()]
    ledger = open_writer(db, log_key)
    try:
        seq = queries.next_seq(ledger.engine, identity.participant)
        raw = identity.sign(ledger.origin, op, body, others, seq=seq)
        outcomes = ledger.submit([raw], seal=True)
        report(outcomes, ledger, as_json=as_json, single=True)
    finally:
        ledger.close()


def read_entry_file(path: Path) -> bytes:
    """An entry file's canonical bytes (a trailing newline is allowed and dropped)."""
    return path.read_bytes().rstrip(b"\n")


def _write_entry_file(path: Path, raw: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(raw + b"\n")
    os.replace(tmp, path)


def _entry_summary(raw: bytes) -> dict[str, Any]:
    entry = parse_entry(raw)
    return {
        "ledger": entry.ledger,
        "op": entry.op,
        "signer": entry.signer,
        "seq": entry.seq,
        "signatures": [s.signer for s in entry.signatures],
        "entry_hash": entry.hash.hex(),
        "body": entry.body,
    }


def _show_entry(title: str, raw: bytes, path: Path | None, as_json: bool) -> None:
    summary = _entry_summary(raw)
    if path is not None:
        summary["file"] = str(path)
    if as_json:
        print_json(summary)
    else:
        show_fields(title, [(k, _value_text(k, v)) for k, v in summary.items()])


# -- commands --------------------------------------------------------------------------------
@command
def init(
    origin: Annotated[
        str,
        typer.Option(
            "--origin",
            help="The log's origin, e.g. ledger.example.cn/phcer; it names the log forever.",
        ),
    ],
    operator_key: Annotated[
        Path, typer.Option("--operator-key", help="Key file of the operator (registrar).")
    ],
    log_key: LogKeyOption,
    new_log_key: Annotated[
        str | None,
        typer.Option(
            "--new-log-key",
            metavar="NAME",
            help="Create --log-key with a new key of this name (by convention the origin).",
        ),
    ] = None,
    operator_name: Annotated[str, typer.Option("--operator-name")] = "Ledger operator",
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Create a ledger: its tables, its identity and the sealed genesis entry."""
    operator = load_identity(operator_key)
    signer = create_log_key(new_log_key, log_key) if new_log_key else load_log_key(log_key)
    ledger = Ledger.create(db, origin, operator, signer, operator_name=operator_name)
    try:
        data = {
            "origin": ledger.origin,
            "log_vkey": ledger.log_vkey,
            "operator": operator.participant,
            "size": ledger.size,
            "checkpoint": ledger.checkpoint().decode(),
        }
    finally:
        ledger.close()
    if as_json:
        print_json(data)
    else:
        show_fields(f"Ledger created at {db}", list(data.items()))


@command
def submit(
    op: Annotated[str, typer.Argument(help="Operation name, e.g. transfer.")],
    signer: AsOption,
    log_key: LogKeyOption,
    body: BodyOption = None,
    body_file: BodyFileOption = None,
    cosign: CosignOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Sign OP with the signer's next sequence number and submit it; seals a checkpoint."""
    sign_and_submit(db, log_key, signer, op, load_body(body, body_file), cosign, as_json=as_json)


@command
def sign(
    op: Annotated[str, typer.Argument(help="Operation name.")],
    signer: AsOption,
    seq: Annotated[int, typer.Option("--seq", min=1, help="The signer's sequence number.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Entry file to write (default: stdout).")
    ] = None,
    body: BodyOption = None,
    body_file: BodyFileOption = None,
    cosign: CosignOption = None,
    origin: Annotated[
        str | None, typer.Option("--origin", help="The ledger's origin (default: read from --db).")
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Build a signed entry file offline, for co-signing and later submission."""
    payload = load_body(body, body_file)
    identity = load_identity(signer)
    others = [load_identity(path) for path in cosign or ()]
    if origin is None:
        origin = queries.ledger_info(open_engine(db)).origin
    raw = identity.sign(origin, op, payload, others, seq=seq)
    if out is None:
        sys.stdout.write(raw.decode() + "\n")
        return
    _write_entry_file(out, raw)
    _show_entry(f"Signed entry written to {out}", raw, out, as_json)


@command
def cosign(
    entry_file: Annotated[Path, typer.Argument(help="Entry file to co-sign.")],
    signer: AsOption,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Where to write (default: rewrite ENTRY_FILE)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add your co-signature to an entry file: the same payload, signed by you."""
    identity = load_identity(signer)
    raw = add_signature(
        read_entry_file(entry_file), identity.participant, identity.key_id, identity.key
    )
    target = out or entry_file
    _write_entry_file(target, raw)
    _show_entry(f"Co-signed by {identity.participant}", raw, target, as_json)


@command
def submit_file(
    entry_files: Annotated[list[Path], typer.Argument(help="Entry files, applied in order.")],
    log_key: LogKeyOption,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Submit signed entry files as one group; seals a checkpoint. Exit 1 if any is rejected."""
    raws = [read_entry_file(path) for path in entry_files]
    ledger = open_writer(db, log_key)
    try:
        outcomes = ledger.submit(raws, seal=True)
        report(outcomes, ledger, as_json=as_json, single=False)
    finally:
        ledger.close()
