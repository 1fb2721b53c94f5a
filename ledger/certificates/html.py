"""The HTML certificate: the certificate view through a Jinja2 template kept in the package.

Everything is escaped by the template engine except the QR code, an SVG made here.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from ledger.certificates.qr import qr_svg
from ledger.certificates.view import CertificateView

_ENVIRONMENT = Environment(
    loader=PackageLoader("ledger.certificates", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(view: CertificateView) -> str:
    """The certificate as a self-contained HTML page."""
    template = _ENVIRONMENT.get_template("certificate.html.j2")
    return template.render(view=view, qr=qr_svg(view.verification))
