"""Commands for platforms that keep personal accounts: opening them in bulk, recording their
reductions in bulk, redemption, aggregation, revenue shares and balance commitments.

Each builds the operation's body from options and files and goes the way of ``submit``: next
sequence number from the database, sign (and co-sign), submit, seal. ``open-accounts`` and
``record-reductions`` split a file into as many entries as it takes and submit them in groups;
a rejected entry is reported with every bad row (numbered within its entry, ``--json`` gives
them all) and the entries after it are not submitted.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger import queries
from ledger.cli.keyfile import load_identity
from ledger.cli.output import (
    DEFAULT_DB,
    DbOption,
    JsonOption,
    cny_param,
    command,
    lot_param,
    show_fields,
)
from ledger.cli.write import (
    AsOption,
    CosignOption,
    LogKeyOption,
    open_writer,
    report,
    sign_and_submit,
)
from ledger.client import Identity
from ledger.errors import InvalidInput
from ledger.log import Ledger, Outcome, Rejected
from ledger.ops.open_accounts import MAX_ACCOUNTS
from ledger.ops.reduction_rows import MAX_ROWS, ROW_FIELDS
from ledger.personal.commitments import build_tree, discard_tree

GROUP = 8
"""Entries submitted (and made durable) together."""

LotOption = Annotated[
    list[str], typer.Option("--lot", help="BATCH=QUANTITY or BATCH@START-END; repeatable.")
]


def _submit_all(
    ledger: Ledger, identity: Identity, cosigners: list[Identity], op: str, bodies: Iterator[Any]
) -> tuple[list[Outcome], int]:
    """Sign and submit one entry per body, GROUP at a time; stop after a rejected group."""
    identity.seq = queries.next_seq(ledger.engine, identity.participant) - 1
    outcomes: list[Outcome] = []
    group: list[bytes] = []
    entries = 0
    for body in bodies:
        group.append(identity.sign(ledger.origin, op, body, cosigners))
        entries += 1
        if len(group) == GROUP:
            outcomes += ledger.submit(group)
            group = []
            if any(isinstance(o, Rejected) for o in outcomes):
                return outcomes, entries
    if group:
        outcomes += ledger.submit(group)
    ledger.seal()
    return outcomes, entries


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield line.strip()


@command
def open_accounts(
    signer: AsOption,
    log_key: LogKeyOption,
    ids_file: Annotated[Path, typer.Option("--ids", help="File with one account id per line.")],
    per_entry: Annotated[
        int, typer.Option("--per-entry", min=1, max=MAX_ACCOUNTS, help="Accounts per entry.")
    ] = MAX_ACCOUNTS,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Open personal accounts in bulk (pseudonymous ids only), kept by the signing platform."""
    identity = load_identity(signer)
    ledger = open_writer(db, log_key)
    try:
        bodies = ({"ids": ids} for ids in _chunks(_lines(ids_file), per_entry))
        outcomes, _ = _submit_all(ledger, identity, [], "open_accounts", bodies)
        report(outcomes, ledger, as_json=as_json, single=False)
    finally:
        ledger.close()


def _cell(text: str) -> Any:
    """A CSV cell as the JSON value a row carries: integers as integers, the rest as text."""
    stripped = text.strip()
    if stripped.lstrip("-").isdigit():
        return int(stripped)
    return stripped


def read_rows(path: Path) -> Iterator[list[Any]]:
    """Rows of a reductions file: CSV with the header ``account,scenario,methodology,grams,
    time_ms,evidence_digest``, or JSON Lines of objects with those keys. Values are passed on
    as they are: the ledger checks them and names every bad row."""
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for number, line in enumerate(_lines(path), 1):
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{path.name} line {number}: not JSON: {exc}") from exc
            if not isinstance(value, dict):
                raise InvalidInput(f"{path.name} line {number}: not an object")
            yield [value.get(name) for name in ROW_FIELDS]
        return
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != ROW_FIELDS:
            raise InvalidInput(f"{path.name}: the first line must be {','.join(ROW_FIELDS)}")
        for fields in reader:
            if fields:
                yield [_cell(v) for v in fields]


