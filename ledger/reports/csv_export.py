"""CSV for reports: every amount twice, as integer grams (or fen) and as exact text.

Grams columns end in ``_g`` and hold integers; the ``_t`` column beside each holds the exact
tonnes text (``5503.686``), computed with integer arithmetic; money columns end in ``_fen``
with a ``_cny`` text beside them. Times are ISO 8601 UTC.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from ledger.queries.credits import Supply
from ledger.reports.issuance_audit import AuditedBatch, AuditReport
from ledger.reports.totals import TotalRow
from ledger.reports.trades import Trade
from ledger.types import GRAMS_PER_TONNE

SUPPLY = ("issued", "held", "pledged", "retired", "cancelled")


def tonnes(grams: int) -> str:
    """Exact decimal tonnes, no grouping: 5_503_686_000 -> ``5503.686``."""
    whole, frac = divmod(abs(grams), GRAMS_PER_TONNE)
    text = f"{'-' if grams < 0 else ''}{whole}"
    return text + ("." + f"{frac:06d}".rstrip("0") if frac else "")


def yuan(fen: int) -> str:
    """Exact yuan, no grouping: 2_740_608 -> ``27406.08``."""
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole}.{cents:02d}"


def iso(time_ms: int | None) -> str:
    if time_ms is None:
        return ""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=time_ms)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _supply_header() -> list[str]:
    return [f"{name}_{unit}" for name in SUPPLY for unit in ("g", "t")]


def _supply(supply: Supply) -> list[Any]:
    out: list[Any] = []
    for name in SUPPLY:
        grams = getattr(supply, name)
        out += [grams, tonnes(grams)]
    return out


def _write(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)


def write_audit(report: AuditReport, out: TextIO) -> None:
    """One row per batch with its verification, supply and flag codes (``;``-separated)."""
    header = [
        "batch", "program", "region", "project", "methodology", "scenario", "vintage_start",
        "vintage_end", "origin_ref", "issued_at", "issued_time", "issuer", "verifier",
        "report_digest", "verified_on", *_supply_header(), "flags",
    ]  # fmt: skip
    _write(out, header, (_audit_row(b) for b in report.batches))


def _audit_row(b: AuditedBatch) -> list[Any]:
    head = [b.id, b.program, b.region, b.project, b.methodology, b.scenario, b.vintage_start]
    verification = [b.issuer, b.verifier, b.report_digest, b.verified_on]
    when = [b.vintage_end, b.origin_ref, b.issued_at, iso(b.issued_time_ms)]
    return [*head, *when, *verification, *_supply(b.supply), ";".join(b.flags)]


def write_flags(report: AuditReport, out: TextIO) -> None:
    """One row per flag: code, batch and what was found."""
    _write(out, ["code", "batch", "message"], ((f.code, f.batch, f.message) for f in report.flags))


def write_totals(rows: Sequence[TotalRow], by: str, out: TextIO) -> None:
    """One row per period and group."""
    _write(
        out,
        ["period", by, "batches", *_supply_header()],
        ([r.period, r.key, r.batches, *_supply(r.supply)] for r in rows),
    )


def write_trades(trades: Sequence[Trade], out: TextIO) -> None:
    """One row per trade announcement."""
    header = [
        "index", "time", "batches", "programs", "from_account", "to_account", "quantity_g",
        "quantity_t", "price_fen_per_tonne", "price_cny_per_tonne", "value_fen", "value_cny",
        "venue", "settlement_ref", "corrected_by",
    ]  # fmt: skip
    _write(out, header, (_trade_row(t) for t in trades))


def _trade_row(t: Trade) -> list[Any]:
    where = [t.index, iso(t.time_ms), " ".join(t.batches), " ".join(t.programs)]
    parties = [t.from_account, t.to_account]
    amounts = [t.quantity, tonnes(t.quantity), t.price_fen_per_tonne]
    money = [yuan(t.price_fen_per_tonne), t.value_fen, yuan(t.value_fen)]
    return [*where, *parties, *amounts, *money, t.venue, t.settlement_ref, t.corrected_by]
