"""``carbonledger report``: the issuance audit, supply totals and trade announcements.

Each report runs on the regulator's own copy: ``--db`` names a database (a follower's, say) and
``--bundle`` an export bundle, checked against ``--log-vkey`` and replayed into a temporary
database first. Tables for people, ``--json`` for scripts, ``--csv FILE`` for spreadsheets
(amounts in integer grams beside exact tonnes) and, for totals, ``--plot FILE.png|.svg``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import typer
from sqlalchemy import Engine

from ledger import queries
from ledger.cli.output import (
    DEFAULT_DB,
    EXIT_REJECTED,
    DbOption,
    JsonOption,
    command,
    console,
    grams,
    open_engine,
    print_json,
    show_table,
    time_param,
    when,
)
from ledger.reports import csv_export, plots
from ledger.reports.audit_flags import FLAGS
from ledger.reports.issuance_audit import AuditReport, audit_issuance
from ledger.reports.replica import open_copy
from ledger.reports.scope import Scope
from ledger.reports.totals import DIMENSIONS, PERIODS, grand_total, totals
from ledger.reports.trades import by_venue, trade_announcements

app = typer.Typer(help="Reports for regulators: issuance audit, totals, trade announcements.")

BundleOption = Annotated[
    Path | None,
    typer.Option("--bundle", help="Run on an export bundle (replayed) instead of --db."),
]
TrustedKeyOption = Annotated[
    str | None,
    typer.Option("--log-vkey", help="The checkpoint key a --bundle must be signed by."),
]
CsvOption = Annotated[Path | None, typer.Option("--csv", help="Also write the rows as CSV.")]
ProgramOption = Annotated[str | None, typer.Option("--program")]
RegionOption = Annotated[
    str | None, typer.Option("--region", help="ISO 3166-2, e.g. CN-GD; CN covers all of China.")
]
MethodologyOption = Annotated[
    str | None, typer.Option("--methodology", help="code:version, or a code for every version.")
]
ProjectOption = Annotated[str | None, typer.Option("--project")]
PeriodStartOption = Annotated[
    str | None,
    typer.Option("--period-start", help="Monitoring periods overlapping from this date."),
]
PeriodEndOption = Annotated[
    str | None, typer.Option("--period-end", help="...up to this date (YYYY-MM-DD).")
]
SHOWN = 200
"""Rows printed in a table; CSV and JSON hold them all."""


@contextmanager
def _copy(db: str, bundle: Path | None, log_vkey: str | None) -> Iterator[Engine]:
    if bundle is None:
        open_engine(db).dispose()
        with open_copy(db) as engine:
            yield engine
        return
    if not bundle.is_file():
        raise FileNotFoundError(2, "No such file or directory", str(bundle))
    with open_copy(str(bundle), log_vkey=log_vkey) as engine:
        yield engine


def _open_csv(path: Path) -> TextIO:
    return path.open("w", encoding="utf-8", newline="")


def _cut(title: str, count: int) -> str:
    return title if count <= SHOWN else f"{title} (first {SHOWN} of {count:,}; all in --csv)"


def _show_audit(report: AuditReport) -> None:
    rows = report.batches
    show_table(
        _cut(f"Issuance audit: {report.scope.describe()}", len(rows)),
        ["batch", "project", "vintage", "verifier", "report", "issuer", "issued", "held",
         "pledged", "retired", "cancelled", "flags"],
        [
            (
                b.id, b.project, f"{b.vintage_start}..{b.vintage_end}", b.verifier,
                b.report_digest[:12] + "...", b.issuer, grams(b.supply.issued),
                grams(b.supply.held), grams(b.supply.pledged), grams(b.supply.retired),
                grams(b.supply.cancelled), " ".join(b.flags) or "-",
            )
            for b in rows[:SHOWN]
        ],
        right=("issued", "held", "pledged", "retired", "cancelled"),
    )  # fmt: skip
    s = report.supply
    console().print(
        f"{len(rows):,} batches: issued {grams(s.issued)} = held {grams(s.held)} + pledged "
        f"{grams(s.pledged)} + retired {grams(s.retired)} + cancelled {grams(s.cancelled)}"
    )
    if report.flags:
        show_table(
            _cut("Flags to look at", len(report.flags)),
            ["code", "batch", "what was found"],
            [(f.code, f.batch, f.message) for f in report.flags[:SHOWN]],
        )
        console().print(
            "flagged batches: " + ", ".join(f"{code} {n}" for code, n in report.flag_counts.items())
        )
    else:
        console().print("no flags: every batch is attested, unique and adds up")


@app.command("audit")
@command
def audit(
    program: ProgramOption = None,
    region: RegionOption = None,
    methodology: MethodologyOption = None,
    project: ProjectOption = None,
    period_start: PeriodStartOption = None,
    period_end: PeriodEndOption = None,
    csv: CsvOption = None,
    flags_csv: Annotated[
        Path | None, typer.Option("--flags-csv", help="Also write the flags as CSV.")
    ] = None,
    fail_on_flags: Annotated[
        bool, typer.Option("--fail-on-flags", help="Exit with status 1 if anything is flagged.")
    ] = False,
    bundle: BundleOption = None,
    log_vkey: TrustedKeyOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Every batch in scope with its verification and supply, and what must be looked at."""
    scope = Scope(program, region, methodology, project, period_start, period_end)
    with _copy(db, bundle, log_vkey) as engine:
        report = audit_issuance(engine, scope)
    if csv is not None:
        with _open_csv(csv) as out:
            csv_export.write_audit(report, out)
    if flags_csv is not None:
        with _open_csv(flags_csv) as out:
            csv_export.write_flags(report, out)
    if as_json:
        print_json(
            {
                "scope": report.scope.to_json(),
                "batches": report.batches,
                "supply": report.supply,
                "flags": [f.to_json() for f in report.flags],
                "flag_counts": report.flag_counts,
                "flag_codes": FLAGS,
            }
        )
    else:
        _show_audit(report)
    if fail_on_flags and report.flags:
        raise typer.Exit(EXIT_REJECTED)


