"""Making a certificate's files: its proof bundle (JSON), HTML page and PDF.

The bundle is made first; its SHA-256 and file name go into the verification text the QR code
holds (``qr.verification_text``), and both renderings are made from the same view of the
claims. The bundle is written as indented JSON; its digest is over its canonical encoding, so
it does not depend on the layout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ledger.certificates.html import render_html
from ledger.certificates.issue import make_bundle
from ledger.certificates.pdf import render_pdf
from ledger.certificates.qr import DEFAULT_TEMPLATE, verification_text
from ledger.certificates.verify import bundle_digest
from ledger.certificates.view import CertificateView, certificate_view
from ledger.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Certificate:
    """A made certificate: its bundle, claims, view and digest."""

    bundle: dict[str, Any]
    digest: str
    view: CertificateView

    @property
    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = self.bundle["claims"]
        return claims


def make_certificate(
    engine: Engine,
    kind: str,
    subject: str,
    *,
    bundle_name: str | None = None,
    template: str = DEFAULT_TEMPLATE,
) -> Certificate:
    """The certificate of ``subject``; ``bundle_name`` is the bundle's file name as the QR
    code's verification text should name it (default ``<subject>.certificate.json``)."""
    bundle = make_bundle(engine, kind, subject)
    digest = bundle_digest(bundle)
    claims = bundle["claims"]
    text = verification_text(
        template,
        id=claims["id"],
        kind=kind,
        bundle=bundle_name or default_bundle_name(subject),
        digest=digest,
        log_vkey=bundle["log_vkey"],
        size=str(claims["checkpoint"]["size"]),
    )
    return Certificate(bundle, digest, certificate_view(claims, digest=digest, verification=text))


def default_bundle_name(subject: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in subject)
    return f"{safe}.certificate.json"


def write_bundle(certificate: Certificate, path: Path) -> Path:
    path.write_text(json.dumps(certificate.bundle, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return path


def write_html(certificate: Certificate, path: Path) -> Path:
    path.write_text(render_html(certificate.view), "utf-8")
    return path


def write_pdf(certificate: Certificate, path: Path) -> Path:
    return render_pdf(certificate.view, path)


def read_bundle(path: Path) -> dict[str, Any]:
    """A bundle file's document. Raises InvalidInput (``bad_certificate``)."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(
            f"{path} is not a JSON certificate bundle", code="bad_certificate"
        ) from exc
    if not isinstance(document, dict):
        raise InvalidInput(f"{path} is not a JSON object", code="bad_certificate")
    return document
