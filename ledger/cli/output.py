"""What every command shares: the common options, opening the database, printing results and
errors.

People get rich tables; ``--json`` prints one JSON document for scripts. A ledger error prints
``error: <code>: <message>`` on stderr (or ``{"error": {...}}`` on stdout with ``--json``) and
exits with status 1; a usage error exits with status 2 (Click's convention).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ledger import queries
from ledger.cli.amounts import parse_cny, parse_lot, parse_quantity
from ledger.errors import InvalidInput, LedgerError, NotFound
from ledger.storage.engine import DEFAULT_URL, make_engine

P = ParamSpec("P")
R = TypeVar("R")

EXIT_REJECTED = 1
EXIT_USAGE = 2

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="CARBONLEDGER_DB",
        show_envvar=True,
        help="Database URL (sqlite:///FILE or postgresql://...).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
LimitOption = Annotated[
    int, typer.Option("--limit", min=1, max=queries.MAX_LIMIT, help="At most this many rows.")
]
OffsetOption = Annotated[int, typer.Option("--offset", min=0, help="Skip this many rows.")]
DEFAULT_DB = DEFAULT_URL


WIDE = 160
"""Width of tables written to a file or pipe, where there is no terminal to fit."""


def console() -> Console:
    """A console on the current stdout (tests swap stdout per invocation)."""
    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(highlight=False, soft_wrap=False, width=WIDE if wide else None)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(queries.as_json(data), indent=2, ensure_ascii=False))


def fail(error: LedgerError, *, as_json: bool) -> NoReturn:
    """Report ``error`` and exit with status 1."""
    if as_json:
        print_json({"error": error.to_dict()})
    else:
        typer.echo(f"error: {error.code}: {error.message}", err=True)
    raise typer.Exit(EXIT_REJECTED)


def command(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that ledger, file and database errors are reported, not raised."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        as_json = bool(kwargs.get("as_json", False))
        try:
            return fn(*args, **kwargs)
        except LedgerError as exc:
            fail(exc, as_json=as_json)
        except OSError as exc:
            fail(
                LedgerError(
                    f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "), code="file_error"
                ),
                as_json=as_json,
            )
        except SQLAlchemyError as exc:
            fail(LedgerError(str(exc).splitlines()[0], code="database_error"), as_json=as_json)

    return wrapper


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///FILE`` URL, or None for other databases and memory."""
    if not url.startswith("sqlite:///") or ":memory:" in url:
        return None
    return Path(url[len("sqlite:///") :])


def open_engine(url: str) -> Engine:
    """An engine on an existing ledger. Raises NotFound (``no_ledger``) rather than create
    an empty SQLite file."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise NotFound(f"no ledger at {url} (run 'carbonledger init' first)", code="no_ledger")
    engine = make_engine(url)
    queries.ledger_info(engine)
    return engine


# -- parsing option values (a bad value is a usage error, exit status 2) ---------------------
def _usage(parse: Callable[[str], R]) -> Callable[[str], R]:
    def parser(text: str) -> R:
        try:
            return parse(text)
        except InvalidInput as exc:
            raise typer.BadParameter(exc.message) from exc

    return parser


quantity_param = _usage(parse_quantity)
cny_param = _usage(parse_cny)
lot_param = _usage(parse_lot)


def _parse_time(text: str) -> int:
    """Unix milliseconds of an ISO date or date-time; a time without a zone is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{text!r} is not an ISO date or date-time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


time_param = _usage(_parse_time)


def when(time_ms: int) -> str:
    """ISO 8601 UTC text of Unix milliseconds."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=time_ms)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def grams(value: int | None) -> str:
    return "" if value is None else queries.format_tonnes(value)


def show_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[str] = ()
) -> None:
    """Print a rich table; columns named in ``right`` are right-aligned (amounts)."""
    table = Table(title=title, title_justify="left")
    for name in columns:
        amount = name in right
        table.add_column(
            name, justify="right" if amount else "left", no_wrap=amount, overflow="fold"
        )
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console().print(table)


def show_fields(title: str, fields: Sequence[tuple[str, Any]]) -> None:
    """Print one record as a two-column table of field names and values."""
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for name, value in fields:
        table.add_row(name, "" if value is None else str(value))
    console().print(table)


def lots_text(lots: Sequence[dict[str, Any]]) -> str:
    """``BATCH [start, end) ...`` for people."""
    parts = []
    for lot in lots:
        ranges = ", ".join(f"[{s}, {e})" for s, e in lot["ranges"])
        parts.append(f"{lot['batch']} {ranges}")
    return "; ".join(parts)


AMOUNTS = frozenset({"issued", "held", "pledged", "retired", "cancelled", "quantity"})
"""Fields holding grams, printed as exact tonnes."""


def record_fields(record: Any) -> list[tuple[str, Any]]:
    """A record's fields for people: amounts in tonnes, lots as ranges, times as UTC."""
    out: list[tuple[str, Any]] = []
    for name, value in queries.as_json(record).items():
        if name in AMOUNTS and isinstance(value, int):
            value = f"{grams(value)} ({value:,} g)"
        elif name == "lots":
            value = lots_text(value)
        elif name == "time_ms":
            name, value = "time", when(value)
        elif name == "damage_fen" and value is not None:
            value = queries.format_cny(value)
        elif name == "supply":
            value = ", ".join(f"{k} {grams(v)}" for k, v in value.items())
        elif name == "parameters":
            value = "; ".join(
                f"{p['name']}={p['value']} {p['unit']} ({p['source']})" for p in value
            )
        elif isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        out.append((name, value))
    return out