@command
def record_reductions(
    signer: AsOption,
    log_key: LogKeyOption,
    project: Annotated[str, typer.Option("--project", help="The platform's recording project.")],
    period_start: Annotated[str, typer.Option("--period-start", help="YYYY-MM-DD")],
    period_end: Annotated[str, typer.Option("--period-end", help="YYYY-MM-DD")],
    verified_on: Annotated[str, typer.Option("--verified-on", help="YYYY-MM-DD")],
    rows_file: Annotated[Path, typer.Option("--rows", help="CSV or JSON Lines of records.")],
    cosign: CosignOption = None,
    verifier: Annotated[
        str | None, typer.Option("--verifier", help="Verifier (default: the first --cosign).")
    ] = None,
    report_digest: Annotated[str | None, typer.Option("--report-digest")] = None,
    report_file: Annotated[
        Path | None, typer.Option("--report", help="The verification report (hashed).")
    ] = None,
    per_entry: Annotated[
        int, typer.Option("--per-entry", min=1, max=MAX_ROWS, help="Records per entry.")
    ] = 5000,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Record personal reductions in bulk: one batch per entry, co-signed by the verifier."""
    identity = load_identity(signer)
    cosigners = [load_identity(p) for p in cosign or ()]
    if verifier is None:
        if not cosigners:
            raise typer.BadParameter("give --verifier or co-sign with --cosign")
        verifier = cosigners[0].participant
    if (report_digest is None) == (report_file is None):
        raise typer.BadParameter("give exactly one of --report-digest and --report")
    digest = report_digest or hashlib.sha256(Path(str(report_file)).read_bytes()).hexdigest()
    head = {
        "project": project,
        "period_start": period_start,
        "period_end": period_end,
        "verifier": verifier,
        "report_digest": digest,
        "verified_on": verified_on,
    }
    ledger = open_writer(db, log_key)
    try:
        bodies = (dict(head, rows=rows) for rows in _chunks(read_rows(rows_file), per_entry))
        outcomes, _ = _submit_all(ledger, identity, cosigners, "record_reductions", bodies)
        report(outcomes, ledger, as_json=as_json, single=False)
    finally:
        ledger.close()


@command
def redeem(
    signer: AsOption,
    log_key: LogKeyOption,
    account: Annotated[str, typer.Option("--account", help="The personal account redeeming.")],
    to_account: Annotated[str, typer.Option("--to", help="The platform's or merchant's account.")],
    lot: LotOption,
    points_per_tonne: Annotated[
        int | None, typer.Option("--points-per-tonne", min=1, help="Conversion rate.")
    ] = None,
    gift: Annotated[str | None, typer.Option("--gift", help="Gift reference.")] = None,
    gift_value: Annotated[
        int | None, typer.Option("--gift-value", parser=cny_param, help="Gift value in CNY.")
    ] = None,
    cosign: CosignOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Redeem personal reductions for points (a conversion rate) or a gift."""
    if (points_per_tonne is None) == (gift is None):
        raise typer.BadParameter("give exactly one of --points-per-tonne and --gift")
    body: dict[str, Any] = {
        "account": account,
        "to_account": to_account,
        "lots": [lot_param(text) for text in lot],
        "reward": "points" if gift is None else "gift",
    }
    if points_per_tonne is not None:
        body["points_per_tonne"] = points_per_tonne
    if gift is not None:
        body["gift_ref"] = gift
    if gift_value is not None:
        body["gift_value_fen"] = gift_value
    sign_and_submit(db, log_key, signer, "redeem", body, cosign, as_json=as_json)


@command
def aggregate(
    signer: AsOption,
    log_key: LogKeyOption,
    lot_account: Annotated[str, typer.Option("--lot-account", help="New account for the lot.")],
    contributions: Annotated[
        Path,
        typer.Option(
            "--contributions",
            help='JSON Lines: {"account": ..., "lots": [{"batch": ..., "quantity": ...}], '
            '"consent_ref": ...} per person.',
        ),
    ],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Pool personal reductions, each with the person's consent, into one tradable lot."""
    items = []
    for number, line in enumerate(_lines(contributions), 1):
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{contributions.name} line {number}: not JSON: {exc}") from exc
    body = {"lot_account": lot_account, "contributions": items}
    sign_and_submit(db, log_key, signer, "aggregate", body, None, as_json=as_json)


@command
def revenue_share(
    signer: AsOption,
    log_key: LogKeyOption,
    aggregation: Annotated[str, typer.Option("--aggregation", help="AGG-<index>")],
    sale: Annotated[int, typer.Option("--sale", min=0, help="Log index of the sale.")],
    share_bps: Annotated[
        int,
        typer.Option("--share-bps", min=0, max=10_000, help="Basis points passed to persons."),
    ],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Record how a sale of an aggregated lot is shared with its contributors."""
    body = {"aggregation": aggregation, "sale": sale, "share_bps": share_bps}
    sign_and_submit(db, log_key, signer, "record_revenue_share", body, None, as_json=as_json)


@command
def commit_balances(
    signer: AsOption,
    log_key: LogKeyOption,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Build the sum tree of the platform's personal balances, sign its root and total, and
    put the commitment in the log (then sealed, so proofs can be served at once)."""
    identity = load_identity(signer)
    ledger = open_writer(db, log_key)
    try:
        tree = build_tree(ledger.engine, identity.participant)
        body = {
            "root": tree.root.hex(),
            "total": tree.total,
            "leaves": tree.leaves,
            "as_of": tree.size,
        }
        seq = queries.next_seq(ledger.engine, identity.participant)
        raw = identity.sign(ledger.origin, "commit_balances", body, seq=seq)
        outcomes = ledger.submit([raw], seal=True)
        if isinstance(outcomes[0], Rejected):
            discard_tree(ledger.engine, tree.id)
        elif not as_json:
            show_fields(
                "sum tree", [("accounts", tree.leaves), ("grams", tree.total), ("tree", tree.id)]
            )
        report(outcomes, ledger, as_json=as_json, single=True)
    finally:
        ledger.close()
