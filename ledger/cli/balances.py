"""Commands on personal balances: reconciliation of a platform's balance file, balance proofs
and their offline check, points, custody totals and aggregations.

``reconcile`` writes every difference to a CSV report and prints the summary; ``balance-proof``
prints (or writes) a person's proof; ``verify-balance-proof`` checks one with no database, given
the log's checkpoint key from a source the person trusts.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from ledger import queries
from ledger.cli.output import (
    DEFAULT_DB,
    DbOption,
    JsonOption,
    command,
    grams,
    open_engine,
    print_json,
    show_fields,
    show_table,
)
from ledger.errors import InvalidInput
from ledger.personal.proof import make_balance_proof, verify_balance_proof
from ledger.personal.reconcile import reconcile as reconcile_file
from ledger.queries import personal


@command
def reconcile(
    platform: Annotated[str, typer.Option("--platform", help="The platform reconciling.")],
    balance_file: Annotated[
        Path, typer.Option("--file", help="Its balances: CSV account,grams or JSON Lines.")
    ],
    out: Annotated[Path, typer.Option("--report", help="Where to write the differences (CSV).")],
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: from the name).")
    ] = None,
    size: Annotated[
        int | None,
        typer.Option(
            "--size",
            min=0,
            help="Log size the file is as of: the current one, or a balance commitment's.",
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Compare a platform's own balance file with the ledger; report every difference."""
    engine = open_engine(db)
    try:
        with out.open("w", encoding="utf-8", newline="") as report:
            summary = reconcile_file(
                engine, platform, balance_file, report, fmt=file_format, size=size
            )
    finally:
        engine.dispose()
    data = {
        "platform": summary.platform,
        "size": summary.size,
        "source": summary.source,
        "ledger_accounts": summary.ledger_accounts,
        "file_rows": summary.file_rows,
        "matched": summary.matched,
        "differences": summary.differences,
        "ledger_total": summary.ledger_total,
        "file_total": summary.file_total,
        "difference_total": summary.difference_total,
        "consistent": summary.consistent,
        "report": str(out),
        "seconds": round(summary.seconds, 3),
    }
    if as_json:
        print_json(data)
        return
    amounts = ("ledger_total", "file_total", "difference_total")
    fields: list[tuple[str, object]] = [
        (k, f"{grams(int(str(v)))} ({v:,} g)" if k in amounts else v)
        for k, v in data.items()
        if k != "differences"
    ]
    fields += [(f"  {kind}", count) for kind, count in summary.differences.items()]
    show_fields(f"reconciliation of {platform} at log size {summary.size}", fields)


@command
def balance_proof(
    account: Annotated[str, typer.Argument(help="The personal account.")],
    commitment: Annotated[
        int | None,
        typer.Option("--commitment", min=0, help="Log index of the commitment (default: latest)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the proof document here.")
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """A person's proof that their balance is in their platform's committed sum tree."""
    engine = open_engine(db)
    try:
        started = time.perf_counter()
        document = make_balance_proof(engine, account, commitment=commitment)
        elapsed_ms = (time.perf_counter() - started) * 1000
        info = queries.ledger_info(engine)
    finally:
        engine.dispose()
    verify_balance_proof(document, info.log_vkey)  # as a third party would, before handing it out
    if out is not None:
        out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if as_json:
        print_json(document)
        return
    show_fields(
        f"balance proof of {account}",
        [
            ("platform", document["platform"]),
            ("balance", f"{grams(document['balance'])} ({document['balance']:,} g)"),
            ("platform total", f"{grams(document['total'])} ({document['total']:,} g)"),
            ("accounts", document["leaves"]),
            ("commitment", f"entry {document['commitment']['index']}"),
            ("path", f"{len(document['path'])} steps"),
            ("built in", f"{elapsed_ms:.2f} ms"),
            ("written to", out),
        ],
    )


@command
def verify_balance_proof_cmd(
    proof_file: Annotated[Path, typer.Argument(help="A balance proof document (JSON).")],
    log_key: Annotated[
        str, typer.Option("--log-key", help="The log's checkpoint verifier key (vkey).")
    ],
    as_json: JsonOption = False,
) -> None:
    """Check a balance proof offline: path, sums, commitment entry and checkpoint signature."""
    try:
        document = json.loads(proof_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{proof_file} is not JSON: {exc}", code="bad_balance_proof") from exc
    if not isinstance(document, dict):
        raise InvalidInput(f"{proof_file} is not a proof document", code="bad_balance_proof")
    proven = verify_balance_proof(document, log_key)
    if as_json:
        print_json({"verified": True, **queries.as_json(proven)})
        return
    show_fields(
        "balance proof verified",
        [
            ("account", proven.account),
            ("balance", f"{grams(proven.balance)} ({proven.balance:,} g)"),
            ("platform", proven.platform),
            ("platform total", f"{grams(proven.total)} ({proven.total:,} g)"),
            ("accounts", proven.leaves),
            ("commitment", f"entry {proven.commitment}"),
            ("checkpoint", f"size {proven.checkpoint_size}"),
        ],
    )


@command
def points(
    account: Annotated[str, typer.Argument(help="An account.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """The account's points, by issuer: points are not grams and never count as tonnes."""
    engine = open_engine(db)
    try:
        found = personal.points(engine, account)
    finally:
        engine.dispose()
    if as_json:
        print_json(found)
        return
    show_table(f"points of {account}", ["issuer", "points"], [(p.issuer, p.points) for p in found])


@command
def custody(
    platform: Annotated[str, typer.Argument(help="A platform.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """What a platform keeps in custody, and its balance commitments."""
    engine = open_engine(db)
    try:
        totals = personal.custody(engine, platform)
        commitments = personal.balance_commitments(engine, platform, limit=10)
    finally:
        engine.dispose()
    if as_json:
        print_json({"custody": totals, "commitments": commitments})
        return
    show_fields(
        f"custody of {platform}",
        [("accounts", totals.accounts), ("held", f"{grams(totals.held)} ({totals.held:,} g)")],
    )
    show_table(
        "balance commitments",
        ["entry", "accounts", "total", "root"],
        [(c.index, c.leaves, grams(c.total), c.root.hex()) for c in commitments],
        right=["total"],
    )


@command
def aggregation(
    aggregation_id: Annotated[str, typer.Argument(help="AGG-<index>")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """An aggregated lot and the first contributions to it."""
    engine = open_engine(db)
    try:
        found = personal.aggregation(engine, aggregation_id)
    finally:
        engine.dispose()
    if as_json:
        print_json(found)
        return
    show_fields(
        f"aggregation {found.id}",
        [
            ("platform", found.platform),
            ("lot account", found.account),
            ("pooled", f"{grams(found.quantity)} ({found.quantity:,} g)"),
            ("sold with shares recorded", grams(found.sold)),
            ("contributors", found.contributors),
        ],
    )
    show_table(
        "contributions",
        ["#", "account", "quantity", "consent"],
        [(c.position, c.account, grams(c.quantity), c.consent_ref) for c in found.contributions],
        right=["quantity"],
    )