@app.command("totals")
@command
def totals_report(
    by: Annotated[str, typer.Option("--by", help=" | ".join(DIMENSIONS))] = "program",
    every: Annotated[
        str, typer.Option("--every", help="Period of issuance: " + " | ".join(PERIODS))
    ] = "year",
    program: ProgramOption = None,
    region: RegionOption = None,
    methodology: MethodologyOption = None,
    project: ProjectOption = None,
    period_start: PeriodStartOption = None,
    period_end: PeriodEndOption = None,
    csv: CsvOption = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also draw a chart: FILE.png or FILE.svg.")
    ] = None,
    bundle: BundleOption = None,
    log_vkey: TrustedKeyOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Supply totals by program, region, methodology, scenario or vintage, over time."""
    scope = Scope(program, region, methodology, project, period_start, period_end)
    with _copy(db, bundle, log_vkey) as engine:
        rows = totals(engine, by, every=every, scope=scope)
    if csv is not None:
        with _open_csv(csv) as out:
            csv_export.write_totals(rows, by, out)
    if plot is not None:
        title = f"Supply by {by}, per {every} of issuance: {scope.describe()}"
        plots.plot_totals(rows, plot, by=by, title=title)
    total = grand_total(rows)
    if as_json:
        print_json({"by": by, "every": every, "scope": scope.to_json(), "rows": rows,
                    "total": total})  # fmt: skip
        return
    show_table(
        _cut(f"Supply by {by} per {every}: {scope.describe()}", len(rows)),
        ["period", by, "batches", "issued", "held", "pledged", "retired", "cancelled"],
        [
            (r.period, r.key, r.batches, grams(r.supply.issued), grams(r.supply.held),
             grams(r.supply.pledged), grams(r.supply.retired), grams(r.supply.cancelled))
            for r in rows[:SHOWN]
        ],
        right=("batches", "issued", "held", "pledged", "retired", "cancelled"),
    )  # fmt: skip
    console().print(
        f"total: issued {grams(total.issued)}, held {grams(total.held)}, pledged "
        f"{grams(total.pledged)}, retired {grams(total.retired)}, cancelled "
        f"{grams(total.cancelled)}"
    )


@app.command("trades")
@command
def trades_report(
    since: Annotated[
        int | None,
        typer.Option("--since", parser=time_param, help="ISO date or time (UTC), inclusive."),
    ] = None,
    until: Annotated[
        int | None,
        typer.Option("--until", parser=time_param, help="ISO date or time (UTC), exclusive."),
    ] = None,
    venue: Annotated[str | None, typer.Option("--venue")] = None,
    program: ProgramOption = None,
    csv: CsvOption = None,
    bundle: BundleOption = None,
    log_vkey: TrustedKeyOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Trade announcements of a period: every priced transfer, and a summary per venue."""
    with _copy(db, bundle, log_vkey) as engine:
        found = trade_announcements(
            engine, since_ms=since, until_ms=until, venue=venue, program=program
        )
    summary = by_venue(found)
    if csv is not None:
        with _open_csv(csv) as out:
            csv_export.write_trades(found, out)
    if as_json:
        print_json({"trades": found, "by_venue": summary})
        return
    show_table(
        _cut("Trade announcements", len(found)),
        ["index", "time", "batches", "from", "to", "quantity", "price", "value", "venue",
         "settlement", "reversed by"],
        [
            (t.index, when(t.time_ms), " ".join(t.batches), t.from_account, t.to_account,
             grams(t.quantity), queries.format_cny(t.price_fen_per_tonne) + "/t",
             queries.format_cny(t.value_fen), t.venue, t.settlement_ref, t.corrected_by)
            for t in found[:SHOWN]
        ],
        right=("index", "quantity", "price", "value"),
    )  # fmt: skip
    show_table(
        "By venue (reversed trades left out)",
        ["venue", "trades", "quantity", "value", "average price"],
        [
            (v.venue, v.trades, grams(v.quantity), queries.format_cny(v.value_fen),
             queries.format_cny(v.average_price_fen_per_tonne) + "/t")
            for v in summary
        ],
        right=("trades", "quantity", "value", "average price"),
    )  # fmt: skip
