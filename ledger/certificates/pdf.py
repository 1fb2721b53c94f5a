"""The PDF certificate: the certificate view laid out on A4 with reportlab.

Text is set in DejaVu Sans (shipped with matplotlib) so that every Latin, Greek and symbol
character prints. Runs of CJK characters switch to a CJK TrueType font embedded in the PDF:
the one ``CARBONLEDGER_CJK_FONT`` names, else the first of ``CJK_FONT_FILES`` installed (Debian
``fonts-droid-fallback`` or ``fonts-wqy-microhei``); with none, to Adobe's ``STSong-Light``,
which the PDF names without embedding and readers with Asian fonts provide. The QR code is
drawn module by module as vector squares.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ledger.certificates.qr import qr_matrix
from ledger.certificates.view import CertificateView, Facts, Grid

GREEN = colors.HexColor("#2e7d4f")
PALE = colors.HexColor("#eef6f1")
RULE = colors.HexColor("#cfe3d7")
GREY = colors.HexColor("#555555")
AMBER = colors.HexColor("#b26a00")
WIDTH = A4[0] - 36 * mm
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+")
CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
CID_FONT = "STSong-Light"


def _register_fonts() -> tuple[str, str, str, str]:
    """Register DejaVu Sans (regular, bold, mono) and a CJK font; their names."""
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    names = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono")
    registered = pdfmetrics.getRegisteredFontNames()
    for name in names:
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(fonts / f"{name}.ttf")))
    chosen = os.environ.get("CARBONLEDGER_CJK_FONT")
    found = [chosen] if chosen else [f for f in CJK_FONT_FILES if Path(f).is_file()]
    if found:
        if "CJK" not in registered:
            pdfmetrics.registerFont(TTFont("CJK", found[0], subfontIndex=0))
        return (*names, "CJK")
    if CID_FONT not in registered:
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return (*names, CID_FONT)


REGULAR, BOLD, MONO, CJK_FONT = _register_fonts()


def _style(name: str, **kw: Any) -> ParagraphStyle:
    base: dict[str, Any] = {
        "fontName": REGULAR,
        "fontSize": 9,
        "leading": 11.5,
        "alignment": TA_LEFT,
    }
    return ParagraphStyle(name, **{**base, **kw})


TITLE = _style("title", fontName=BOLD, fontSize=22, leading=26, textColor=GREEN)
SUBTITLE = _style("subtitle", fontSize=10, textColor=GREY)
HEADLINE = _style("headline", fontName=BOLD, fontSize=14, leading=18)
BODY = _style("body", fontSize=10, leading=13.5)
HEADING = _style("heading", fontName=BOLD, fontSize=10.5, leading=13, textColor=GREEN)
LABEL = _style("label", fontSize=8.5, textColor=GREY)
CELL = _style("cell", fontSize=7.5, leading=9.5)
NUMBER = _style("number", fontSize=7.5, leading=9.5, alignment=TA_RIGHT)
HEAD = _style("head", fontName=BOLD, fontSize=7.5, leading=9.5)
HEAD_RIGHT = _style("head_right", fontName=BOLD, fontSize=7.5, leading=9.5, alignment=TA_RIGHT)
CODE = _style("code", fontName=MONO, fontSize=7, leading=9)
NOTE = _style("note", fontSize=7.5, leading=9.5, textColor=GREY)


def text(value: str) -> str:
    """Paragraph markup for plain ``value``: escaped, with CJK runs in the CJK font."""
    return CJK.sub(lambda m: f'<font name="{CJK_FONT}">{m.group(0)}</font>', escape(value))


def _p(value: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(text(value), style)


class QrCode(Flowable):
    """A QR code as vector squares, ``size`` points wide, with a caption under it."""

    def __init__(self, payload: str, size: float) -> None:
        super().__init__()
        self.matrix = qr_matrix(payload)
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        canvas = self.canv
        n = len(self.matrix)
        cell = self.size / n
        canvas.setFillColor(colors.black)
        for y, row in enumerate(self.matrix):
            for x, dark in enumerate(row):
                if dark:
                    canvas.rect(x * cell, self.size - (y + 1) * cell, cell, cell, stroke=0, fill=1)


def _facts(facts: Facts) -> list[Flowable]:
    """A titled two-column table of facts, kept on one page."""
    return [KeepTogether(_facts_table(facts)), Spacer(1, 4 * mm)]


def _facts_table(facts: Facts, *, mono: bool = False, width: float = WIDTH) -> list[Flowable]:
    rows = [[_p(label, LABEL), _p(value, CODE if mono else CELL)] for label, value in facts.rows]
    table = Table(rows, colWidths=[48 * mm, width - 48 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return [_p(facts.title, HEADING), Spacer(1, 2 * mm), table]


def _unbroken(amount: str) -> str:
    """An amount that may wrap only before its grams: ``1,019 t`` / ``(1,019,000,000 g)``."""
    return " (".join(part.replace(" ", "\u00a0") for part in amount.split(" ("))


def _column_widths(grid: Grid) -> list[float]:
    """Widths sharing the page: every column fits its longest word (an amount column its
    tonnes and its grams, each unbroken), the rest goes to the columns in proportion to how
    much more their longest cell needs."""

    def width(value: str, font: str) -> float:
        return float(pdfmetrics.stringWidth(value, font, 7.5)) + 14.0  # cell padding 6 + 6

    columns = [[name, *(row[i] for row in grid.rows)] for i, name in enumerate(grid.header)]
    least = [
        max(
            width(part, BOLD if i == 0 else REGULAR)
            for i, c in enumerate(col)
            for part in (c.split(" (") if n in grid.numeric and i else c.split())
        )
        for n, col in enumerate(columns)
    ]
    natural = [
        max(least[n], min(max(width(c, REGULAR) for c in col), WIDTH * 0.4))
        for n, col in enumerate(columns)
    ]
    if sum(natural) <= WIDTH:
        return [n * WIDTH / sum(natural) for n in natural]
    spare = WIDTH - sum(least)
    extra = [n - m for n, m in zip(natural, least, strict=True)]
    if spare <= 0 or not sum(extra):
        return [m * WIDTH / sum(least) for m in least]
    return [m + spare * e / sum(extra) for m, e in zip(least, extra, strict=True)]


def _grid(grid: Grid) -> list[Flowable]:
    header = [
        _p(name, HEAD_RIGHT if i in grid.numeric else HEAD) for i, name in enumerate(grid.header)
    ]
    body = [
        [
            _p(_unbroken(cell), NUMBER) if i in grid.numeric else _p(cell, CELL)
            for i, cell in enumerate(row)
        ]
        for row in grid.rows
    ]
    table = Table([header, *body], colWidths=_column_widths(grid), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), PALE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    out: list[Flowable] = [_p(grid.title, HEADING), Spacer(1, 2 * mm), table]
    if grid.more:
        out.append(_p(grid.more, NOTE))
    return [KeepTogether(out), Spacer(1, 4 * mm)]


def _status(status: str) -> Table:
    colour = GREEN if status.startswith(("CARBON", "CASE")) else AMBER
    style = _style("status", fontName=BOLD, fontSize=12, leading=15, textColor=colour)
    box = Table([[_p(status, style)]])
    box.setStyle(
        TableStyle([("BOX", (0, 0), (-1, -1), 1.5, colour), ("LEFTPADDING", (0, 0), (-1, -1), 8)])
    )
    box.hAlign = "LEFT"
    return box


def render_pdf(view: CertificateView, path: Path) -> Path:
    """Write the certificate to ``path`` as a PDF and return the path."""
    with path.open("wb") as out:
        write_pdf_to(view, out)
    return path


def pdf_bytes(view: CertificateView) -> bytes:
    """The certificate as PDF bytes."""
    out = io.BytesIO()
    write_pdf_to(view, out)
    return out.getvalue()


def write_pdf_to(view: CertificateView, out: BinaryIO) -> None:
    """Write the certificate as a PDF to the binary stream ``out``."""
    story: list[Flowable] = [
        _p(view.title, TITLE),
        _p(f"Certificate {view.id}", SUBTITLE),
        Spacer(1, 6 * mm),
        _p(view.headline, HEADLINE),
        Spacer(1, 3 * mm),
    ]
    if view.status:
        story += [_status(view.status), Spacer(1, 3 * mm)]
    story += [_p(view.statement, BODY), Spacer(1, 5 * mm)]
    for facts in view.facts:
        story += _facts(facts)
    for grid in view.grids:
        story += _grid(grid)
    qr_size = 42 * mm
    proof = Table(
        [
            [
                _facts_table(view.proof, mono=True, width=WIDTH - qr_size - 6 * mm),
                QrCode(view.verification, qr_size),
            ]
        ],
        colWidths=[WIDTH - qr_size - 4 * mm, qr_size + 4 * mm],
    )
    proof.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    note = (
        "Every number on this certificate is recomputed by the verification from the ledger "
        "records in the proof bundle, each proven to be in the log under the checkpoint above, "
        "signed by the log's key. Scan the code or run the command shown to verify."
    )
    story.append(KeepTogether([proof, _p(note, NOTE)]))

    def footer(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7)
        canvas.setFillColor(GREY)
        canvas.drawString(18 * mm, 10 * mm, f"carbonledger certificate {view.id}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"page {canvas.getPageNumber()}")
        canvas.restoreState()

    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"{view.title} {view.id}",
        author="carbonledger",
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)
