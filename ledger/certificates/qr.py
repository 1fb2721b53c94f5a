"""The QR code on a certificate and the verification it points at.

The QR code holds the verification text made from a template: by default the command that
checks the proof bundle offline, ``carbonledger verify-certificate {bundle} --log-vkey
{log_vkey}``; a registry may give a URL instead, e.g.
``https://registry.example/verify/{id}?sha256={digest}``. The module returns the QR code as a
matrix of dark modules, drawn by the HTML (as SVG) and PDF renderers alike.
"""

from __future__ import annotations

import string

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from ledger.errors import InvalidInput

DEFAULT_TEMPLATE = "carbonledger verify-certificate {bundle} --log-vkey {log_vkey}"
PLACEHOLDERS = frozenset({"id", "kind", "bundle", "digest", "log_vkey", "size"})
"""``id`` certificate id; ``kind`` retirement or cancellation; ``bundle`` the bundle's file
name; ``digest`` its SHA-256 (hex); ``log_vkey`` the log's checkpoint key; ``size`` the
checkpoint's tree size."""


def verification_text(template: str, **values: str) -> str:
    """``template`` with its placeholders filled. Raises InvalidInput on an unknown one."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        raise InvalidInput(
            f"verification template names {unknown}; it may use {sorted(PLACEHOLDERS)}"
        )
    return template.format_map({name: values.get(name, "") for name in PLACEHOLDERS})


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code of ``text`` (error correction M, with its quiet zone): True is dark."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def qr_svg(text: str, *, size_px: int = 180) -> str:
    """An inline SVG of the QR code of ``text``, ``size_px`` wide."""
    matrix = qr_matrix(text)
    n = len(matrix)
    path = "".join(
        f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="{size_px}" '
        f'height="{size_px}" shape-rendering="crispEdges" role="img" '
        f'aria-label="QR code of the verification">'
        f'<rect width="{n}" height="{n}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    )
