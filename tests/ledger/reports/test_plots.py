"""Charts of supply totals, written as PNG or SVG files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.errors import InvalidInput
from ledger.queries.credits import Supply
from ledger.reports.plots import plot_totals
from ledger.reports.totals import TotalRow

ROWS = [
    TotalRow("2023", "PHCER", 2, Supply(5_000_000, 3_000_000, 0, 2_000_000, 0)),
    TotalRow("2024", "PHCER", 1, Supply(1_000_000, 1_000_000, 0, 0, 0)),
    TotalRow("2024", "CDCER", 1, Supply(2_500_000, 0, 0, 0, 2_500_000)),
]


class TestPlots:
    def test_png_is_written(self, tmp_path: Path) -> None:
        path = plot_totals(ROWS, tmp_path / "totals.png", by="program", title="Supply")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_svg_names_the_groups_and_periods(self, tmp_path: Path) -> None:
        text = plot_totals(ROWS, tmp_path / "t.svg", by="program", title="Supply").read_text()
        assert text.lstrip().startswith("<?xml") and "<svg" in text
        for label in ("PHCER", "CDCER", "2023", "2024"):
            assert label in text

    def test_other_formats_are_refused(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidInput):
            plot_totals(ROWS, tmp_path / "totals.jpg", by="program", title="Supply")
