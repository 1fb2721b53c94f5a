"""Charts of supply totals for a report, as PNG or SVG (matplotlib, Agg backend: no display).

Two stacked bar panels over the periods of ``totals``: the grams issued per group, and the
grams used (retired and cancelled) per group. Bar heights are the exact integer grams; axis
labels are written as exact tonnes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ledger.errors import InvalidInput
from ledger.queries.formatting import format_tonnes
from ledger.reports.totals import TotalRow

matplotlib.use("Agg")  # never a display: figures are only written to files

FORMATS = {".png": "png", ".svg": "svg"}
MAX_GROUPS = 12
"""Groups drawn one by one; the smaller rest are drawn together as 'other'."""


def _tonnes_label(value: float, _position: int) -> str:
    return format_tonnes(round(value))


def plot_totals(rows: Sequence[TotalRow], path: Path, *, by: str, title: str) -> Path:
    """Write the chart of ``rows`` to ``path`` (.png or .svg) and return the path."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InvalidInput(f"chart file {path} must end in .png or .svg")
    periods = sorted({r.period for r in rows})
    size: dict[str, int] = {}
    for r in rows:
        size[r.key] = size.get(r.key, 0) + r.supply.issued
    ranked = sorted(size, key=lambda key: (-size[key], key))
    shown = ranked[:MAX_GROUPS] if len(ranked) <= MAX_GROUPS else ranked[: MAX_GROUPS - 1]
    issued: dict[str, list[int]] = {key: [0] * len(periods) for key in [*shown, "other"]}
    used: dict[str, list[int]] = {key: [0] * len(periods) for key in [*shown, "other"]}
    column = {period: i for i, period in enumerate(periods)}
    for r in rows:
        key = r.key if r.key in shown else "other"
        issued[key][column[r.period]] += r.supply.issued
        used[key][column[r.period]] += r.supply.retired + r.supply.cancelled
    figure = Figure(figsize=(10, 6.5), layout="constrained")
    panels = figure.subplots(2, 1, sharex=True)
    for axes, values, label in (
        (panels[0], issued, "issued"),
        (panels[1], used, "retired + cancelled"),
    ):
        bottom = [0] * len(periods)
        for key, heights in values.items():
            if not any(heights):
                continue
            axes.bar(periods, heights, bottom=bottom, label=key)
            bottom = [a + b for a, b in zip(bottom, heights, strict=True)]
        axes.set_ylabel(f"{label} (t CO2e)")
        axes.yaxis.set_major_formatter(FuncFormatter(_tonnes_label))
        axes.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        axes.grid(axis="y", alpha=0.3)
    panels[0].set_title(title)
    panels[0].legend(title=by, fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    panels[1].set_xlabel("period of issuance (UTC)")
    figure.savefig(path, format=kind, dpi=120)
    return path
