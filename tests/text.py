"""Reading what a rendered PDF says, for tests of its content (poppler's ``pdftotext``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def pdf_text(path: Path) -> str:
    """The words of the PDF at ``path`` in reading order, separated by single spaces (line
    breaks and no-break spaces included); skips the test without pdftotext."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (Debian poppler-utils) is needed to read the PDF's text")
    done = subprocess.run([tool, str(path), "-"], check=True, capture_output=True, text=True)
    return " ".join(done.stdout.replace("\u00a0", " ").split())
