"""Shortcuts for the common operations, so that nobody has to write JSON by hand.

Each command builds the operation's body from options and goes through the same path as
``submit``: next sequence number from the database, sign, submit, seal. Quantities are exact
tonnes or grams (``1019t``, ``5503.686t``, ``123g``), money is yuan (``65.88``), and a lot is
``BATCH=QUANTITY`` or an exact serial range ``BATCH@START-END``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli.keyfile import load_identity
from ledger.cli.output import (
    DEFAULT_DB,
    DbOption,
    JsonOption,
    cny_param,
    command,
    lot_param,
    quantity_param,
)
from ledger.cli.write import AsOption, CosignOption, LogKeyOption, sign_and_submit

LotOption = Annotated[
    list[str],
    typer.Option(
        "--lot",
        help="BATCH=QUANTITY (e.g. PHCER-2022-000001=1019t) or BATCH@START-END; repeatable.",
    ),
]
AccountOption = Annotated[
    str | None, typer.Option("--account", help="Account to act on (default: the signer's own).")
]
NoteOption = Annotated[str | None, typer.Option("--note")]


def _lots(texts: list[str]) -> list[dict[str, Any]]:
    return [lot_param(text) for text in texts]


def _account(account: str | None, signer: Path) -> str:
    return account if account is not None else load_identity(signer).participant


def _digest(digest: str | None, document: Path | None, what: str) -> str:
    """A SHA-256 hex digest given directly or computed from a document."""
    if (digest is None) == (document is None):
        raise typer.BadParameter(f"give exactly one of --{what}-digest and --{what}")
    if document is not None:
        return hashlib.sha256(document.read_bytes()).hexdigest()
    assert digest is not None
    return digest


def _parameter(text: str) -> dict[str, str]:
    parts = text.split(":", 3)
    if len(parts) != 4 or not all(parts):
        raise typer.BadParameter(f"parameter {text!r} is not NAME:VALUE:UNIT:SOURCE")
    return dict(zip(("name", "value", "unit", "source"), parts, strict=True))


def _compact(body: dict[str, Any]) -> dict[str, Any]:
    """Drop options that were not given: the message schemas treat absent and null alike."""
    return {k: v for k, v in body.items() if v is not None}


@command
def issue(
    signer: AsOption,
    log_key: LogKeyOption,
    project: Annotated[str, typer.Option("--project")],
    vintage_start: Annotated[str, typer.Option("--vintage-start", help="YYYY-MM-DD")],
    vintage_end: Annotated[str, typer.Option("--vintage-end", help="YYYY-MM-DD")],
    quantity: Annotated[
        int, typer.Option("--quantity", parser=quantity_param, help="e.g. 2000t or 5503.686t")
    ],
    to_account: Annotated[str, typer.Option("--to", help="Account receiving the batch.")],
    verified_on: Annotated[str, typer.Option("--verified-on", help="YYYY-MM-DD")],
    cosign: CosignOption = None,
    verifier: Annotated[
        str | None,
        typer.Option("--verifier", help="Verifying participant (default: the first --cosign)."),
    ] = None,
    report_digest: Annotated[str | None, typer.Option("--report-digest")] = None,
    report_file: Annotated[
        Path | None,
        typer.Option("--report", help="The verification report; its SHA-256 is recorded."),
    ] = None,
    origin_ref: Annotated[str | None, typer.Option("--origin-ref")] = None,
    parameter: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            help="NAME:VALUE:UNIT:SOURCE, e.g. grid_ef:0.5271:kgCO2/kWh:MEE 2022; repeatable.",
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Issue a verified batch (the verifier co-signs with --cosign)."""
    if verifier is None:
        if not cosign:
            raise typer.BadParameter("name the --verifier or give its key with --cosign")
        verifier = load_identity(cosign[0]).participant
    body = _compact(
        {
            "project": project,
            "vintage_start": vintage_start,
            "vintage_end": vintage_end,
            "quantity": quantity,
            "to_account": to_account,
            "verifier": verifier,
            "report_digest": _digest(report_digest, report_file, "report"),
            "verified_on": verified_on,
            "origin_ref": origin_ref,
            "parameters": [_parameter(p) for p in parameter or ()] or None,
        }
    )
    sign_and_submit(db, log_key, signer, "issue", body, cosign, as_json=as_json)


