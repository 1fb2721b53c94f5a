"""``carbonledger certificate`` makes certificates; ``carbonledger verify-certificate`` checks
their proof bundles offline.

``certificate retirement ID`` certifies one retirement (``RET-<n>``) or everything retired for
an event (``EVT-<n>``); ``certificate cancellation ID`` one cancellation (``CAN-<n>``) or a
whole ecological-damage case (its case number). ``--bundle``, ``--html`` and ``--pdf`` name
the files to write; the QR code holds ``--verify-template`` filled in (default: the
``verify-certificate`` command line for the bundle).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.certificates.claims import CANCELLATION, RETIREMENT
from ledger.certificates.documents import (
    default_bundle_name,
    make_certificate,
    read_bundle,
    write_bundle,
    write_html,
    write_pdf,
)
from ledger.certificates.qr import DEFAULT_TEMPLATE, PLACEHOLDERS
from ledger.certificates.verify import verify_certificate
from ledger.cli.output import (
    DEFAULT_DB,
    DbOption,
    JsonOption,
    command,
    open_engine,
    print_json,
    show_fields,
)
from ledger.queries.formatting import format_tonnes

app = typer.Typer(help="Retirement and cancellation certificates with offline proof bundles.")

IdArgument = Annotated[str, typer.Argument(help="What to certify (see the command's help).")]
PdfOption = Annotated[Path | None, typer.Option("--pdf", help="Write the certificate as PDF.")]
HtmlOption = Annotated[Path | None, typer.Option("--html", help="Write it as HTML.")]
BundleOption = Annotated[
    Path | None, typer.Option("--bundle", help="Write the proof bundle (JSON) to verify offline.")
]
TemplateOption = Annotated[
    str,
    typer.Option(
        "--verify-template",
        envvar="CARBONLEDGER_VERIFY_TEMPLATE",
        help="What the QR code holds; placeholders " + ", ".join(sorted(PLACEHOLDERS)) + ".",
    ),
]


def _summary(claims: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("certificate", claims["id"]),
        ("quantity", f"{format_tonnes(claims['quantity'])} ({claims['quantity']:,} g)"),
    ]
    event, case = claims.get("event"), claims.get("case")
    if event is not None:
        rows += [
            ("event", f"{event['name']} ({event['id']})"),
            ("emitted", format_tonnes(event["emitted"])),
            ("covered", format_tonnes(event["covered"])),
        ]
        if event["neutral"] is not None:
            rows.append(("neutral", "yes" if event["neutral"] else "no"))
    if case is not None:
        rows += [
            ("case", case["case_number"]),
            ("required", format_tonnes(case["required"])),
            ("cancelled", format_tonnes(case["cancelled"])),
        ]
        if case["closed"] is not None:
            rows.append(("satisfied", "yes" if case["closed"] else "no"))
    rows.append(("projects", ", ".join(p["id"] for p in claims["projects"])))
    checkpoint = claims["checkpoint"]
    rows.append(("checkpoint", f"{checkpoint['origin']} size {checkpoint['size']}"))
    return rows


def _certify(
    kind: str,
    subject: str,
    pdf: Path | None,
    html: Path | None,
    bundle: Path | None,
    template: str,
    db: str,
    as_json: bool,
) -> None:
    engine = open_engine(db)
    try:
        name = bundle.name if bundle is not None else default_bundle_name(subject)
        certificate = make_certificate(engine, kind, subject, bundle_name=name, template=template)
    finally:
        engine.dispose()
    written = {}
    for what, path, write in (
        ("bundle", bundle, write_bundle),
        ("html", html, write_html),
        ("pdf", pdf, write_pdf),
    ):
        if path is not None:
            written[what] = str(write(certificate, path))
    if as_json:
        print_json(
            {
                "claims": certificate.claims,
                "digest": certificate.digest,
                "verification": certificate.view.verification,
                "files": written,
            }
        )
        return
    rows = _summary(certificate.claims)
    rows += [("bundle SHA-256", certificate.digest), ("verify", certificate.view.verification)]
    rows += [(f"{what} written", path) for what, path in written.items()]
    show_fields(certificate.view.title, rows)


@app.command("retirement")
@command
def retirement(
    subject: IdArgument,
    pdf: PdfOption = None,
    html: HtmlOption = None,
    bundle: BundleOption = None,
    template: TemplateOption = DEFAULT_TEMPLATE,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Certify a retirement (RET-<n>) or everything retired for an event (EVT-<n>)."""
    _certify(RETIREMENT, subject, pdf, html, bundle, template, db, as_json)


@app.command("cancellation")
@command
def cancellation(
    subject: IdArgument,
    pdf: PdfOption = None,
    html: HtmlOption = None,
    bundle: BundleOption = None,
    template: TemplateOption = DEFAULT_TEMPLATE,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Certify a cancellation (CAN-<n>) or every cancellation of a case (its case number)."""
    _certify(CANCELLATION, subject, pdf, html, bundle, template, db, as_json)


@command
def verify_certificate_command(
    path: Annotated[Path, typer.Argument(help="The certificate's proof bundle (JSON).")],
    log_vkey: Annotated[
        str,
        typer.Option(
            "--log-vkey", help="The checkpoint key you trust (from the program administrator)."
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Check a certificate's proof bundle offline and recompute every number it states."""
    verified = verify_certificate(read_bundle(path), log_vkey)
    if as_json:
        print_json({"verified": True, "digest": verified.digest, "claims": verified.claims})
        return
    rows = _summary(verified.claims)
    rows.append(("bundle SHA-256", verified.digest))
    size = verified.checkpoint.size
    show_fields(f"Verified: every number recomputed from the records under tree {size}", rows)