@command
def transfer(
    signer: AsOption,
    log_key: LogKeyOption,
    to_account: Annotated[str, typer.Option("--to")],
    lot: LotOption,
    from_account: Annotated[
        str | None, typer.Option("--from", help="Source account (default: the signer's own).")
    ] = None,
    price: Annotated[
        int | None,
        typer.Option("--price", parser=cny_param, help="Price in CNY per tonne, e.g. 65.88."),
    ] = None,
    venue: Annotated[
        str | None,
        typer.Option(
            "--venue",
            help="exchange_listing, exchange_bidding, exchange_agreement, auction, otc, "
            "redemption or donation",
        ),
    ] = None,
    settlement_ref: Annotated[str | None, typer.Option("--settlement")] = None,
    cosign: CosignOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Transfer or trade credits to another account."""
    body = _compact(
        {
            "from_account": _account(from_account, signer),
            "to_account": to_account,
            "lots": _lots(lot),
            "price_fen_per_tonne": price,
            "venue": venue,
            "settlement_ref": settlement_ref,
        }
    )
    sign_and_submit(db, log_key, signer, "transfer", body, cosign, as_json=as_json)


@command
def retire(
    signer: AsOption,
    log_key: LogKeyOption,
    lot: LotOption,
    beneficiary: Annotated[str, typer.Option("--beneficiary", help="On whose behalf.")],
    purpose: Annotated[
        str,
        typer.Option(
            "--purpose",
            help="event_neutrality, enterprise_neutrality, compliance_offset, personal or donation",
        ),
    ],
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", help="e.g. CN-GD")],
    account: AccountOption = None,
    beneficiary_id: Annotated[str | None, typer.Option("--beneficiary-id")] = None,
    event_ref: Annotated[str | None, typer.Option("--event")] = None,
    claim_ref: Annotated[str | None, typer.Option("--claim")] = None,
    period_start: Annotated[str | None, typer.Option("--period-start")] = None,
    period_end: Annotated[str | None, typer.Option("--period-end")] = None,
    note: NoteOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Retire credits for good on behalf of a beneficiary."""
    body = _compact(
        {
            "account": _account(account, signer),
            "lots": _lots(lot),
            "beneficiary": _compact({"name": beneficiary, "identifier": beneficiary_id}),
            "purpose": purpose,
            "jurisdiction": jurisdiction,
            "event_ref": event_ref,
            "claim_ref": claim_ref,
            "period_start": period_start,
            "period_end": period_end,
            "note": note,
        }
    )
    sign_and_submit(db, log_key, signer, "retire", body, None, as_json=as_json)


@command
def cancel(
    signer: AsOption,
    log_key: LogKeyOption,
    lot: LotOption,
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help="ecological_compensation, administrative_invalidation, correction or export",
        ),
    ],
    account: AccountOption = None,
    authority: Annotated[str | None, typer.Option("--authority")] = None,
    case_number: Annotated[str | None, typer.Option("--case")] = None,
    damage: Annotated[
        int | None, typer.Option("--damage", parser=cny_param, help="Appraised damage in CNY.")
    ] = None,
    decision_digest: Annotated[str | None, typer.Option("--decision-digest")] = None,
    decision_file: Annotated[
        Path | None,
        typer.Option("--decision", help="The decision document; its SHA-256 is recorded."),
    ] = None,
    destination: Annotated[str | None, typer.Option("--destination")] = None,
    note: NoteOption = None,
    cosign: CosignOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Cancel credits; an ecological-compensation case needs the authority's --cosign."""
    case = None
    if reason == "ecological_compensation":
        if authority is None or case_number is None or damage is None:
            raise typer.BadParameter(
                "ecological_compensation needs --authority, --case and --damage"
            )
        case = {
            "authority": authority,
            "case_number": case_number,
            "damage_fen": damage,
            "decision_digest": _digest(decision_digest, decision_file, "decision"),
        }
    body = _compact(
        {
            "account": _account(account, signer),
            "lots": _lots(lot),
            "reason": reason,
            "case": case,
            "destination": destination,
            "note": note,
        }
    )
    sign_and_submit(db, log_key, signer, "cancel", body, cosign, as_json=as_json)


@command
def pledge(
    signer: AsOption,
    log_key: LogKeyOption,
    lot: LotOption,
    bank: Annotated[str, typer.Option("--bank", help="The pledgee bank (co-signs).")],
    account: AccountOption = None,
    contract_ref: Annotated[str | None, typer.Option("--contract")] = None,
    cosign: CosignOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Pledge credits as collateral to a bank (the bank co-signs with --cosign)."""
    body = _compact(
        {
            "account": _account(account, signer),
            "lots": _lots(lot),
            "bank": bank,
            "contract_ref": contract_ref,
        }
    )
    sign_and_submit(db, log_key, signer, "pledge", body, cosign, as_json=as_json)


PledgeArgument = Annotated[str, typer.Argument(help="Pledge id, e.g. PLG-16.")]


@command
def release(
    pledge_id: PledgeArgument,
    signer: AsOption,
    log_key: LogKeyOption,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Release a pledge (signed by the bank): the credits return to the pledging account."""
    sign_and_submit(
        db, log_key, signer, "release_pledge", {"pledge": pledge_id}, None, as_json=as_json
    )


@command
def enforce(
    pledge_id: PledgeArgument,
    signer: AsOption,
    log_key: LogKeyOption,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Enforce a pledge (signed by the bank): the credits go to the bank's account."""
    sign_and_submit(
        db, log_key, signer, "enforce_pledge", {"pledge": pledge_id}, None, as_json=as_json
    )
